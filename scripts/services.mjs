#!/usr/bin/env node
// Local test services for SyncGuard: redis-server (single node), a 3-master Redis Cluster and the
// Firestore emulator, each on free loopback ports, each in its own temp dir, all killed when this
// process exits. Node built-ins only.
//
// Module:
//   import { startRedis, startRedisCluster, startFirestore, stopAll } from "./services.mjs";
//   const r = await startRedis();           // { url, host, port, pid, dir, logFile, stop() }
//   const c = await startRedisCluster();    // { nodes: ["127.0.0.1:p", ...], ports, stop() }
//   const f = await startFirestore();       // { host: "127.0.0.1:p", projectId, stop() }
//   Fault injection: startRedis({ appendOnly: true, port }), startFirestore({ port }); both
//   handles also have kill() (SIGKILL), restart() (same port and dir) and signal("SIGSTOP").
//
// CLI:
//   node scripts/services.mjs run [--redis] [--cluster] [--firestore] -- <command...>
//   node scripts/services.mjs start [--redis] [--cluster] [--firestore]   (prints env, Ctrl-C stops)
//
// Env: SYNCGUARD_SERVICES_KEEP=1 keeps the temp dirs (logs) after stop;
//      SYNCGUARD_FIRESTORE_JAR overrides the emulator jar path.

import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "./services/cli.mjs";

export { startServices } from "./services/all.mjs";
export { FIRESTORE_JAR, startFirestore } from "./services/firestore.mjs";
export { freeClusterPort, freePort } from "./services/ports.mjs";
export { redisCli, startRedis, startRedisCluster } from "./services/redis.mjs";
export { logTail, setSignalHook, stopAll } from "./services/supervisor.mjs";

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
