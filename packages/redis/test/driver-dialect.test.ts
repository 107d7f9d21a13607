/**
 * One driver dialect across the store packages (issue 26): every package with a
 * `src/operations` directory lays its driver out the same way, so a reader who knows one knows
 * them all. Read from the sources and the API reports, so it runs without services:
 * - `src/context.ts` exports `DriverContext`, what each operation receives as its first argument;
 * - `src/operations/<method>.ts` (kebab-case) for each LockDriver operation the driver wires in
 *   `src/backend.ts`, exporting a function named as the method; nothing else lives there but the
 *   Lua scripts those files import;
 * - a driver with semaphores builds them in `src/operations/permits.ts` from one
 *   `src/operations/<method>-permit.ts` per PermitDriver operation it wires (the optional
 *   `read` and `list` too), exporting `<method>Permit`;
 * - the main entry exports `createLock`, `create<Store>Backend`, `<Store>Backend`,
 *   `<Store>BackendOptions`, `<Store>LockOptions` and `<Store>Capabilities`.
 * The operations are read from core's LockDriver itself: a method core adds is checked too.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const PACKAGES = join(__dirname, "..", "..");

/** Deviations known today, each still to be fixed by its package's owner; an entry that no longer deviates fails. */
const KNOWN_DEVIATIONS: ReadonlyMap<string, string> = new Map([
  [
    "firestore:watch",
    "operations/watch.ts exports the SnapshotWatcher class, not a watch function",
  ],
]);

const read = (...path: string[]): string => readFileSync(join(PACKAGES, ...path), "utf8");

/** LockDriver's operations: its methods that take an input or a key (not toLockError, close). */
function driverOperations(): string[] {
  const source = read("core", "src", "driver.ts");
  const body = /export interface LockDriver<[^>]*>[^{]*\{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (!body) throw new Error("LockDriver not found in packages/core/src/driver.ts");
  return [...body.matchAll(/^ {2}(\w+)\??\((input|key):/gm)].map((match) => match[1] as string);
}

/**
 * PermitDriver's operations that take an input (its optional `watch` is wired in
 * operations/permits.ts itself), read from core's PermitDriver: a method core adds is checked too.
 */
function permitOperations(): { readonly method: string; readonly optional: boolean }[] {
  const source = read("core", "src", "driver.ts");
  const body = /export interface PermitDriver \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (!body) throw new Error("PermitDriver not found in packages/core/src/driver.ts");
  return [...body.matchAll(/^ {2}(\w+)(\?)?\(input:/gm)].map((match) => ({
    method: match[1] as string,
    optional: match[2] === "?",
  }));
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const storeName = (pkg: string): string => pkg[0]?.toUpperCase() + pkg.slice(1);

const storePackages = readdirSync(PACKAGES).filter((pkg) =>
  existsSync(join(PACKAGES, pkg, "src", "operations")),
);
const operations = driverOperations();
const permitMethods = permitOperations();

interface Finding {
  readonly where: string;
  readonly what: string;
}

/** Everything in one package that departs from the dialect. */
function departures(pkg: string): Finding[] {
  const found: Finding[] = [];
  const say = (where: string, what: string) => found.push({ where: `${pkg}:${where}`, what });
  const dir = join(PACKAGES, pkg, "src", "operations");
  const files = readdirSync(dir);
  const backend = read(pkg, "src", "backend.ts");
  const wired = operations.filter((method) =>
    new RegExp(`^\\s+${method}\\s*(:|\\()`, "m").test(backend),
  );
  for (const method of wired) {
    const file = `${kebab(method)}.ts`;
    if (!files.includes(file)) {
      say(method, `the driver wires ${method} but operations/${file} is missing`);
      continue;
    }
    const source = readFileSync(join(dir, file), "utf8");
    if (
      !new RegExp(`export (async )?function ${method}\\(\\s*ctx: DriverContext\\b`).test(source)
    ) {
      const exported = [...source.matchAll(/export (?:async )?(?:function|class|const) (\w+)/g)];
      say(
        method,
        `operations/${file} has no function ${method}(ctx: DriverContext, …); it exports ${
          exported.map((match) => match[1]).join(", ") || "nothing"
        }`,
      );
    }
  }
  const ownFiles = new Set(wired.map((method) => `${kebab(method)}.ts`));
  // Semaphores (ADR-039): a driver that wires `permits` builds them in operations/permits.ts from
  // one operations/<method>-permit.ts per PermitDriver operation, exporting <method>Permit(ctx, …).
  if (/^\s+permits[:,]/m.test(backend)) {
    ownFiles.add("permits.ts");
    if (!files.includes("permits.ts"))
      say("permits", "the driver wires permits but operations/permits.ts is missing");
    // Required operations always; an optional one (withdraw) where permits.ts wires it.
    const permits = files.includes("permits.ts")
      ? read(pkg, "src", "operations", "permits.ts")
      : "";
    const wiredPermits = permitMethods
      .filter(
        ({ method, optional }) => !optional || new RegExp(`^\\s+${method}:`, "m").test(permits),
      )
      .map(({ method }) => method);
    for (const method of wiredPermits) {
      const file = `${method}-permit.ts`;
      ownFiles.add(file);
      if (!files.includes(file)) {
        say(`${method}Permit`, `the driver wires permits but operations/${file} is missing`);
        continue;
      }
      const source = readFileSync(join(dir, file), "utf8");
      if (
        !new RegExp(`export (async )?function ${method}Permit\\(\\s*ctx: DriverContext\\b`).test(
          source,
        )
      ) {
        say(
          `${method}Permit`,
          `operations/${file} has no function ${method}Permit(ctx: DriverContext, …)`,
        );
      }
    }
  }
  for (const file of files) {
    if (file.endsWith(".lua")) {
      const user = files.find(
        (other) =>
          other.endsWith(".ts") && readFileSync(join(dir, other), "utf8").includes(`"./${file}"`),
      );
      if (!user) say(file, `operations/${file} is not imported by an operation beside it`);
    } else if (!ownFiles.has(file)) {
      say(file, `operations/${file} is not the file of an operation the driver wires`);
    }
  }
  const context = read(pkg, "src", "context.ts");
  if (!/export interface DriverContext\b/.test(context)) {
    say("context", "src/context.ts does not export interface DriverContext");
  }
  const api = read(pkg, "api", "index.api.md");
  const store = storeName(pkg);
  for (const name of [
    "createLock",
    `create${store}Backend`,
    `${store}Backend`,
    `${store}BackendOptions`,
    `${store}LockOptions`,
    `${store}Capabilities`,
  ]) {
    if (!new RegExp(`^export (function|type|interface|class|const) ${name}\\b`, "m").test(api)) {
      say("entry", `the main entry does not export ${name} (api/index.api.md)`);
    }
  }
  return found;
}

describe("one driver dialect across the store packages", () => {
  it("reads LockDriver's operations from core and finds the store packages", () => {
    expect(operations).toEqual(
      expect.arrayContaining(["acquire", "release", "extend", "readByKey", "readByLockId"]),
    );
    expect(operations).not.toContain("toLockError");
    expect(storePackages).toEqual(expect.arrayContaining(["firestore", "postgres", "redis"]));
  });

  it.each(storePackages)("%s follows it", (pkg) => {
    const unexpected = departures(pkg).filter(({ where }) => !KNOWN_DEVIATIONS.has(where));
    expect(unexpected).toEqual([]);
  });

  it("every known deviation is still one (remove an entry once its package is fixed)", () => {
    const all = storePackages.flatMap(departures).map(({ where }) => where);
    expect([...KNOWN_DEVIATIONS.keys()].filter((where) => !all.includes(where))).toEqual([]);
  });
});
