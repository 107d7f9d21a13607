// Extracts every ```ts block from the READMEs into blocks/<file>-<n>.ts, one module each, so
// `tsc` checks them against the real packages. Names the snippets take for granted (a backend,
// the user's own functions) are declared in globals.d.ts.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const docs = [
  "README.md",
  "packages/core/README.md",
  "packages/redis/README.md",
  "packages/firestore/README.md",
  "packages/conformance/README.md",
  "examples/custom-backend/README.md",
];
const out = path.join(here, "blocks");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let count = 0;
for (const doc of docs) {
  let text;
  try {
    text = readFileSync(path.join(root, doc), "utf8");
  } catch {
    continue; // a README that does not exist yet has no blocks to check
  }
  const blocks = [...text.matchAll(/```(ts|typescript)\n([\s\S]*?)```/g)];
  blocks.forEach((match, i) => {
    const name = `${doc.replace(/[/.]/g, "_")}-${i + 1}.ts`;
    // `export {}` makes each block a module: its names and top-level await stay local.
    writeFileSync(path.join(out, name), `// from ${doc}, block ${i + 1}\n${match[2]}\nexport {};\n`);
    count++;
  });
}
console.log(`extracted ${count} TypeScript blocks from ${docs.length} documents`);
