import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BackendName } from "./backends";

interface Started {
  env: Record<string, string>;
  stop(): Promise<void>;
}

interface ServicesModule {
  startServices(which: {
    redis: boolean;
    cluster: boolean;
    firestore: boolean;
    postgres: boolean;
  }): Promise<Started>;
  FIRESTORE_JAR: string;
  postgresBinDir(): string;
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir && existsSync(join(dir, binary)));
}

async function servicesModule(): Promise<ServicesModule> {
  const path = join(__dirname, "..", "..", "..", "scripts", "services.mjs");
  return (await import(pathToFileURL(path).href)) as ServicesModule;
}

/**
 * Picks the backend: the flag if given (PostgreSQL only then); else a service the environment
 * already points at; else a redis-server or Firestore emulator this machine can start; else the
 * memory backend.
 * Returns what to stop at the end and whether the demo started it.
 */
export async function chooseBackend(
  requested: BackendName | undefined,
): Promise<{ name: BackendName; started?: Started }> {
  if (requested === "memory") return { name: "memory" };
  if (requested === "redis" && process.env.REDIS_URL) return { name: "redis" };
  if (requested === "firestore" && process.env.FIRESTORE_EMULATOR_HOST)
    return { name: "firestore" };
  if (requested === "postgres" && process.env.SYNCGUARD_POSTGRES_URL) return { name: "postgres" };
  if (!requested && process.env.REDIS_URL) return { name: "redis" };
  if (!requested && process.env.FIRESTORE_EMULATOR_HOST) return { name: "firestore" };

  const services = await servicesModule();
  const canRedis = onPath("redis-server");
  const canFirestore = onPath("java") && existsSync(services.FIRESTORE_JAR);
  const name: BackendName | undefined =
    requested ?? (canRedis ? "redis" : canFirestore ? "firestore" : undefined);
  if (!name) return { name: "memory" };
  if (name === "redis" && !canRedis)
    throw new Error("--backend redis: no REDIS_URL and no redis-server on PATH");
  if (name === "firestore" && !canFirestore) {
    throw new Error(
      "--backend firestore: no FIRESTORE_EMULATOR_HOST and no emulator jar/java on this machine",
    );
  }
  if (name === "postgres") {
    try {
      services.postgresBinDir();
    } catch (error) {
      throw new Error(
        `--backend postgres: no SYNCGUARD_POSTGRES_URL and ${(error as Error).message}`,
      );
    }
  }
  const started = await services.startServices({
    redis: name === "redis",
    cluster: false,
    firestore: name === "firestore",
    postgres: name === "postgres",
  });
  Object.assign(process.env, started.env);
  return { name, started };
}
