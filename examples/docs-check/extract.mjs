// Extracts every ```ts block from the READMEs into blocks/<file>-<n>.ts, one module each, so
// `tsc` checks them against the real packages. Names the snippets take for granted (a backend,
// the user's own functions and modules) are declared in globals.d.ts.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const docs = [
  "README.md",
  "MIGRATING.md",
  "packages/core/README.md",
  "packages/redis/README.md",
  "packages/firestore/README.md",
  "packages/postgres/README.md",
  "packages/conformance/README.md",
  "packages/opentelemetry/README.md",
  "packages/schedule/README.md",
  "packages/nestjs/README.md",
  "examples/custom-backend/README.md",
  "docs/production.md",
  "docs/coming-from-redlock-and-redis-semaphore.md",
];
const out = path.join(here, "blocks");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let count = 0;
for (const doc of docs) {
  const text = readFileSync(path.join(root, doc), "utf8");
  // Only blocks fenced exactly as ```ts are checked; a fence with more words (```ts excerpt,
  // ```ts vitest) marks a fragment, or a snippet for a tool this repository does not install.
  const blocks = [...text.matchAll(/^[ \t]*```(?:ts|typescript)\n([\s\S]*?)^[ \t]*```/gm)];
  blocks.forEach((match, i) => {
    const name = `${doc.replace(/[/.]/g, "_")}-${i + 1}.ts`;
    // The reader's own modules ("../src", "./my-backend") are typed by the "reader-code" stub.
    const code = match[1].replace(/from "\.{1,2}\/[^"]*"/g, 'from "reader-code"');
    // `export {}` makes each block a module: its names and top-level await stay local.
    writeFileSync(path.join(out, name), `// from ${doc}, block ${i + 1}\n${code}\nexport {};\n`);
    count++;
  });
}
if (count === 0) throw new Error("no TypeScript blocks found: the extractor is broken");
console.log(`extracted ${count} TypeScript blocks from ${docs.length} documents`);
