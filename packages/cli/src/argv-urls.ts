import { parseArgs } from "node:util";

/**
 * Every --url value on the command line (in any of the spellings node:util accepts) and
 * REDIS_URL: read before the arguments are checked, so even a usage error is printed scrubbed.
 */
export function candidateUrls(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const urls: string[] = env.REDIS_URL ? [env.REDIS_URL] : [];
  try {
    const { tokens } = parseArgs({
      args: [...argv],
      options: { url: { type: "string", multiple: true } },
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    for (const token of tokens) {
      if (token.kind === "option" && token.name === "url" && typeof token.value === "string") {
        urls.push(token.value);
      }
    }
  } catch {
    // Not even loosely parseable: every argument may be a URL.
    urls.push(...argv);
  }
  return urls;
}
