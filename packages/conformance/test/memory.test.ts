import { createMemoryBackend } from "@syncguard/core/memory";
import { runConformance } from "../src";

// The reference backend must pass everything; the race suite is skipped (it is process-local).
runConformance({
  name: "memory",
  createBackend: () => createMemoryBackend(),
  capabilities: {
    subscribe: true,
    list: true,
    readFence: true,
    semaphore: true,
    semaphoreOperators: true,
  },
});

// With cleanup in isLocked, expired records may be deleted by reads: fences must survive it.
runConformance({
  name: "memory (cleanupInIsLocked)",
  createBackend: () => createMemoryBackend({ cleanupInIsLocked: true }),
  suites: ["isLocked", "fencing"],
});
