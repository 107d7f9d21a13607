/**
 * A connection URL as the CLI may print it: any password replaced by "***" (a URL is also shown
 * that way when it does not parse, in case it holds one).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@");
  }
}
