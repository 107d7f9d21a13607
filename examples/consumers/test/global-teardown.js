// Removes the temp dir of tarballs and consumer projects (kept with SYNCGUARD_KEEP_CONSUMERS=1).
const { rmSync } = require("node:fs");

module.exports = async function globalTeardown() {
  const dir = process.env.SYNCGUARD_CONSUMERS_DIR;
  if (!dir) return;
  if (process.env.SYNCGUARD_KEEP_CONSUMERS === "1") {
    process.stdout.write(`[consumers] kept ${dir}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
};
