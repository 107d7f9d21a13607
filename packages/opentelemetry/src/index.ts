export { ATTR } from "./attributes";
export { METRICS, type OtelEventsOptions, otelEvents } from "./metrics";
export { type InstrumentLockOptions, instrumentLock } from "./spans";
