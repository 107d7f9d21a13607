#!/usr/bin/env node
import { main } from "./main";

// The `syncguard` command: the process's streams, and its exit code from main().
main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`syncguard: ${String(error)}\n`);
    process.exitCode = 5;
  },
);
