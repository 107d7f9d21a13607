// "Your LockBackend factory" of the conformance README: the file-system backend of
// examples/custom-backend (its sources are copied next to this file by the consumer test).
import { createFileBackend } from "./file-backend";
import { prepareDirectory } from "./store";

export async function createMyBackend(options: { dir: string }) {
  await prepareDirectory(options.dir);
  return createFileBackend(options);
}
