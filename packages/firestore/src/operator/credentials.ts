import { LockError } from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";
import { loadPeer, resolvePeer } from "./peer";

/** The part of google-auth-library's GoogleAuth (as google-gax re-exports it) used here. */
interface GoogleAuthLike {
  getClient(): Promise<unknown>;
  getProjectId(): Promise<string>;
}
type GoogleAuthClass = new (options: {
  scopes: readonly string[];
  projectId?: string;
}) => GoogleAuthLike;

/** The scopes the Firestore client asks for. */
const SCOPES = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/datastore",
];

const HINT =
  "for the emulator set FIRESTORE_EMULATOR_HOST=host:port; for Google Cloud run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file";

/**
 * Looks for Application Default Credentials (and the project, when none was given) the way the
 * Firestore client will, with the same library, before the client is made: without credentials
 * the client retries loading them for seconds, then fails its calls with a timeout and leaves
 * rejections nobody handles. Finding them reads the environment and a file (on Google Cloud, asks
 * the metadata server once; the library remembers the answer for the client). Nothing is
 * verified with Google: a refused credential still shows at the first call.
 */
export async function checkCredentials(options: {
  readonly emulator: boolean;
  readonly projectId?: string;
  readonly timeoutMs: number;
}): Promise<void> {
  if (options.emulator && options.projectId !== undefined) return; // the emulator needs neither
  const { GoogleAuth } = loadPeer<{ GoogleAuth: GoogleAuthClass }>(
    resolvePeer("google-gax", "@google-cloud/firestore"),
  );
  const auth = new GoogleAuth({
    scopes: SCOPES,
    ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
  });
  const deadline = monotonicClock() + options.timeoutMs;
  if (!options.emulator) {
    const found = await raceDeadline(auth.getClient(), deadline);
    if (found.by === "error") throw credentialsError(found.error);
    if (found.by === "deadline") {
      throw new LockError(
        "ServiceUnavailable",
        `looking for Google credentials took longer than ${options.timeoutMs} ms (the metadata server did not answer): ${HINT}`,
      );
    }
  }
  if (options.projectId === undefined) {
    const project = await raceDeadline(auth.getProjectId(), deadline);
    if (project.by !== "value") {
      throw new LockError(
        "InvalidArgument",
        "no Firestore project: give --project ID (or set GOOGLE_CLOUD_PROJECT)",
        project.by === "error" ? { cause: project.error } : undefined,
      );
    }
  }
}

function credentialsError(error: unknown): LockError {
  const message = error instanceof Error ? error.message : String(error);
  const file = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  if (file) {
    return new LockError(
      "AuthFailed",
      `Google credentials could not be loaded from GOOGLE_APPLICATION_CREDENTIALS: ${message}`,
      { cause: error },
    );
  }
  return new LockError(
    "AuthFailed",
    /^Could not load the default credentials/.test(message)
      ? `no Google credentials found (Application Default Credentials): ${HINT}`
      : `Google credentials could not be loaded: ${message}; ${HINT}`,
    { cause: error },
  );
}
