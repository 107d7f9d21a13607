// Keeps the run going (in another worker) until the leaky file's timer has fired.
const { existsSync } = require("node:fs");

it("waits until the leaked timer has fired", async () => {
  const until = performance.now() + 20_000;
  while (!existsSync(process.env.STRICT_FIXTURE_MARKER)) {
    if (performance.now() > until) throw new Error("the leaked timer never fired");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});
