// Free loopback ports, and starting a server on one: a port found free can be taken by someone
// else before the server binds it, so a start on a chosen port is retried on a new one.

import net from "node:net";
import { HOST } from "./supervisor.mjs";

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const reservedClusterPorts = new Set();

/** A port in 30000-39999 such that port and port+10000 (its cluster bus) are both free. */
export async function freeClusterPort() {
  for (let i = 0; i < 200; i++) {
    const p = 30000 + Math.floor(Math.random() * 10000);
    if (reservedClusterPorts.has(p)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) {
      reservedClusterPorts.add(p);
      return p;
    }
  }
  throw new Error("no free port pair (p, p+10000) found in 30000-39999");
}

export function releaseClusterPort(port) {
  reservedClusterPorts.delete(port);
}

/**
 * Starts a server with `launch(port)`: on `fixedPort` once, or on ports from `pickPort`, trying a
 * new one (up to `attempts`) when the server died saying its port was taken (`inUse` matches its
 * log).
 */
export async function launchOnPort({ fixedPort, pickPort = freePort, attempts, inUse, launch }) {
  let lastErr;
  for (let attempt = 0; attempt < (fixedPort === undefined ? attempts : 1); attempt++) {
    const port = fixedPort ?? (await pickPort());
    try {
      return await launch(port);
    } catch (e) {
      lastErr = e;
      if (fixedPort === undefined && e.exitedEarly && inUse.test(e.log ?? "")) continue;
      throw e;
    }
  }
  throw lastErr;
}
