/** Where the CLI reads and writes: the process's streams in the bin, buffers in tests. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Read for the confirmation of `release --force`; `isTTY` says whether anyone can answer. */
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** REDIS_URL and FIRESTORE_EMULATOR_HOST come from here. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The clock "expires in" is reckoned by. Default `Date.now`. */
  readonly now?: () => number;
}

export const print = (io: CliIO, text: string): void => {
  io.stdout.write(`${text}\n`);
};

export const printJson = (io: CliIO, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
