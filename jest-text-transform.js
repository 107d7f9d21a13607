/** Jest transform for plain-text sources (Redis `.lua` scripts): the module exports the text. */
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)};` };
  },
};
