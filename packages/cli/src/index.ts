/**
 * `@syncguard/cli`: the `syncguard` command. The bin is the product; `main` runs it in-process
 * (tests, wrappers) with the streams you give it.
 */
export { CliError, EXIT_CODES, type ExitCode } from "./exit-codes";
export type { CliIO } from "./io";
export { main } from "./main";
