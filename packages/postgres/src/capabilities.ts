import type { BackendCapabilities } from "@syncguard/core";

export interface PostgresCapabilities extends BackendCapabilities {
  readonly backend: "postgres";
  readonly supportsFencing: true;
  /** Expiry is judged by the database server's clock (`clock_timestamp()` in each statement). */
  readonly timeAuthority: "server";
}

export const POSTGRES_CAPABILITIES: Readonly<PostgresCapabilities> = Object.freeze({
  backend: "postgres",
  supportsFencing: true,
  timeAuthority: "server",
});
