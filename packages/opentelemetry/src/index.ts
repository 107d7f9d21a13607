export { ATTR } from "./attributes";
export { METRICS, type OtelEventsOptions, otelEvents } from "./metrics";
export { INSTRUMENTATION_NAME } from "./name";
export { type InstrumentLockOptions, instrumentLock } from "./spans";
