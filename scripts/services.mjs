#!/usr/bin/env node
// Local test services for SyncGuard: redis-server (single node), a 3-master Redis Cluster, the
// Firestore emulator and a throwaway PostgreSQL, each on free loopback ports, each in its own temp
// dir, all killed when this process exits. Node built-ins only.
//
// Module:
//   import { startRedis, startRedisCluster, startFirestore, stopAll } from "./services.mjs";
//   const r = await startRedis();           // { url, host, port, pid, dir, logFile, stop() }
//   const c = await startRedisCluster();    // { nodes: ["127.0.0.1:p", ...], ports, stop() }
//   const f = await startFirestore();       // { host: "127.0.0.1:p", projectId, stop() }
//   const p = await startPostgres();        // { url: "postgres://postgres:<random>@127.0.0.1:p/postgres", stop() }
//   Fault injection: startRedis({ appendOnly: true, port }), startFirestore({ port }); both
//   handles (and startPostgres's) also have kill() (SIGKILL), restart() (same port and dir) and
//   signal("SIGSTOP").
//
// CLI:
//   node scripts/services.mjs run [--redis] [--cluster] [--firestore] [--postgres] -- <command...>
//   node scripts/services.mjs start [--redis] [--cluster] [--firestore] [--postgres]   (prints env, Ctrl-C stops)
//   (no flag: redis, cluster and firestore; postgres only when named)
//
// Env: SYNCGUARD_SERVICES_KEEP=1 keeps the temp dirs (logs) after stop;
//      SYNCGUARD_FIRESTORE_JAR overrides the emulator jar path;
//      SYNCGUARD_POSTGRES_BIN the PostgreSQL bin dir (default: newest /usr/lib/postgresql/<v>/bin);
//      SYNCGUARD_POSTGRES_OS_USER the system user PostgreSQL runs as when we are root (default postgres).

import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "./services/cli.mjs";

export { startServices } from "./services/all.mjs";
export { FIRESTORE_JAR, startFirestore } from "./services/firestore.mjs";
export { freeClusterPort, freePort } from "./services/ports.mjs";
export { postgresBinDir, startPostgres } from "./services/postgres.mjs";
export { redisCli, startRedis, startRedisCluster } from "./services/redis.mjs";
export { logTail, setSignalHook, stopAll } from "./services/supervisor.mjs";

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
