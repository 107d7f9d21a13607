// jest's node environment, plus: a test file fails when an unhandled rejection or an uncaught
// exception happened outside jest-circus's own watch (see stray-errors.js), including one that
// arrived between the previous file of this worker and this one. jest.base.js makes it the
// default environment of every package, the conformance runs and the fault suite.
const { TestEnvironment } = require("jest-environment-node");
const { strayErrors, takeStrayErrors } = require("./stray-errors");

class StrictNodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    await super.setup();
    strayErrors().running = this.testPath;
  }

  async teardown() {
    // One more turn of the event loop: a rejection settled in the last one is reported now.
    await new Promise((resolve) => setImmediate(resolve));
    const state = strayErrors();
    state.running = undefined;
    state.finished = this.testPath;
    const found = takeStrayErrors();
    await super.teardown();
    if (found.length > 0) {
      throw new Error(
        `${found.length} unhandled rejection(s) / uncaught exception(s) outside any test:\n\n${found.join("\n\n")}`,
      );
    }
  }
}

module.exports = StrictNodeEnvironment;
