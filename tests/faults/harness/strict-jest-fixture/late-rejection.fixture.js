// Leaks on purpose: a timer that rejects after the file's only test has finished. The marker file
// tells the waiting file that the rejection happened.
const { writeFileSync } = require("node:fs");

it("returns at once, leaving a timer behind that rejects later", () => {
  setTimeout(() => {
    writeFileSync(process.env.STRICT_FIXTURE_MARKER, "rejected");
    Promise.reject(new Error("late rejection from a leaked timer"));
  }, 100).unref();
});
