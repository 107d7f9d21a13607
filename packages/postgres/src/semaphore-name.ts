import { keyTag } from "@syncguard/core/driver";
import { routeOfTag, rowName } from "./storage";

/**
 * Semaphore keys live in a namespace of their own (ADR-039): a semaphore's rows are named by the
 * storage name of this key, and a lock taken on a key spelled like it shares nothing with the
 * semaphore but its announcements (a spurious wake-up at worst).
 */
export const semaphoreWatchKey = (key: string): string => `\u0000semaphore\u0000${key}`;

/** The name a semaphore's permits share. */
export const semaphoreName = (key: string): string => rowName(semaphoreWatchKey(key));

/** The route whose counter a semaphore's fences come from. */
export const semaphoreRoute = (key: string): number => routeOfTag(keyTag(semaphoreWatchKey(key)));
