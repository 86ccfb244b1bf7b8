/**
 * Independent OTLP decoding for tests: the official opentelemetry-proto `.proto` files, loaded
 * with protobufjs. The extension encodes with @opentelemetry/otlp-transformer (its own writer),
 * so decoding here checks the wire format against the schema, not against the encoder.
 *
 * The `.proto` files come from the npm package `@opentelemetry/otlp-grpc-exporter-base@0.38.0`
 * (folder `build/protos/`, opentelemetry-proto with `ScopeSpans`/`ScopeMetrics`/`ScopeLogs`,
 * Apache-2.0), the last version of that package that shipped them. Newer fields (e.g. span
 * `flags`) are unknown to that schema and skipped by the decoder.
 *
 * Both wire encodings are normalised to one shape: protobuf is decoded with the schema; OTLP/JSON
 * (hex trace/span ids, lowerCamelCase keys, integer enums) is converted into a message with the
 * same schema (`fromObject`), so both pass through the same `toObject` and the same flattening.
 */
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

export type Signal = 'traces' | 'metrics' | 'logs';

export const PROTO_PACKAGE = '@opentelemetry/otlp-grpc-exporter-base';

const REQUEST_TYPES: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
};

const SERVICE_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
];

/** Folder holding `opentelemetry/proto/**.proto`. */
export function protoRoot(): string {
  let pkg: string;
  try {
    pkg = require.resolve(`${PROTO_PACKAGE}/package.json`);
  } catch {
    throw new Error(`${PROTO_PACKAGE} (0.38.0, ships the official OTLP .proto files) is not installed: add it as a devDependency`);
  }
  return path.join(path.dirname(pkg), 'build', 'protos');
}

let cachedRoot: protobuf.Root | undefined;

/** The loaded schema (loaded once per test file). */
export function otlpSchema(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const dir = protoRoot();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(SERVICE_FILES, { keepCase: false });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: false,
};

/** Decode a protobuf export request into a plain object (bytes as base64, longs as strings). */
export function decodeProtobuf(signal: Signal, body: Uint8Array): Record<string, unknown> {
  const type = otlpSchema().lookupType(REQUEST_TYPES[signal]);
  const message = type.decode(body);
  return type.toObject(message, TO_OBJECT);
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** OTLP/JSON ids are hex; protobufjs' `fromObject` wants base64 for `bytes`. */
function hexIdsToBase64(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIdsToBase64);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (ID_FIELDS.has(key) && typeof inner === 'string') {
      if (inner !== '' && !/^[0-9a-f]+$/i.test(inner)) throw new Error(`OTLP/JSON ${key} is not hex: ${inner}`);
      out[key] = Buffer.from(inner, 'hex').toString('base64');
    } else {
      out[key] = hexIdsToBase64(inner);
    }
  }
  return out;
}

/** Decode an OTLP/JSON export request into the same shape as {@link decodeProtobuf}. */
export function decodeJson(signal: Signal, text: string): Record<string, unknown> {
  const type = otlpSchema().lookupType(REQUEST_TYPES[signal]);
  const parsed: unknown = JSON.parse(text);
  const message = type.fromObject(hexIdsToBase64(parsed) as Record<string, unknown>);
  return type.toObject(message, TO_OBJECT);
}

// ---------------------------------------------------------------------------------------------
// Flattened views, for assertions.

export type AttributeMap = Record<string, unknown>;

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** e.g. `SPAN_KIND_SERVER`. */
  readonly kind: string;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: AttributeMap;
  /** e.g. `{code: 'STATUS_CODE_ERROR', message: 'Runtime.ExitError'}`; code absent = UNSET. */
  readonly status: { readonly code?: string; readonly message?: string };
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: AttributeMap }>;
  readonly resource: AttributeMap;
  readonly scope: { readonly name?: string; readonly version?: string };
}

export interface DecodedDataPoint {
  readonly attributes: AttributeMap;
  readonly startTimeUnixNano?: bigint;
  readonly timeUnixNano?: bigint;
  /** Sum and gauge points. */
  readonly value?: number;
  /** Histogram points. */
  readonly count?: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
}

export interface DecodedMetric {
  readonly name: string;
  readonly unit?: string;
  readonly description?: string;
  readonly type: 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram';
  /** e.g. `AGGREGATION_TEMPORALITY_DELTA` (sums and histograms). */
  readonly temporality?: string;
  readonly isMonotonic?: boolean;
  readonly dataPoints: readonly DecodedDataPoint[];
  readonly resource: AttributeMap;
  readonly scope: { readonly name?: string; readonly version?: string };
}

export interface DecodedLog {
  readonly timeUnixNano?: bigint;
  readonly observedTimeUnixNano?: bigint;
  readonly severityNumber: number;
  readonly severityText?: string;
  readonly body: unknown;
  readonly attributes: AttributeMap;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly resource: AttributeMap;
  readonly scope: { readonly name?: string; readonly version?: string };
}

type Obj = Record<string, any>;

/** OTLP `AnyValue` to a plain JS value (int64 as number). */
export function anyValue(value: Obj | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('bytesValue' in value) return Buffer.from(value.bytesValue, 'base64');
  if ('arrayValue' in value) return ((value.arrayValue?.values ?? []) as Obj[]).map(anyValue);
  if ('kvlistValue' in value) return attributes(value.kvlistValue?.values);
  return undefined;
}

/** Repeated `KeyValue` to an object. */
export function attributes(list: Obj[] | undefined): AttributeMap {
  const out: AttributeMap = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function hex(b64: string | undefined): string | undefined {
  if (b64 === undefined || b64 === '') return undefined;
  return Buffer.from(b64, 'base64').toString('hex');
}

function nanos(value: string | undefined): bigint | undefined {
  return value === undefined ? undefined : BigInt(value);
}

function scopeOf(scope: Obj | undefined): { name?: string; version?: string } {
  return { name: scope?.name, version: scope?.version };
}

export function flattenSpans(request: Obj): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        out.push({
          traceId: hex(span.traceId) ?? '',
          spanId: hex(span.spanId) ?? '',
          parentSpanId: hex(span.parentSpanId),
          name: span.name,
          kind: span.kind ?? 'SPAN_KIND_UNSPECIFIED',
          startTimeUnixNano: BigInt(span.startTimeUnixNano ?? 0),
          endTimeUnixNano: BigInt(span.endTimeUnixNano ?? 0),
          attributes: attributes(span.attributes),
          status: { code: span.status?.code, message: span.status?.message },
          events: ((span.events ?? []) as Obj[]).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
          resource,
          scope: scopeOf(ss.scope),
        });
      }
    }
  }
  return out;
}

function numberPoint(dp: Obj): DecodedDataPoint {
  const value = dp.asInt !== undefined ? Number(dp.asInt) : dp.asDouble;
  return {
    attributes: attributes(dp.attributes),
    startTimeUnixNano: nanos(dp.startTimeUnixNano),
    timeUnixNano: nanos(dp.timeUnixNano),
    value,
  };
}

function histogramPoint(dp: Obj): DecodedDataPoint {
  return {
    attributes: attributes(dp.attributes),
    startTimeUnixNano: nanos(dp.startTimeUnixNano),
    timeUnixNano: nanos(dp.timeUnixNano),
    count: Number(dp.count ?? 0),
    sum: dp.sum,
    min: dp.min,
    max: dp.max,
    bucketCounts: ((dp.bucketCounts ?? []) as string[]).map(Number),
    explicitBounds: dp.explicitBounds ?? [],
  };
}

export function flattenMetrics(request: Obj): DecodedMetric[] {
  const out: DecodedMetric[] = [];
  for (const rm of request.resourceMetrics ?? []) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const base = { name: m.name, unit: m.unit, description: m.description, resource, scope: scopeOf(sm.scope) };
        if (m.sum) {
          out.push({ ...base, type: 'sum', temporality: m.sum.aggregationTemporality, isMonotonic: m.sum.isMonotonic ?? false, dataPoints: (m.sum.dataPoints ?? []).map(numberPoint) });
        } else if (m.gauge) {
          out.push({ ...base, type: 'gauge', dataPoints: (m.gauge.dataPoints ?? []).map(numberPoint) });
        } else if (m.histogram) {
          out.push({ ...base, type: 'histogram', temporality: m.histogram.aggregationTemporality, dataPoints: (m.histogram.dataPoints ?? []).map(histogramPoint) });
        } else if (m.exponentialHistogram) {
          out.push({ ...base, type: 'exponentialHistogram', temporality: m.exponentialHistogram.aggregationTemporality, dataPoints: [] });
        } else {
          throw new Error(`metric ${m.name} has no data`);
        }
      }
    }
  }
  return out;
}

export function flattenLogs(request: Obj): DecodedLog[] {
  const severity = otlpSchema().lookupEnum('opentelemetry.proto.logs.v1.SeverityNumber');
  const out: DecodedLog[] = [];
  for (const rl of request.resourceLogs ?? []) {
    const resource = attributes(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) {
        out.push({
          timeUnixNano: nanos(lr.timeUnixNano),
          observedTimeUnixNano: nanos(lr.observedTimeUnixNano),
          severityNumber: lr.severityNumber === undefined ? 0 : severity.values[lr.severityNumber],
          severityText: lr.severityText,
          body: anyValue(lr.body),
          attributes: attributes(lr.attributes),
          traceId: hex(lr.traceId),
          spanId: hex(lr.spanId),
          resource,
          scope: scopeOf(sl.scope),
        });
      }
    }
  }
  return out;
}
