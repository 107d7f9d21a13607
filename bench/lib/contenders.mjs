// What the in-process scenarios (wrapper, connections, script costs, memory, Firestore, PostgreSQL)
// load from the workspace. The Redis contenders of the ratio scenarios run one per process:
// floor/contenders.mjs.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { createLock: createSyncGuardLock } = require("@syncguard/core");
const { createMemoryBackend } = require("@syncguard/core/memory");
const { createRedisBackend } = require("@syncguard/redis");

export { createMemoryBackend, createRedisBackend, createSyncGuardLock };
