// Measuring what a lock library asks of Redis.
//
// - Round trips: every request a client writes to the bench's redis-server is counted on the
//   client side by a tiny RESP request parser hooked into net.Socket#write (node-redis and ioredis
//   both write through it). Commands run *inside* a Lua script are not requests and are not
//   counted; pipelined commands each count. The hook is a single flag check when counting is off.
// - Server commands: `INFO commandstats` deltas, which also count every redis.call() made inside
//   scripts. Reported next to round trips so both views are visible.
// - Connections: `CLIENT LIST` on a separate admin connection.

import { createRequire } from "node:module";
import net from "node:net";

const require = createRequire(import.meta.url);
const { createClient } = require("redis");

const counter = {
  port: 0,
  enabled: false,
  requests: 0,
  /** @type {WeakMap<net.Socket, {line: string, skip: number}>} */
  parsers: new WeakMap(),
};

/** Feeds written bytes to the per-socket parser; counts top-level `*N` request headers. */
function feed(state, buf) {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    if (state.skip > 0) {
      const k = Math.min(state.skip, n - i);
      state.skip -= k;
      i += k;
      continue;
    }
    const c = buf[i++];
    if (c === 10) {
      const line = state.line;
      state.line = "";
      if (line.charCodeAt(0) === 42 /* * */) counter.requests++;
      else if (line.charCodeAt(0) === 36 /* $ */) state.skip = Number(line.slice(1)) + 2;
    } else if (c !== 13) {
      state.line += String.fromCharCode(c);
    }
  }
}

let installed = false;
/** Installs the write hook for sockets connected to `port` (once). */
export function installRequestCounter(port) {
  counter.port = port;
  if (installed) return;
  installed = true;
  const original = net.Socket.prototype.write;
  net.Socket.prototype.write = function countingWrite(chunk, encoding, cb) {
    if (counter.enabled && this.remotePort === counter.port) {
      let state = counter.parsers.get(this);
      if (!state) {
        state = { line: "", skip: 0 };
        counter.parsers.set(this, state);
      }
      const buf =
        typeof chunk === "string"
          ? Buffer.from(chunk, typeof encoding === "string" ? encoding : "utf8")
          : chunk;
      feed(state, buf);
    }
    return original.call(this, chunk, encoding, cb);
  };
}

/** Starts counting requests; returns a function that stops and returns the count. */
export function countRequests() {
  counter.requests = 0;
  counter.enabled = true;
  return () => {
    counter.enabled = false;
    return counter.requests;
  };
}

/** A plain node-redis connection for INFO / CLIENT LIST / FLUSHALL; never counted. */
export async function createAdmin(url) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const id = await client.clientId();
  return {
    client,
    async commandStats() {
      const text = await client.info("commandstats");
      const stats = {};
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[m[1]] = Number(m[2]);
      return stats;
    },
    /** redis-server CPU time (user + sys) so far, in µs. */
    async serverCpuMicros() {
      const text = await client.info("cpu");
      const user = Number(/used_cpu_user:([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
      const sys = Number(/used_cpu_sys:([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
      return (user + sys) * 1e6;
    },
    async clientCount() {
      const text = await client.sendCommand(["CLIENT", "LIST"]);
      return text
        .split("\n")
        .filter((line) => line.startsWith("id=") && !line.startsWith(`id=${id} `)).length;
    },
    async clients() {
      const text = await client.sendCommand(["CLIENT", "LIST"]);
      return text
        .split("\n")
        .filter((line) => line.startsWith("id=") && !line.startsWith(`id=${id} `));
    },
    /** Keys whose names match `pattern` (SCAN, so the server never blocks on it). */
    async countKeys(pattern) {
      let count = 0;
      for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
        count += batch.length;
      }
      return count;
    },
    flush: () => client.flushAll(),
    close: () => client.close?.() ?? client.quit(),
  };
}

const ADMIN_COMMANDS = new Set(["info", "client|list", "client|id", "flushall", "hello", "client"]);

/** Total server-side command calls between two commandstats snapshots, admin commands excluded. */
export function commandDelta(before, after) {
  let total = 0;
  const byCommand = {};
  for (const [name, calls] of Object.entries(after)) {
    if (ADMIN_COMMANDS.has(name)) continue;
    const d = calls - (before[name] ?? 0);
    if (d > 0) {
      total += d;
      byCommand[name] = d;
    }
  }
  return { total, byCommand };
}
