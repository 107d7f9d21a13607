// Leaks on purpose: a timer that throws after the file's only test has finished.
const { writeFileSync } = require("node:fs");

it("returns at once, leaving a timer behind that throws later", () => {
  setTimeout(() => {
    writeFileSync(process.env.STRICT_FIXTURE_MARKER, "thrown");
    throw new Error("late throw from a leaked timer");
  }, 100).unref();
});
