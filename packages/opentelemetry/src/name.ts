/** The instrumentation scope of every tracer and meter this package looks up itself. */
export const INSTRUMENTATION_NAME = "@syncguard/opentelemetry";
