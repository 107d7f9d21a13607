/**
 * No error can end the CLI with exit 0 or 1 ("held" / "free"): whatever goes wrong inside the
 * process (a client library's unhandled rejection, a callback that throws, a call dropped without
 * settling, a bug) ends with one line on stderr and an exit code of 3 or 5, never Node's own crash
 * (exit 1 with a stack). The built bin, in child processes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isolatedBin, type Run, spawnCli } from "./helpers";

/** A stack line of a JavaScript error, as Node prints it. */
const STACK_LINE = /^\s+at /m;

function expectOneLine(run: Run): void {
  expect(run.stderr.split("\n").filter((line) => line !== "")).toHaveLength(1);
  expect(run.stderr).not.toMatch(STACK_LINE);
}

describe("Firestore without the emulator and without Google credentials", () => {
  // An empty home: no gcloud Application Default Credentials file to find.
  const home = mkdtempSync(path.join(tmpdir(), "syncguard-no-adc-"));
  const env = { HOME: home, CLOUDSDK_CONFIG: path.join(home, "gcloud") };

  it.each([[["inspect", "k"]], [["list"]], [["fence", "k"]]])(
    "%j exits 3 naming the missing credentials and how to give them",
    async (command) => {
      const run = await spawnCli([...command, "--project", "demo-test"], { env });
      expect(run.code).toBe(3);
      expectOneLine(run);
      expect(run.stderr).toMatch(/^syncguard: AuthFailed: no Google credentials found/);
      expect(run.stderr).toContain("FIRESTORE_EMULATOR_HOST");
      expect(run.stderr).toContain("gcloud auth application-default login");
      expect(run.stderr).toContain("(Firestore at project demo-test)");
      expect(run.stdout).toBe("");
    },
  );

  it("a credentials file that cannot be read is named the same way (exit 3)", async () => {
    const missing = path.join(home, "no-such-key.json");
    const run = await spawnCli(["inspect", "k", "--project", "demo-test"], {
      env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: missing },
    });
    expect(run.code).toBe(3);
    expectOneLine(run);
    expect(run.stderr).toMatch(/^syncguard: AuthFailed: Google credentials could not be loaded/);
    expect(run.stderr).toContain("GOOGLE_APPLICATION_CREDENTIALS");
  });
});

describe("errors from inside the process (a store package that misbehaves)", () => {
  const bin = isolatedBin({
    "@syncguard/core": { link: "core" },
    "@syncguard/redis": { fixture: "misbehaving-store" },
  });
  const run = (mode: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    spawnCli(["inspect", "k", "--url", "redis://fixture", "--mode", mode, ...extra], { bin, env });

  it("an unhandled rejection inside a client library neither crashes the CLI nor hides the store's answer", async () => {
    const plain = await run("stray-rejection");
    expect(plain.code).toBe(3);
    expectOneLine(plain);
    expect(plain.stderr).toContain("the store is down");
    // --debug shows it, with its stack.
    const debug = await run("stray-rejection", ["--debug"]);
    expect(debug.code).toBe(3);
    expect(debug.stderr).toContain("stray failure inside the client library");
    expect(debug.stderr).toMatch(STACK_LINE);
    expect(debug.stderr).toContain(
      "syncguard: debug: MetadataLookupWarning: received unexpected error",
    );
  });

  it("an exception thrown by a callback ends the command with exit 5 and one line", async () => {
    const plain = await run("throw-in-callback");
    expect(plain.code).toBe(5);
    expectOneLine(plain);
    expect(plain.stderr).toMatch(
      /^syncguard: unexpected error: TypeError: cannot read properties of undefined \(reading 'socket'\)/,
    );
    expect(plain.stderr).toContain("SYNCGUARD_DEBUG=1");
    const debug = await run("throw-in-callback", [], { SYNCGUARD_DEBUG: "1" });
    expect(debug.code).toBe(5);
    expect(debug.stderr).toMatch(STACK_LINE);
  });

  it("a call dropped without settling ends with exit 5, not a silent exit 0", async () => {
    const plain = await run("never-settles");
    expect(plain.code).toBe(5);
    expectOneLine(plain);
    expect(plain.stderr).toMatch(/^syncguard: unexpected error: .*ended without a result/);
    expect(plain.stdout).toBe("");
  });

  it("a bug inside a command is exit 5 with one line; --debug adds its stack", async () => {
    const plain = await run("bug-in-command");
    expect(plain.code).toBe(5);
    expectOneLine(plain);
    expect(plain.stderr).toMatch(
      /^syncguard: unexpected error: TypeError: backend\.lookup is not a function/,
    );
    const debug = await run("bug-in-command", ["--debug"]);
    expect(debug.code).toBe(5);
    expect(debug.stderr).toMatch(STACK_LINE);
    expect(debug.stderr).toContain("fixtures/misbehaving-store/operator.js");
  });
});

describe("a store package built on a core without semaphore operators", () => {
  const bin = isolatedBin({
    "@syncguard/core": { link: "core" },
    "@syncguard/redis": { fixture: "misbehaving-store" },
  });
  const cli = (argv: string[]) =>
    spawnCli([...argv, "--url", "redis://fixture", "--mode", "older-core"], { bin });

  it("inspects and lists locks as before; release --permit says to upgrade the store package (exit 2)", async () => {
    const inspected = await cli(["inspect", "k", "--json"]);
    expect([inspected.code, JSON.parse(inspected.stdout)]).toEqual([1, { key: "k", held: false }]);
    const listed = await cli(["list", "--json"]);
    expect([listed.code, JSON.parse(listed.stdout)]).toEqual([0, { locks: [], cursor: null }]);
    const released = await cli(["release", "--force", "--yes", "k", "--permit", "7"]);
    expect(released.code).toBe(2);
    expect(released.stderr).toMatch(
      /^syncguard: the installed Redis package predates semaphore operators: upgrade it/,
    );
  });
});
