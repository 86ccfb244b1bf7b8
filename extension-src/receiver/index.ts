/** The OTLP/HTTP receiver for the function's own telemetry (see app.ts). */
export { createReceiverApp, DEFAULT_RECEIVER_MAX_BODY_BYTES, type ReceiverDeps } from './app';
export type { AcceptResult, AcceptTelemetry, CountRefused, FunctionLogs, FunctionMetrics, FunctionTelemetry, FunctionTraces } from './function-telemetry';
export { mergeResource } from './merge-resource';
export { decodeRequest, encodeRequest, OtlpDecodeError, toOtlpJson } from './otlp-codec';
export type * from './otlp-types';
export { ReceiverStartError, startReceiver, type RunningReceiver } from './server';
