#!/usr/bin/env node
// THE test command (`npm test` / `pnpm test`): tools → install → services → build → lint →
// typecheck → API docs → tests (one package at a time), with every line teed to a log file. Ends with a line
// `N passed, N failed[, N skipped]` and a non-zero exit if anything failed or no test ran.
//
//   node scripts/test-all.mjs [--only <turbo filter>]...
//   node scripts/test-all.mjs --parse <log file>     (re-count a saved log; no tools, no services)
//
// Env: SYNCGUARD_TEST_LOG=<file> (default: a file in the temp dir, printed at start and end),
//      SYNCGUARD_STEP_TIMEOUT_MIN=<minutes> (per-step watchdog, default 22).

import { spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkFirestore, ensurePnpm, ensurePostgres, ensureRedis } from "./ensure-tools.mjs";
import { setSignalHook, startServices } from "./services.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const INSTALL_STAMP = path.join(ROOT, "node_modules", ".syncguard-install-stamp");
const STRIP_ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");

// ---------------------------------------------------------------------------------------------
// Jest summary parsing (exported for tests)

function parseCounts(s) {
  const c = { passed: 0, failed: 0, skipped: 0, todo: 0, total: 0 };
  for (const m of s.matchAll(/(\d+) (passed|failed|skipped|todo|total)/g)) c[m[2]] += Number(m[1]);
  return c;
}

/**
 * Parses turbo+jest output. Returns per-package sums of jest's `Tests:` and `Test Suites:` lines
 * and the task ids turbo reports as failed.
 * @param {string} text
 */
export function parseTestOutput(text) {
  const packages = new Map();
  const get = (name) => {
    if (!packages.has(name)) {
      packages.set(name, {
        tests: { passed: 0, failed: 0, skipped: 0, todo: 0, total: 0 },
        suites: { passed: 0, failed: 0, skipped: 0, todo: 0, total: 0 },
        summaries: 0,
      });
    }
    return packages.get(name);
  };
  const failedTasks = new Set();
  for (const raw of text.replace(STRIP_ANSI, "").split(/\r?\n/)) {
    const prefix = /^(\S+?):([\w:-]+): /.exec(raw);
    const pkg = prefix ? prefix[1] : "(root)";
    const tests = /(?:^|\s)Tests:\s+((?:\d+ [a-z]+, )*\d+ total)\s*$/.exec(raw);
    if (tests) {
      const p = get(pkg);
      const c = parseCounts(tests[1]);
      for (const k of Object.keys(c)) p.tests[k] += c[k];
      p.summaries++;
      continue;
    }
    const suites = /(?:^|\s)Test Suites:\s+((?:\d+ [a-z]+, )*\d+ total)\s*$/.exec(raw);
    if (suites) {
      const p = get(pkg);
      const c = parseCounts(suites[1]);
      for (const k of Object.keys(c)) p.suites[k] += c[k];
      continue;
    }
    const failed = /^\s*Failed:\s+(.+)$/.exec(raw);
    if (failed && !prefix) {
      // Only test tasks: a dependency's failed build is reported by the build step already.
      for (const t of failed[1].split(/[,\s]+/)) if (/#test$/.test(t)) failedTasks.add(t);
    }
  }
  return { packages, failedTasks };
}

/**
 * Turns step results + parsed test output into totals.
 * @param {{ name: string, ok: boolean, isTest?: boolean, note?: string }[]} steps
 * @param {ReturnType<typeof parseTestOutput>} parsed
 */
export function summarize(steps, parsed) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const notes = [];
  for (const [pkg, p] of parsed.packages) {
    passed += p.tests.passed;
    failed += p.tests.failed;
    skipped += p.tests.skipped + p.tests.todo;
    // Suites that failed to run (compile error, hook failure) have no failed test to show for it.
    if (p.suites.failed > 0 && p.tests.failed === 0) {
      failed += p.suites.failed;
      notes.push(`${pkg}: ${p.suites.failed} test suite(s) failed to run (counted as failures)`);
    }
  }
  for (const task of parsed.failedTasks) {
    const pkg = task.split("#")[0];
    const p = parsed.packages.get(pkg);
    const counted = p && (p.tests.failed > 0 || p.suites.failed > 0);
    if (!counted) {
      failed += 1;
      notes.push(`${task} failed without a failing jest test (counted as 1 failure)`);
    }
  }
  for (const s of steps) {
    if (s.ok) continue;
    if (s.isTest) {
      // The test step failed: make sure that is visible in the count.
      const anyCounted = failed > 0;
      if (!anyCounted) {
        failed += 1;
        notes.push(`step '${s.name}' failed${s.note ? ` (${s.note})` : ""} (counted as 1 failure)`);
      }
    } else {
      failed += 1;
      notes.push(`step '${s.name}' failed${s.note ? ` (${s.note})` : ""} (counted as 1 failure)`);
    }
  }
  const line = `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : "");
  const ok = failed === 0 && passed > 0 && steps.every((s) => s.ok);
  if (passed + failed === 0) notes.push("no tests ran");
  return { passed, failed, skipped, notes, line, ok };
}

// ---------------------------------------------------------------------------------------------
// Runner

let logStream;
function out(text) {
  process.stdout.write(text);
  logStream?.write(text.replace(STRIP_ANSI, ""));
}
function say(msg) {
  out(`[test-all] ${msg}\n`);
}
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

let current = null; // { child } of the running step
let aborted = null; // signal name once we were asked to stop

function runStep(cmd, args, env, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let text = "";
    let timedOut = false;
    // Own process group so a timeout or a forwarded signal reaches turbo, pnpm and jest alike.
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    current = { child };
    const onData = (d) => {
      const s = d.toString();
      text += s;
      out(s);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => {
      timedOut = true;
      say(`step timed out after ${secs(timeoutMs)}; killing it`);
      killGroup(child, "SIGTERM");
      setTimeout(() => killGroup(child, "SIGKILL"), 5000).unref();
    }, timeoutMs);
    let spawnError = null;
    child.once("error", (e) => {
      spawnError = e;
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      current = null;
      if (spawnError) out(`cannot run ${cmd}: ${spawnError.message}\n`);
      resolve({
        code: spawnError ? 127 : (code ?? 128),
        signal,
        timedOut,
        text,
        ms: Date.now() - t0,
      });
    });
  });
}

function killGroup(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // gone
    }
  }
}

function workspaceDirs() {
  const dirs = [];
  for (const parent of ["packages", "examples"]) {
    const p = path.join(ROOT, parent);
    if (!existsSync(p)) continue;
    for (const d of readdirSync(p)) dirs.push(path.join(p, d));
  }
  dirs.push(path.join(ROOT, "bench"));
  return dirs.filter((d) => existsSync(path.join(d, "package.json")));
}

/** Why an install is needed, or null if node_modules looks current. */
function installReason() {
  if (process.env.CI && process.env.CI !== "false") return "CI";
  const modules = path.join(ROOT, "node_modules", ".modules.yaml");
  if (!existsSync(modules)) return "node_modules missing";
  // pnpm leaves .modules.yaml alone when nothing changed, so we keep our own stamp as well.
  const installed = Math.max(
    statSync(modules).mtimeMs,
    existsSync(INSTALL_STAMP) ? statSync(INSTALL_STAMP).mtimeMs : 0,
  );
  const inputs = [
    path.join(ROOT, "pnpm-lock.yaml"),
    path.join(ROOT, "pnpm-workspace.yaml"),
    path.join(ROOT, "package.json"),
  ];
  for (const d of workspaceDirs()) {
    const pj = path.join(d, "package.json");
    inputs.push(pj);
    const pkg = JSON.parse(readFileSync(pj, "utf8"));
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    if (Object.keys(deps).length > 0 && !existsSync(path.join(d, "node_modules"))) {
      return `${path.relative(ROOT, d)}/node_modules missing`;
    }
  }
  for (const f of inputs) {
    if (existsSync(f) && statSync(f).mtimeMs > installed) {
      return `${path.relative(ROOT, f)} changed since the last install`;
    }
  }
  return null;
}

function parseArgs(argv) {
  const only = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--only") {
      if (!argv[i + 1])
        throw new Error("--only needs a turbo filter, e.g. --only @syncguard/redis");
      only.push(argv[++i]);
    } else if (a.startsWith("--only=")) only.push(a.slice(7));
    else if (a === "--parse") {
      if (!argv[i + 1]) throw new Error("--parse needs a log file");
      return { parse: argv[i + 1] };
    } else if (a === "-h" || a === "--help") return { help: true };
    else throw new Error(`unknown argument ${a} (usage: test-all.mjs [--only <filter>]...)`);
  }
  return { only };
}

async function main() {
  const t0 = Date.now();
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(
      "usage: node scripts/test-all.mjs [--only <turbo filter>]... | --parse <log file>\n" +
        "tools, install, services, build, lint, typecheck, tests; ends with 'N passed, N failed'\n",
    );
    return 0;
  }
  if (opts.parse) {
    // Re-summarize a saved log (ours, or raw turbo/jest output): for checking the counting logic.
    const text = readFileSync(opts.parse, "utf8");
    const steps = [...text.matchAll(/^\[test-all\] step '(\w+)' FAILED \((.*)\)$/gm)].map((m) => ({
      name: m[1],
      ok: false,
      isTest: m[1] === "test",
      note: m[2],
    }));
    const sum = summarize(steps, parseTestOutput(text));
    for (const n of sum.notes) process.stdout.write(`NOTE ${n}\n`);
    process.stdout.write(`${sum.line}\n`);
    return sum.ok ? 0 : 1;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const logFile =
    process.env.SYNCGUARD_TEST_LOG || path.join(os.tmpdir(), `syncguard-test-all-${stamp}.log`);
  logStream = createWriteStream(logFile);
  say(`log: ${logFile}`);

  const stepTimeout = Number(process.env.SYNCGUARD_STEP_TIMEOUT_MIN || 22) * 60_000;
  const steps = [];
  const timings = [];
  let parsed = { packages: new Map(), failedTasks: new Set() };

  const finish = async (svcPromise) => {
    if (svcPromise) {
      const svc = await svcPromise.catch(() => null);
      if (svc) {
        const ts = Date.now();
        await svc.stop();
        timings.push(["stop services", Date.now() - ts]);
      }
    }
    const sum = summarize(steps, parsed);
    say("---------------- summary ----------------");
    for (const [name, ms] of timings) say(`${name.padEnd(16)} ${secs(ms)}`);
    for (const s of steps)
      say(`${s.ok ? "ok  " : "FAIL"} ${s.name}${s.note ? `  (${s.note})` : ""}`);
    for (const [pkg, p] of parsed.packages) {
      say(
        `${pkg}: ${p.tests.passed} passed, ${p.tests.failed} failed, ` +
          `${p.tests.skipped + p.tests.todo} skipped (suites: ${p.suites.failed} failed / ${p.suites.total})`,
      );
    }
    for (const n of sum.notes) say(`NOTE ${n}`);
    say(`total ${secs(Date.now() - t0)}; log: ${logFile}`);
    out(`${sum.line}\n`);
    await new Promise((r) => logStream.end(r));
    if (aborted) return 128 + (aborted === "SIGINT" ? 2 : 15);
    return sum.ok ? 0 : 1;
  };

  // Ctrl-C / SIGTERM: stop the running step (its whole process group), skip the rest, clean up.
  setSignalHook((sig) => {
    if (aborted) return false; // second signal: services.mjs stops everything and exits
    aborted = sig;
    say(`${sig} received: stopping`);
    if (current) killGroup(current.child, sig);
    return true;
  });
  process.on("exit", () => {
    if (current) killGroup(current.child, "SIGKILL");
  });

  // 1. tools
  let pnpm;
  const tt = Date.now();
  try {
    pnpm = ensurePnpm();
    say(`pnpm ${pnpm.version} via ${pnpm.how}`);
    say(`redis ${ensureRedis()}`);
    say(`postgres ${ensurePostgres()}`);
    say(`java: ${checkFirestore()}`);
  } catch (e) {
    steps.push({ name: "tools", ok: false, note: e.message });
    say(`FATAL: ${e.message}`);
    return finish(null);
  }
  timings.push(["tools", Date.now() - tt]);

  const env = {
    ...process.env,
    TURBO_TELEMETRY_DISABLED: "1",
    METADATA_SERVER_DETECTION: "none",
  };
  const pn = (args, extraEnv = {}) =>
    runStep(pnpm.cmd, [...pnpm.prefix, ...args], { ...env, ...extraEnv }, stepTimeout);

  // 2. services, in the background while we install and build (emulator startup ~2 s, postgres
  // initdb + start under 1 s)
  say("starting redis, redis cluster, firestore emulator and postgres");
  const svcPromise = startServices({ postgres: true }).then(
    (svc) => {
      const t = svc.timings;
      say(
        `services ready in ${secs(t.total)} (redis ${secs(t.redis)}, cluster ${secs(t.cluster)}, firestore ${secs(t.firestore)}, postgres ${secs(t.postgres)}): ` +
          Object.entries(svc.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(" "),
      );
      timings.push(["services", t.total]);
      return svc;
    },
    (e) => {
      say(`services failed to start:\n${e.message}`);
      throw e;
    },
  );
  svcPromise.catch(() => {}); // handled where awaited

  // 3. install
  const why = installReason();
  if (why) {
    say(`$ pnpm install --frozen-lockfile   (${why})`);
    const r = await pn(["install", "--frozen-lockfile"]);
    timings.push(["install", r.ms]);
    if (r.code !== 0) {
      steps.push({ name: "install", ok: false, note: `exit ${r.code}` });
      return finish(svcPromise);
    }
    steps.push({ name: "install", ok: true });
    writeFileSync(INSTALL_STAMP, `${new Date().toISOString()}\n`);
  } else {
    say("node_modules up to date; skipping pnpm install");
  }

  const filters = opts.only.map((f) => `--filter=${f}`);
  const turbo = ["turbo", "run"];
  const turboFlags = ["--continue=always", "--log-prefix=task", "--ui=stream", ...filters];
  const plan = [
    { name: "build", args: [...turbo, "build", ...turboFlags] },
    { name: "lint", args: ["lint"] },
    { name: "typecheck", args: [...turbo, "typecheck", ...turboFlags] },
    // The API reference (TypeDoc, from the TSDoc of the public API) must build without warnings.
    { name: "api docs", args: ["run", "docs:api"] },
    // The public API must match the checked-in reports (packages/*/api/*.api.md).
    { name: "api report", args: ["run", "api:check"] },
    {
      name: "test",
      args: [...turbo, "test", "--concurrency=1", ...turboFlags],
      isTest: true,
      needsServices: true,
    },
  ];
  for (const step of plan) {
    if (aborted) {
      steps.push({ name: step.name, ok: false, isTest: step.isTest, note: `skipped (${aborted})` });
      continue;
    }
    let extraEnv = {};
    if (step.needsServices) {
      try {
        extraEnv = (await svcPromise).env;
      } catch {
        steps.push({ name: step.name, ok: false, isTest: true, note: "services failed to start" });
        continue;
      }
    }
    say(`$ pnpm ${step.args.join(" ")}`);
    const r = await pn(step.args, extraEnv);
    timings.push([step.name, r.ms]);
    const ok = r.code === 0 && !r.timedOut && !aborted;
    const note = r.timedOut
      ? "timed out"
      : aborted
        ? `interrupted (${aborted})`
        : ok
          ? undefined
          : `exit ${r.code}`;
    steps.push({ name: step.name, ok, isTest: step.isTest, note });
    if (!ok) say(`step '${step.name}' FAILED (${note})`);
    if (step.isTest) parsed = parseTestOutput(r.text);
  }
  return finish(svcPromise);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`[test-all] crashed: ${e.stack ?? e}\n0 passed, 1 failed\n`);
      process.exit(1);
    },
  );
}
