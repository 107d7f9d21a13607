// Jest reporter: after the run, prints how many tests passed, failed and were skipped on each
// client library. A test is counted for the client its titles name ("node-redis 5", "ioredis 6", "iovalkey 0", "valkey-glide 2",
// …); files that name none run on node-redis 6, the default client of the suite.
const LABEL = /\b(node-redis|ioredis|iovalkey|valkey-glide) (\d+)\b/;
const DEFAULT_CLIENT = "node-redis 6";

class ClientMatrixReporter {
  onRunComplete(_contexts, results) {
    const counts = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        const label = LABEL.exec(test.fullName);
        const client = label ? `${label[1]} ${label[2]}` : DEFAULT_CLIENT;
        const entry = counts.get(client) ?? { passed: 0, failed: 0, skipped: 0 };
        if (test.status === "passed") entry.passed++;
        else if (test.status === "failed") entry.failed++;
        else entry.skipped++;
        counts.set(client, entry);
      }
    }
    const lines = [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([client, c]) =>
          `  ${client.padEnd(15)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`,
      );
    process.stdout.write(`\n[client matrix] tests per Redis client library\n${lines.join("\n")}\n`);
  }
}

module.exports = ClientMatrixReporter;
