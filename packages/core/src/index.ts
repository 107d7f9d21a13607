export * from "./errors";
export * from "./fence";
export * from "./keys";
export * from "./lock-id";
export * from "./lookup";
export * from "./time";
export type * from "./types";
