/**
 * What the receiver hands over for one accepted export request of the function: the signal, the
 * decoded resource-scoped data (see otlp-types.ts; records that could not be stored already
 * removed) and how many records it holds. It goes into the extension's bounded queue and its
 * accounting (by source) through an injected {@link AcceptTelemetry}.
 */
import type { OtlpEncoding, ResourceLogs, ResourceMetrics, ResourceSpans } from './otlp-types';

interface FunctionTelemetryBase {
  readonly source: 'function';
  /** Records: spans, metric data points or log records. Always > 0. */
  readonly items: number;
  /** Epoch ms when the request was decoded. */
  readonly receivedAtMs: number;
  /** How it came over the wire. */
  readonly encoding: OtlpEncoding;
}

export interface FunctionTraces extends FunctionTelemetryBase {
  readonly signal: 'traces';
  readonly resourceSpans: ResourceSpans[];
}

export interface FunctionMetrics extends FunctionTelemetryBase {
  readonly signal: 'metrics';
  readonly resourceMetrics: ResourceMetrics[];
}

export interface FunctionLogs extends FunctionTelemetryBase {
  readonly signal: 'logs';
  readonly resourceLogs: ResourceLogs[];
}

export type FunctionTelemetry = FunctionTraces | FunctionMetrics | FunctionLogs;

/** `full`: nothing of the item was kept; the receiver answers 503 with Retry-After and the SDK retries. */
export type AcceptResult = 'accepted' | 'full';

/**
 * Takes one item whole or not at all. `bytes` is the size of the uncompressed request body (the
 * queue weighs it by encoding, ../pipeline/function-source.ts); `rejected`: records of the same
 * request refused by the receiver (partial_success), counted as invalid when the item is accepted.
 */
export type AcceptTelemetry = (item: FunctionTelemetry, bytes: number, rejected: number) => AcceptResult;

/** Records refused in a request that had nothing else to accept (answered 200 with partial_success). */
export type CountRefused = (rejected: number) => void;
