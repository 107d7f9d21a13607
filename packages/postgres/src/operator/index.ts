/**
 * `@syncguard/postgres/operator`: how an operator tool (the `syncguard` CLI) reaches PostgreSQL.
 * It owns the PostgreSQL flags (--url, --schema, --table-prefix, --client), connects with
 * node-postgres or postgres.js, whichever is installed, reports the passwords as that client
 * reads them (PGPASSWORD included), and builds the backend. syncguard 2.x kept no PostgreSQL data
 * this version can use: there is no migration.
 */
import type { StoreOperator } from "@syncguard/core/operator";
import { configure, FLAGS } from "./settings";

export const operator: StoreOperator = { store: "PostgreSQL", flags: FLAGS, configure };
