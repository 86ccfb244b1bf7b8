/**
 * Schemas of the Telemetry API events (schema versions 2022-12-13 and 2025-01-29), see
 * /work/shared/lambda-apis.md section 6.
 *
 * Leniency rules:
 * - every object is a `v.looseObject`: unknown fields are kept, new fields never break parsing;
 * - enumerations (`status`, `phase`, `initializationType`, ...) are plain strings: a new value
 *   from AWS is not an invalid event;
 * - fields AWS omits in some real payloads are optional (`platform.report` without `status`,
 *   managed-instances `platform.report` with only `metrics.durationMs`);
 * - times are kept as sent (`time`, `start`) and read leniently into epoch ms (`timeMs`,
 *   `startMs`, see ./time.ts). An unreadable time yields `NaN` here; `parseBatch` replaces it with
 *   the receipt time, so parsed events never carry `NaN`;
 * - `function` / `extension` text records lose their trailing line break(s); their object
 *   records may have any keys (see StructuredLogRecordSchema);
 * - every number is finite and not negative (see `Amount`).
 *
 * A wrong type for a field the catalogue defines (e.g. `durationMs: "12"`) makes the event invalid.
 */
import * as v from 'valibot';
import { parseTime } from './time';

// ---------------------------------------------------------------------------------------------
// Shared values

/** Known values of the string enumerations (informative: the schemas accept any string). */
export const INITIALIZATION_TYPES = ['on-demand', 'provisioned-concurrency', 'snap-start', 'lambda-managed-instances'] as const;
export const PHASES = ['init', 'invoke'] as const;
export const STATUSES = ['success', 'failure', 'error', 'timeout'] as const;

/**
 * Every number of every event is a count or a duration: finite (JSON reads `1e400` as
 * `Infinity`) and not negative. Anything else makes the event invalid, so it never reaches a
 * counter or a sink.
 */
const Amount = v.pipe(v.number(), v.finite(), v.minValue(0));

function withTimeMs<T extends { time: string }>(event: T): T & { timeMs: number } {
  return Object.assign(event, { timeMs: parseTime(event.time) });
}

/** `{name, start, durationMs}`; output adds `startMs` (epoch ms of `start`). */
export const SpanSchema = v.pipe(
  v.looseObject({
    name: v.string(),
    start: v.string(),
    durationMs: Amount,
  }),
  v.transform((span) => Object.assign(span, { startMs: parseTime(span.start) })),
);
export type Span = v.InferOutput<typeof SpanSchema>;

/** `{type: "X-Amzn-Trace-Id", value, spanId?}`. */
export const TracingSchema = v.looseObject({
  type: v.string(),
  value: v.string(),
  spanId: v.optional(v.string()),
});
export type Tracing = v.InferOutput<typeof TracingSchema>;

const SpansSchema = v.optional(v.array(SpanSchema));

/**
 * A JSON log line of the function or of an extension: any JSON object, whatever its keys
 * (Lambda's JSON format `{timestamp, level, requestId, message}`, `{"message": ...}`, pino and
 * bunyan's `{"msg", "level": 30, "time": 1764590000000}`, ...). These are the user's own lines:
 * none of their keys is required, and none has a required type. Keys are copied, except the ones
 * that could reach a prototype (`__proto__`, `constructor`, `prototype`).
 */
export const StructuredLogRecordSchema = v.pipe(
  v.custom<object>((value) => value !== null && typeof value === 'object' && !Array.isArray(value), 'expected a JSON object'),
  v.looseObject({}),
);
export type StructuredLogRecord = Record<string, unknown>;

const TRAILING_LINE_BREAKS = /[\r\n]+$/;

/** Text log line (trailing line breaks removed) or JSON log line (an object of any shape). */
export const LogRecordSchema = v.union([
  v.pipe(v.string(), v.transform((text) => text.replace(TRAILING_LINE_BREAKS, ''))),
  StructuredLogRecordSchema,
], 'expected a text line or a JSON object');
export type LogRecord = v.InferOutput<typeof LogRecordSchema>;

// ---------------------------------------------------------------------------------------------
// Envelopes `{time, type, record}`, one per event type. Not exported: the exported `XxxSchema`
// below add `timeMs`.

function envelope<TType extends string, TRecord extends v.GenericSchema>(type: TType, record: TRecord) {
  return v.looseObject({
    time: v.string(),
    type: v.literal(type),
    record,
  });
}

const InitStartEnvelope = envelope('platform.initStart', v.looseObject({
  initializationType: v.string(),
  phase: v.string(),
  functionName: v.optional(v.string()),
  functionVersion: v.optional(v.string()),
  instanceId: v.optional(v.string()),
  instanceMaxMemory: v.optional(Amount),
  runtimeVersion: v.optional(v.string()),
  runtimeVersionArn: v.optional(v.string()),
  tracing: v.optional(TracingSchema),
}));

const InitRuntimeDoneEnvelope = envelope('platform.initRuntimeDone', v.looseObject({
  initializationType: v.string(),
  phase: v.optional(v.string()),
  status: v.string(),
  errorType: v.optional(v.string()),
  spans: SpansSchema,
  tracing: v.optional(TracingSchema),
}));

const InitReportEnvelope = envelope('platform.initReport', v.looseObject({
  initializationType: v.string(),
  phase: v.string(),
  status: v.optional(v.string()),
  errorType: v.optional(v.string()),
  metrics: v.looseObject({ durationMs: Amount }),
  spans: SpansSchema,
  tracing: v.optional(TracingSchema),
}));

const StartEnvelope = envelope('platform.start', v.looseObject({
  requestId: v.string(),
  version: v.optional(v.string()),
  tracing: v.optional(TracingSchema),
  tenantId: v.optional(v.string()),
}));

const RuntimeDoneEnvelope = envelope('platform.runtimeDone', v.looseObject({
  requestId: v.string(),
  status: v.string(),
  errorType: v.optional(v.string()),
  metrics: v.optional(v.looseObject({
    durationMs: Amount,
    producedBytes: v.optional(Amount),
  })),
  spans: SpansSchema,
  tracing: v.optional(TracingSchema),
}));

const ReportEnvelope = envelope('platform.report', v.looseObject({
  requestId: v.string(),
  /** Documented as required; absent in AWS's own examples. */
  status: v.optional(v.string()),
  errorType: v.optional(v.string()),
  metrics: v.looseObject({
    durationMs: Amount,
    /** The four below are absent on Lambda Managed Instances. */
    billedDurationMs: v.optional(Amount),
    memorySizeMB: v.optional(Amount),
    maxMemoryUsedMB: v.optional(Amount),
    initDurationMs: v.optional(Amount),
    restoreDurationMs: v.optional(Amount),
  }),
  spans: SpansSchema,
  tracing: v.optional(TracingSchema),
}));

const RestoreStartEnvelope = envelope('platform.restoreStart', v.looseObject({
  functionName: v.optional(v.string()),
  functionVersion: v.optional(v.string()),
  instanceId: v.optional(v.string()),
  instanceMaxMemory: v.optional(Amount),
  runtimeVersion: v.optional(v.string()),
  runtimeVersionArn: v.optional(v.string()),
}));

const RestoreRuntimeDoneEnvelope = envelope('platform.restoreRuntimeDone', v.looseObject({
  status: v.string(),
  errorType: v.optional(v.string()),
  spans: SpansSchema,
  tracing: v.optional(TracingSchema),
}));

const RestoreReportEnvelope = envelope('platform.restoreReport', v.looseObject({
  status: v.string(),
  errorType: v.optional(v.string()),
  metrics: v.optional(v.looseObject({ durationMs: Amount })),
  spans: SpansSchema,
}));

const ExtensionEnvelope = envelope('platform.extension', v.looseObject({
  name: v.string(),
  state: v.string(),
  events: v.array(v.string()),
  errorType: v.optional(v.string()),
}));

const TelemetrySubscriptionEnvelope = envelope('platform.telemetrySubscription', v.looseObject({
  name: v.string(),
  state: v.string(),
  types: v.array(v.string()),
}));

const LogsDroppedEnvelope = envelope('platform.logsDropped', v.looseObject({
  droppedBytes: Amount,
  droppedRecords: Amount,
  reason: v.string(),
}));

const FunctionLogEnvelope = envelope('function', LogRecordSchema);
const ExtensionLogEnvelope = envelope('extension', LogRecordSchema);

// ---------------------------------------------------------------------------------------------
// Exported event schemas: envelope + `timeMs`.

export const PlatformInitStartEventSchema = v.pipe(InitStartEnvelope, v.transform(withTimeMs));
export const PlatformInitRuntimeDoneEventSchema = v.pipe(InitRuntimeDoneEnvelope, v.transform(withTimeMs));
export const PlatformInitReportEventSchema = v.pipe(InitReportEnvelope, v.transform(withTimeMs));
export const PlatformStartEventSchema = v.pipe(StartEnvelope, v.transform(withTimeMs));
export const PlatformRuntimeDoneEventSchema = v.pipe(RuntimeDoneEnvelope, v.transform(withTimeMs));
export const PlatformReportEventSchema = v.pipe(ReportEnvelope, v.transform(withTimeMs));
export const PlatformRestoreStartEventSchema = v.pipe(RestoreStartEnvelope, v.transform(withTimeMs));
export const PlatformRestoreRuntimeDoneEventSchema = v.pipe(RestoreRuntimeDoneEnvelope, v.transform(withTimeMs));
export const PlatformRestoreReportEventSchema = v.pipe(RestoreReportEnvelope, v.transform(withTimeMs));
export const PlatformExtensionEventSchema = v.pipe(ExtensionEnvelope, v.transform(withTimeMs));
export const PlatformTelemetrySubscriptionEventSchema = v.pipe(TelemetrySubscriptionEnvelope, v.transform(withTimeMs));
export const PlatformLogsDroppedEventSchema = v.pipe(LogsDroppedEnvelope, v.transform(withTimeMs));
export const FunctionLogEventSchema = v.pipe(FunctionLogEnvelope, v.transform(withTimeMs));
export const ExtensionLogEventSchema = v.pipe(ExtensionLogEnvelope, v.transform(withTimeMs));

export type PlatformInitStartEvent = v.InferOutput<typeof PlatformInitStartEventSchema>;
export type PlatformInitRuntimeDoneEvent = v.InferOutput<typeof PlatformInitRuntimeDoneEventSchema>;
export type PlatformInitReportEvent = v.InferOutput<typeof PlatformInitReportEventSchema>;
export type PlatformStartEvent = v.InferOutput<typeof PlatformStartEventSchema>;
export type PlatformRuntimeDoneEvent = v.InferOutput<typeof PlatformRuntimeDoneEventSchema>;
export type PlatformReportEvent = v.InferOutput<typeof PlatformReportEventSchema>;
export type PlatformRestoreStartEvent = v.InferOutput<typeof PlatformRestoreStartEventSchema>;
export type PlatformRestoreRuntimeDoneEvent = v.InferOutput<typeof PlatformRestoreRuntimeDoneEventSchema>;
export type PlatformRestoreReportEvent = v.InferOutput<typeof PlatformRestoreReportEventSchema>;
export type PlatformExtensionEvent = v.InferOutput<typeof PlatformExtensionEventSchema>;
export type PlatformTelemetrySubscriptionEvent = v.InferOutput<typeof PlatformTelemetrySubscriptionEventSchema>;
export type PlatformLogsDroppedEvent = v.InferOutput<typeof PlatformLogsDroppedEventSchema>;
export type FunctionLogEvent = v.InferOutput<typeof FunctionLogEventSchema>;
export type ExtensionLogEvent = v.InferOutput<typeof ExtensionLogEventSchema>;

/** Any event of a known type, discriminated on `type`. */
export type TelemetryEvent =
  | PlatformInitStartEvent
  | PlatformInitRuntimeDoneEvent
  | PlatformInitReportEvent
  | PlatformStartEvent
  | PlatformRuntimeDoneEvent
  | PlatformReportEvent
  | PlatformRestoreStartEvent
  | PlatformRestoreRuntimeDoneEvent
  | PlatformRestoreReportEvent
  | PlatformExtensionEvent
  | PlatformTelemetrySubscriptionEvent
  | PlatformLogsDroppedEvent
  | FunctionLogEvent
  | ExtensionLogEvent;

export type TelemetryEventType = TelemetryEvent['type'];

/** An event of a type this version does not know (e.g. `platform.fault`, future types), kept raw. */
export interface UnknownTelemetryEvent {
  readonly type: string;
  readonly time: string;
  readonly timeMs: number;
  readonly record: unknown;
  readonly unknown: true;
}

/** What the listener queues and the sinks receive. */
export type ParsedEvent = TelemetryEvent | UnknownTelemetryEvent;

/** Schema of each known type, for one-lookup dispatch (see parse-batch.ts). */
export const EVENT_SCHEMAS: Readonly<Record<TelemetryEventType, v.GenericSchema<unknown, TelemetryEvent>>> = {
  'platform.initStart': PlatformInitStartEventSchema,
  'platform.initRuntimeDone': PlatformInitRuntimeDoneEventSchema,
  'platform.initReport': PlatformInitReportEventSchema,
  'platform.start': PlatformStartEventSchema,
  'platform.runtimeDone': PlatformRuntimeDoneEventSchema,
  'platform.report': PlatformReportEventSchema,
  'platform.restoreStart': PlatformRestoreStartEventSchema,
  'platform.restoreRuntimeDone': PlatformRestoreRuntimeDoneEventSchema,
  'platform.restoreReport': PlatformRestoreReportEventSchema,
  'platform.extension': PlatformExtensionEventSchema,
  'platform.telemetrySubscription': PlatformTelemetrySubscriptionEventSchema,
  'platform.logsDropped': PlatformLogsDroppedEventSchema,
  'function': FunctionLogEventSchema,
  'extension': ExtensionLogEventSchema,
};

/** The types this version knows. */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(EVENT_SCHEMAS));

/** Known events carry a known `type`; unknown ones (marked `unknown: true`) never do. */
export function isKnownEvent(event: ParsedEvent): event is TelemetryEvent {
  return KNOWN_EVENT_TYPES.has(event.type);
}
