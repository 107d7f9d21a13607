import { readFileSync } from "node:fs";
import path from "node:path";
import type { Firestore } from "@google-cloud/firestore";
import { documentId, FIRESTORE_DEFAULTS } from "../src";
import { clearProject, emulatorHost, freshBackend, useEmulatorProject } from "./helpers";

// The rules files the package ships, loaded into the emulator for this file's own project (rules
// are per project there, so no other test file is affected), then exercised by an END USER: the
// emulator's REST API with an unsigned ID token, the way a client SDK talks to it. The server
// backend uses @google-cloud/firestore on the same project; on the emulator it authenticates as
// "owner", which bypasses rules like service-account credentials do in production.

const SHIPPED = readFileSync(path.join(__dirname, "..", "firestore.rules"), "utf8");
const CLIENT_SDK = readFileSync(path.join(__dirname, "..", "firestore.client-sdk.rules"), "utf8");
const LOCKS = FIRESTORE_DEFAULTS.collection;
const FENCES = FIRESTORE_DEFAULTS.fenceCollection;

let db: Firestore;
const projectId = useEmulatorProject("rules", (created: Firestore) => {
  db = created;
});

const rulesUrl = () => `http://${emulatorHost()}/emulator/v1/projects/${projectId}:securityRules`;
const docsUrl = () =>
  `http://${emulatorHost()}/v1/projects/${projectId}/databases/(default)/documents`;

async function loadRules(content: string): Promise<void> {
  const response = await fetch(rulesUrl(), {
    method: "PUT",
    body: JSON.stringify({ rules: { files: [{ content }] } }),
  });
  const text = await response.text();
  // The emulator answers 200 with a list of issues when the rules do not compile.
  if (!response.ok || /"issues"/.test(text)) throw new Error(`rules rejected: ${text}`);
}

/** An unsigned Firebase ID token for `uid`: the emulator checks claims, not signatures. */
function idToken(uid: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({
    iss: `https://securetoken.google.com/${projectId}`,
    aud: projectId,
    sub: uid,
    user_id: uid,
    iat: now,
    auth_time: now,
    exp: now + 3600,
    firebase: { sign_in_provider: "password", identities: {} },
  })}.`;
}

type Who = "user" | "anonymous";

/** One REST call as an end user (or nobody): returns the HTTP status and body. */
async function asClient(
  who: Who,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (who === "user") headers.Authorization = `Bearer ${idToken("end-user-1")}`;
  const response = await fetch(`${docsUrl()}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
}

const docPath = (collection: string, key: string) =>
  `/${collection}/${encodeURIComponent(documentId(key))}`;
const stringFields = (fields: Record<string, string>) => ({
  fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { stringValue: v }])),
});
const queryBy = (collection: string, field: string, value: string) => ({
  structuredQuery: {
    from: [{ collectionId: collection }],
    where: {
      fieldFilter: { field: { fieldPath: field }, op: "EQUAL", value: { stringValue: value } },
    },
  },
});

/** Every read and write an end user could try on one lock document and its fence counter. */
function attempts(key: string, lockId: string) {
  const lock = docPath(LOCKS, key);
  const fence = docPath(FENCES, key);
  return {
    "get lock": () => asClient("user", "GET", lock),
    "list locks": () => asClient("user", "GET", `/${LOCKS}`),
    "query locks by lockId": () =>
      asClient("user", "POST", ":runQuery", queryBy(LOCKS, "lockId", lockId)),
    "plant a lock": () =>
      asClient("user", "POST", `/${LOCKS}?documentId=planted`, stringFields({ key: "planted" })),
    "update lock": () =>
      asClient(
        "user",
        "PATCH",
        `${lock}?updateMask.fieldPaths=lockId&currentDocument.exists=true`,
        stringFields({ lockId: "stolen" }),
      ),
    "delete lock": () => asClient("user", "DELETE", lock),
    "get fence": () => asClient("user", "GET", fence),
    "list fences": () => asClient("user", "GET", `/${FENCES}`),
    "create fence": () =>
      asClient("user", "POST", `/${FENCES}?documentId=planted`, stringFields({ fence: "1" })),
    "update fence": () =>
      asClient(
        "user",
        "PATCH",
        `${fence}?updateMask.fieldPaths=fence&currentDocument.exists=true`,
        stringFields({ fence: "000000000000000" }),
      ),
    "delete fence": () => asClient("user", "DELETE", fence),
  };
}

let openRules: string;

beforeAll(async () => {
  // Whatever the project had (the emulator's open default), to put back afterwards.
  const current = (await (await fetch(rulesUrl())).json()) as {
    rules: { files: { content: string }[] };
  };
  const [file] = current.rules.files;
  if (!file) throw new Error("the emulator reported no rules for the project");
  openRules = file.content;
});

afterAll(async () => {
  await loadRules(openRules);
  await clearProject(projectId);
});

describe("shipped firestore.rules (deny by default)", () => {
  beforeAll(() => loadRules(SHIPPED));

  it("an end user can neither read, list, create, update nor delete lock or fence documents; the server backend keeps working", async () => {
    // The default collection names: those the shipped rules match.
    const { backend } = freshBackend(db, { collection: LOCKS, fenceCollection: FENCES });
    const held = await backend.acquire({ key: "job:rules", ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected the lock");
    const lockBefore = (await db.collection(LOCKS).doc(documentId("job:rules")).get()).data();
    const fenceBefore = (await db.collection(FENCES).doc(documentId("job:rules")).get()).data();

    for (const [name, attempt] of Object.entries(attempts("job:rules", held.lockId))) {
      const { status, json } = await attempt();
      const denial = (json.error as { status?: string } | undefined)?.status;
      // Checked with the name so a failure says which operation got through.
      expect({ name, status, denial }).toEqual({ name, status: 403, denial: "PERMISSION_DENIED" });
      expect(JSON.stringify(json)).not.toContain(held.lockId);
    }
    // Nobody signed in: denied too.
    expect((await asClient("anonymous", "GET", docPath(LOCKS, "job:rules"))).status).toBe(403);

    // Nothing changed, nothing was planted.
    expect((await db.collection(LOCKS).doc(documentId("job:rules")).get()).data()).toEqual(
      lockBefore,
    );
    expect((await db.collection(FENCES).doc(documentId("job:rules")).get()).data()).toEqual(
      fenceBefore,
    );
    expect((await db.collection(LOCKS).doc("planted").get()).exists).toBe(false);
    expect((await db.collection(FENCES).doc("planted").get()).exists).toBe(false);

    // The server side, same project, same rules: every operation works.
    expect(await backend.isLocked({ key: "job:rules" })).toBe(true);
    expect(await backend.lookup({ lockId: held.lockId })).toMatchObject({ fence: held.fence });
    expect(await backend.extend({ lockId: held.lockId, ttlMs: 30_000 })).toMatchObject({
      ok: true,
    });
    expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
    const next = await backend.acquire({ key: "job:rules", ttlMs: 5000 });
    expect(next).toMatchObject({ ok: true, fence: "000000000000002" });
    if (next.ok) await backend.release({ lockId: next.lockId });
  });
});

describe("firestore.client-sdk.rules (the documented alternative)", () => {
  beforeAll(() => loadRules(CLIENT_SDK));

  it("lets any signed-in user read and write both collections, exactly as its comments warn; denies anonymous requests", async () => {
    const { backend } = freshBackend(db, { collection: LOCKS, fenceCollection: FENCES });
    const held = await backend.acquire({ key: "job:client", ttlMs: 30_000 });
    if (!held.ok) throw new Error("expected the lock");
    const tries = attempts("job:client", held.lockId);

    // Exposed: the lockId of someone else's lock, by get and by query.
    const got = await tries["get lock"]();
    expect(got.status).toBe(200);
    expect(JSON.stringify(got.json)).toContain(held.lockId);
    const queried = await tries["query locks by lockId"]();
    expect(queried.status).toBe(200);
    expect(JSON.stringify(queried.json)).toContain(held.lockId);
    expect((await tries["list locks"]()).status).toBe(200);
    expect((await tries["get fence"]()).status).toBe(200);
    // Exposed: planting a lock and rewriting a fence counter.
    expect((await tries["plant a lock"]()).status).toBe(200);
    expect((await tries["update fence"]()).status).toBe(200);
    expect((await db.collection(FENCES).doc(documentId("job:client")).get()).get("fence")).toBe(
      "000000000000000",
    );
    expect((await tries["delete lock"]()).status).toBe(200);
    expect((await db.collection(LOCKS).doc(documentId("job:client")).get()).exists).toBe(false);

    // Nobody signed in: every attempt is denied.
    for (const urlPath of [
      docPath(LOCKS, "job:client"),
      `/${LOCKS}`,
      docPath(FENCES, "job:client"),
    ]) {
      expect({ urlPath, status: (await asClient("anonymous", "GET", urlPath)).status }).toEqual({
        urlPath,
        status: 403,
      });
    }
    expect((await asClient("anonymous", "DELETE", docPath(FENCES, "job:client"))).status).toBe(403);
  });
});
