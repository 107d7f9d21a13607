/**
 * Keeps known secrets (passwords of the connection settings) out of everything the CLI prints.
 * The secrets come from the parsed settings, never from guessing at text; what is scrubbed is
 * each secret in every form it can take in a message: as parsed, as typed, percent-encoded the
 * ways URLs and query strings encode it, and escaped inside a JSON string.
 */

/** Replaces a secret wherever it appears. */
export const MASK = "***";

/**
 * Secrets shorter than this are scrubbed from stderr only: stdout carries only what the store
 * returned (keys, fences, times), and masking every "pw" or "1" in it would corrupt the data.
 */
const MIN_DATA_SECRET = 4;

/** Every spelling of `secret` a URL, a query string, a library message or JSON can hold. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const decoded = tryDecode(secret);
  for (const plain of decoded === undefined ? [secret] : [secret, decoded]) {
    forms.add(plain);
    forms.add(encodeURIComponent(plain));
    forms.add(new URLSearchParams({ s: plain }).toString().slice(2)); // form encoding ("+")
    forms.add(userinfoEncoded(plain));
    forms.add(JSON.stringify(plain).slice(1, -1));
  }
  for (const form of [...forms]) {
    // Percent-escapes are case-insensitive: a library may print either case.
    forms.add(form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    forms.add(form.replace(/%[0-9a-f]{2}/gi, (hex) => hex.toUpperCase()));
  }
  forms.delete("");
  return [...forms];
}

/** The secret percent-decoded (a secret as typed in a URL), when that means anything. */
function tryDecode(text: string): string | undefined {
  try {
    const decoded = decodeURIComponent(text);
    return decoded === text ? undefined : decoded;
  } catch {
    return undefined; // a raw "%": the lenient decoding is among the operator's secrets already
  }
}

/** `plain` as the WHATWG URL parser writes it into the password of a URL. */
function userinfoEncoded(plain: string): string {
  const url = new URL("x://h");
  url.password = plain;
  return url.password;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The secrets of one CLI run, and the text filter that hides them. */
export class Scrubber {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;
  private dataPattern: RegExp | undefined;

  /** Adds secrets (empty values are ignored). */
  add(secrets: Iterable<string>): void {
    for (const secret of secrets) {
      if (typeof secret !== "string" || secret === "") continue;
      for (const form of secretForms(secret)) this.forms.add(form);
    }
    this.pattern = compile([...this.forms]);
    this.dataPattern = compile([...this.forms].filter((f) => [...f].length >= MIN_DATA_SECRET));
  }

  /** `text` with every known secret masked (for stderr: every secret, however short). */
  scrub(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }

  /** `text` with every secret of at least four characters masked (for stdout, see above). */
  scrubData(text: string): string {
    return this.dataPattern ? text.replace(this.dataPattern, MASK) : text;
  }
}

/** One alternation, longest form first, so a secret is masked whole rather than in parts. */
function compile(forms: string[]): RegExp | undefined {
  if (forms.length === 0) return undefined;
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegExp).join("|"), "g");
}
