/**
 * The decoded OTLP messages the receiver hands over, as protobufjs decodes them with
 * ./schema/otlp.json (opentelemetry-proto 1.x): lowerCamelCase fields, `bytes` as Uint8Array,
 * 64-bit integers as `Long` (exact), enums as numbers, absent scalars as the proto3 defaults
 * ('' / 0, from the message's prototype), repeated fields as arrays of the message's own.
 * They encode back with the same schema unchanged (see otlp-codec.ts `encodeRequest`).
 *
 * Only the fields the extension reads are typed; every other field is kept as decoded.
 */
import type Long from 'long';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';
export type OtlpEncoding = 'protobuf' | 'json';

/** int64 / fixed64 fields. */
export type Int64 = Long | number;

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
  kvlistValue?: { values: KeyValue[] };
  bytesValue?: Uint8Array;
}

export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  [field: string]: unknown;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  [field: string]: unknown;
}

export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  traceState: string;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: KeyValue[];
  flags: number;
  [field: string]: unknown;
}

export interface ScopeSpans {
  scope?: InstrumentationScope | null;
  spans: Span[];
  schemaUrl: string;
}

export interface ResourceSpans {
  resource?: Resource | null;
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}

export interface LogRecord {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body?: AnyValue | null;
  attributes: KeyValue[];
  traceId: Uint8Array;
  spanId: Uint8Array;
  flags: number;
  [field: string]: unknown;
}

export interface ScopeLogs {
  scope?: InstrumentationScope | null;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource?: Resource | null;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

/** One point of any kind: the receiver only counts them. */
export interface DataPoint {
  attributes: KeyValue[];
  timeUnixNano: Int64;
  [field: string]: unknown;
}

export interface Metric {
  name: string;
  description: string;
  unit: string;
  gauge?: { dataPoints: DataPoint[] } | null;
  sum?: { dataPoints: DataPoint[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: DataPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram?: { dataPoints: DataPoint[]; aggregationTemporality: number } | null;
  summary?: { dataPoints: DataPoint[] } | null;
  [field: string]: unknown;
}

export interface ScopeMetrics {
  scope?: InstrumentationScope | null;
  metrics: Metric[];
  schemaUrl: string;
}

export interface ResourceMetrics {
  resource?: Resource | null;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}

export interface ExportTraceServiceRequest {
  resourceSpans: ResourceSpans[];
}
export interface ExportMetricsServiceRequest {
  resourceMetrics: ResourceMetrics[];
}
export interface ExportLogsServiceRequest {
  resourceLogs: ResourceLogs[];
}

export interface ExportRequests {
  traces: ExportTraceServiceRequest;
  metrics: ExportMetricsServiceRequest;
  logs: ExportLogsServiceRequest;
}
