/**
 * OTLP decoding and encoding for the receiver, with protobufjs on the official schema
 * (./schema/otlp.json, generated from opentelemetry-proto; see schema/generate-schema.ts).
 * protobufjs/light: reflection and generated (cached) codecs, no .proto parser in the bundle.
 *
 * - Protobuf: `Type.decode` / `Type.encode`.
 * - OTLP/JSON (the OTLP specification's JSON mapping): lowerCamelCase keys, enums as integers,
 *   64-bit integers as strings or numbers, and `traceId` / `spanId` / `parentSpanId` as hex
 *   (not base64 like other `bytes`): the ids are turned into bytes, then `Type.fromObject` builds
 *   the same messages protobuf decoding gives. Unknown fields are ignored, as the spec requires.
 *
 * @opentelemetry/otlp-transformer cannot do this part: it encodes export requests from SDK
 * objects and decodes export responses, the opposite of a receiver.
 */
import type * as protobuf from 'protobufjs/light';
import type { ExportRequests, OtlpEncoding, OtlpSignal } from './otlp-types';
import schema from './schema/otlp.json';

const PACKAGES: Record<OtlpSignal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTrace',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetrics',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogs',
};

/** The field of `ExportXPartialSuccess` that counts refused records. */
export const REJECTED_FIELD: Record<OtlpSignal, 'rejectedSpans' | 'rejectedDataPoints' | 'rejectedLogRecords'> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

export const CONTENT_TYPES: Record<OtlpEncoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

interface Types {
  readonly request: Record<OtlpSignal, protobuf.Type>;
  readonly response: Record<OtlpSignal, protobuf.Type>;
  readonly status: protobuf.Type;
}

let types: Types | undefined;

/**
 * protobufjs is loaded and the schema built at the first request, not at init (about 9 ms and
 * 12 ms of CPU here; a function that never exports never pays for them).
 */
function schemaTypes(): Types {
  if (types) return types;
  /* eslint-disable @typescript-eslint/no-require-imports, import/no-extraneous-dependencies */
  const pb = require('protobufjs/light') as typeof protobuf;
  // `long` comes with protobufjs (its dependency). 64-bit integers as Long, exact (timestamps in
  // ns exceed 2^53): protobufjs looks for `long` with a dynamic require a bundler cannot see.
  pb.util.Long = require('long') as typeof pb.util.Long;
  /* eslint-enable @typescript-eslint/no-require-imports, import/no-extraneous-dependencies */
  pb.configure();
  const root = pb.Root.fromJSON(schema as protobuf.INamespace);
  const lookup = (suffix: string) => (signal: OtlpSignal) => root.lookupType(`${PACKAGES[signal]}${suffix}`);
  const bySignal = (suffix: string) => ({ traces: lookup(suffix)('traces'), metrics: lookup(suffix)('metrics'), logs: lookup(suffix)('logs') });
  types = { request: bySignal('ServiceRequest'), response: bySignal('ServiceResponse'), status: root.lookupType('google.rpc.Status') };
  return types;
}

/** The body is not a valid export request in its encoding (answered 400). */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}

const HEX_ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** Deep enough for any real attribute value (each kvlist level is four JSON levels). */
const MAX_JSON_DEPTH = 256;

/** OTLP/JSON ids are hex strings; everything else already is what `fromObject` takes. */
function hexIdsToBytes(value: unknown, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw new OtlpDecodeError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (const item of value) hexIdsToBytes(item, depth + 1);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const field = object[key];
    if (HEX_ID_KEYS.has(key) && typeof field === 'string') {
      if (!HEX.test(field)) throw new OtlpDecodeError(`${key} is not hex: ${JSON.stringify(field.slice(0, 40))}`);
      object[key] = Buffer.from(field, 'hex');
    } else if (typeof field === 'object') {
      hexIdsToBytes(field, depth + 1);
    }
  }
}

/**
 * Decode an export request.
 * @throws OtlpDecodeError when the body is not one (malformed protobuf, not JSON, wrong shape).
 */
export function decodeRequest<S extends OtlpSignal>(signal: S, encoding: OtlpEncoding, body: Uint8Array): ExportRequests[S] {
  const type = schemaTypes().request[signal];
  try {
    if (encoding === 'protobuf') return type.decode(body) as unknown as ExportRequests[S];
    const parsed: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new OtlpDecodeError(`expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
    }
    hexIdsToBytes(parsed, 0);
    return type.fromObject(parsed as Record<string, unknown>) as unknown as ExportRequests[S];
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    const what = encoding === 'protobuf' ? 'protobuf' : 'OTLP/JSON';
    throw new OtlpDecodeError(`body is not a valid ${what} ${type.name}: ${(error as Error).message}`, { cause: error });
  }
}

/** Encode an export request (protobuf): how decoded data goes back on the wire, unchanged. */
export function encodeRequest<S extends OtlpSignal>(signal: S, request: ExportRequests[S]): Uint8Array {
  return schemaTypes().request[signal].encode(request as unknown as protobuf.Message).finish();
}

export interface PartialSuccess {
  /** Records refused (spans, data points or log records, by signal). */
  readonly rejected: number;
  readonly errorMessage: string;
}

function encodeMessage(type: protobuf.Type, encoding: OtlpEncoding, object: Record<string, unknown>): Uint8Array {
  const message = type.fromObject(object);
  if (encoding === 'protobuf') return type.encode(message).finish();
  return Buffer.from(JSON.stringify(type.toObject(message, { longs: String })));
}

/** `Export*ServiceResponse`, with `partial_success` when something was refused. */
export function encodeResponse(signal: OtlpSignal, encoding: OtlpEncoding, partial?: PartialSuccess): Uint8Array {
  const object = partial && (partial.rejected > 0 || partial.errorMessage)
    ? { partialSuccess: { [REJECTED_FIELD[signal]]: partial.rejected, errorMessage: partial.errorMessage } }
    : {};
  return encodeMessage(schemaTypes().response[signal], encoding, object);
}

/** `google.rpc.Status`, the body of every 4xx / 5xx answer. `code` is a gRPC code (see codes below). */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): Uint8Array {
  return encodeMessage(schemaTypes().status, encoding, { code, message });
}

/** google.rpc.Code values used in Status bodies. */
export const RPC_CODE = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  INTERNAL: 13,
} as const;

/** OTLP/JSON ids are hex; `toObject` writes bytes as base64. */
function base64IdsToHex(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) base64IdsToHex(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const field = object[key];
    if (HEX_ID_KEYS.has(key) && typeof field === 'string') object[key] = Buffer.from(field, 'base64').toString('hex');
    else if (typeof field === 'object') base64IdsToHex(field);
  }
}

/**
 * An export request as an OTLP/JSON object (the OTLP specification's JSON mapping: lowerCamelCase,
 * enums as integers, 64-bit integers as decimal strings, ids as hex, other bytes as base64).
 */
export function toOtlpJson<S extends OtlpSignal>(signal: S, request: ExportRequests[S]): Record<string, unknown> {
  const type = schemaTypes().request[signal];
  const object = type.toObject(type.fromObject(request as unknown as Record<string, unknown>), { longs: String, enums: Number, bytes: String });
  base64IdsToHex(object);
  return object;
}
