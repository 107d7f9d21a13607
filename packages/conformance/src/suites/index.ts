import type { SuiteContext } from "../context";
import type { SuiteName } from "../suite-names";
import { abortSuite } from "./abort";
import { acquireSuite } from "./acquire";
import { backgroundSuite } from "./background";
import { electionSuite } from "./election";
import { eventsSuite } from "./events";
import { expirySuite } from "./expiry";
import { extendSuite } from "./extend";
import { fencingSuite } from "./fencing";
import { inventorySuite } from "./inventory";
import { isLockedSuite } from "./is-locked";
import { keysSuite } from "./keys";
import { leaseSuite } from "./lease";
import { lockSuite } from "./lock";
import { lookupSuite } from "./lookup";
import { raceSuite } from "./race";
import { releaseSuite } from "./release";
import { secretsSuite } from "./secrets";
import { semaphoreSuite } from "./semaphore";
import { validationSuite } from "./validation";
import { waitSuite } from "./wait";

/** Each suite registers its tests on the context; one file per contract area. */
export const SUITES: Record<SuiteName, (context: SuiteContext) => void> = {
  acquire: acquireSuite,
  release: releaseSuite,
  extend: extendSuite,
  isLocked: isLockedSuite,
  lookup: lookupSuite,
  fencing: fencingSuite,
  expiry: expirySuite,
  keys: keysSuite,
  validation: validationSuite,
  abort: abortSuite,
  lock: lockSuite,
  lease: leaseSuite,
  wait: waitSuite,
  events: eventsSuite,
  inventory: inventorySuite,
  race: raceSuite,
  semaphore: semaphoreSuite,
  election: electionSuite,
  background: backgroundSuite,
  secrets: secretsSuite,
};
