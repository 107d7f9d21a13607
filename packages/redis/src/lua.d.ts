/** A Lua script, imported as its source text (tsup's text loader; a jest transform in tests). */
declare module "*.lua" {
  const source: string;
  export default source;
}
