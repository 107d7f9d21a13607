// Runs scripts/services.mjs on behalf of a jest test file (jest cannot import an ES module), as
// a child process driven over IPC. Servers it starts die with it: services.mjs kills them at
// exit, and losing the IPC channel (the test process ended) stops everything.
import { startFirestore, startPostgres, startRedis, stopAll } from "../../../scripts/services.mjs";

const handles = new Map();
let nextId = 1;

const describe = (id, h) => ({
  id,
  pid: h.pid,
  port: h.port,
  url: h.url,
  host: h.host,
  logFile: h.logFile,
});

const handle = (id) => {
  const h = handles.get(id);
  if (!h) throw new Error(`no service with id ${id}`);
  return h;
};

const ops = {
  async startRedis(options) {
    const h = await startRedis(options);
    const id = nextId++;
    handles.set(id, h);
    return describe(id, h);
  },
  async startFirestore(options) {
    const h = await startFirestore(options);
    const id = nextId++;
    handles.set(id, h);
    return describe(id, h);
  },
  async startPostgres(options) {
    const h = await startPostgres(options);
    const id = nextId++;
    handles.set(id, h);
    return describe(id, h);
  },
  /** A signal to the server; PostgreSQL's handle sends it to its backends too. */
  async signal({ id, signal }) {
    handle(id).signal(signal);
    return describe(id, handle(id));
  },
  async kill({ id }) {
    await handle(id).kill();
    return describe(id, handle(id));
  },
  async restart({ id }) {
    await handle(id).restart();
    return describe(id, handle(id));
  },
  async stop({ id }) {
    await handle(id).stop();
    handles.delete(id);
    return null;
  },
  async stopAll() {
    await stopAll();
    handles.clear();
    return null;
  },
};

process.on("message", async (message) => {
  const { id, op, args } = message;
  try {
    const value = await ops[op](args ?? {});
    process.send({ id, ok: true, value });
  } catch (error) {
    process.send({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});

process.on("disconnect", () => {
  stopAll().finally(() => process.exit(0));
});

process.send({ ready: true });
