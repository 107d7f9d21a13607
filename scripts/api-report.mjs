#!/usr/bin/env node
// The public API of every published package, as API Extractor reports it from the built .d.ts
// files: one checked-in report per entry point (`packages/<pkg>/api/<entry>.api.md`). Any change
// to what users can import is a visible diff in review.
//
//   node scripts/api-report.mjs           check: fails when a report differs from the build
//   node scripts/api-report.mjs --write   rewrite the reports after an intended change
//
// Run after `pnpm build` (it reads dist/). The test command runs the check.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig } = require("@microsoft/api-extractor");

/** Each published package's entry points: export path -> built CommonJS declaration file. */
const ENTRIES = [
  ["core", ".", "dist/index.d.ts"],
  ["core", "./memory", "dist/memory/index.d.ts"],
  ["core", "./driver", "dist/driver/index.d.ts"],
  ["core", "./operator", "dist/operator/index.d.ts"],
  ["redis", ".", "dist/index.d.ts"],
  ["redis", "./operator", "dist/operator/index.d.ts"],
  ["redis", "./migrate", "dist/migrate/index.d.ts"],
  ["firestore", ".", "dist/index.d.ts"],
  ["firestore", "./operator", "dist/operator/index.d.ts"],
  ["firestore", "./migrate", "dist/migrate/index.d.ts"],
  ["postgres", ".", "dist/index.d.ts"],
  ["postgres", "./operator", "dist/operator/index.d.ts"],
  ["conformance", ".", "dist/index.d.ts"],
  ["opentelemetry", ".", "dist/index.d.ts"],
  ["cli", ".", "dist/index.d.ts"],
  ["schedule", ".", "dist/index.d.ts"],
  ["nestjs", ".", "dist/index.d.ts"],
];

const write = process.argv.includes("--write");
let failed = 0;

for (const [pkg, exportPath, dts] of ENTRIES) {
  const projectFolder = path.join(ROOT, "packages", pkg);
  const entry = exportPath === "." ? "index" : exportPath.slice(2);
  const reportFolder = path.join(projectFolder, "api");
  mkdirSync(reportFolder, { recursive: true });
  if (!existsSync(path.join(projectFolder, dts))) {
    console.error(`[api-report] ${pkg}: ${dts} is missing; run pnpm build first`);
    failed++;
    continue;
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder,
      mainEntryPointFilePath: path.join(projectFolder, dts),
      compiler: { tsconfigFilePath: path.join(projectFolder, "tsconfig.build.json") },
      apiReport: {
        enabled: true,
        reportFileName: `${entry}.api.md`,
        reportFolder,
        reportTempFolder: path.join(projectFolder, "node_modules", ".api-report"),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Doc-comment style is TypeDoc's business; the report is about the surface.
        extractorMessageReporting: { default: { logLevel: "none" } },
        tsdocMessageReporting: { default: { logLevel: "none" } },
        compilerMessageReporting: { default: { logLevel: "error" } },
      },
    },
    configObjectFullPath: path.join(projectFolder, "api-extractor.json"),
    packageJsonFullPath: path.join(projectFolder, "package.json"),
  });
  const result = Extractor.invoke(config, { localBuild: write, showVerboseMessages: false });
  const name = JSON.parse(readFileSync(path.join(projectFolder, "package.json"), "utf8")).name;
  const label = `${name}${exportPath === "." ? "" : exportPath.slice(1)}`;
  if (result.succeeded && !result.apiReportChanged) {
    console.log(`[api-report] ${label}: unchanged`);
  } else if (write && result.succeeded) {
    console.log(`[api-report] ${label}: written (review the diff of packages/${pkg}/api/)`);
  } else {
    failed++;
    console.error(
      `[api-report] ${label}: the public API differs from packages/${pkg}/api/${entry}.api.md. ` +
        "If the change is intended, run `node scripts/api-report.mjs --write` and commit the report.",
    );
  }
}
process.exitCode = failed > 0 ? 1 : 0;
