/**
 * Splitting of one export into requests within the CloudWatch OTLP endpoints' per-request limits
 * (test/aws/RESEARCH.md has the sources). Pure: the caller passes the encoder it sends with
 * (@opentelemetry/otlp-transformer's protobuf or JSON serializer), and gets the encoded bodies
 * back, so nothing is encoded twice for sending.
 *
 * Counts are cut first (slices of `maxItems`); a slice whose encoding is over `maxBytes` is halved
 * until each part fits. An item that does not fit alone (or is over `maxItemBytes`) is returned in
 * `oversized`: the endpoint would refuse any request carrying it, so it must be counted as dropped,
 * never sent, never retried.
 */
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { CloudWatchSignal } from './cloudwatch-endpoints';

export interface RequestLimits {
  /** Items (spans, log records, metric data points) per request. */
  readonly maxItems: number;
  /** Encoded, uncompressed bytes per request. */
  readonly maxBytes: number;
  /** Encoded bytes of one item alone (spans: 200 KB). */
  readonly maxItemBytes?: number;
}

/**
 * The documented limits, each read as the smaller of its decimal and binary meanings (`5 MB` as
 * 5,000,000 bytes). Metrics: the endpoint documents 1,000 data points per request; no byte limit
 * was found, so the logs endpoint's 1 MB is used.
 */
export const CLOUDWATCH_LIMITS: Readonly<Record<CloudWatchSignal, RequestLimits>> = {
  traces: { maxItems: 10_000, maxBytes: 5_000_000, maxItemBytes: 200_000 },
  logs: { maxItems: 10_000, maxBytes: 1_000_000 },
  metrics: { maxItems: 1_000, maxBytes: 1_000_000 },
};

export interface EncodedRequest<T> {
  readonly items: readonly T[];
  readonly body: Uint8Array;
}

export interface SplitResult<T, R = T> {
  /** In the order of the input. */
  readonly requests: ReadonlyArray<EncodedRequest<R>>;
  readonly oversized: readonly T[];
}

/** `undefined` from the encoder means nothing to send (the serializers' answer for no data). */
export type Encoder<T> = (items: readonly T[]) => Uint8Array | undefined;

/** Split `items` (spans, log records) into encoded requests within `limits`. */
export function splitForLimits<T>(items: readonly T[], limits: RequestLimits, encode: Encoder<T>): SplitResult<T> {
  if (!(limits.maxItems >= 1) || !(limits.maxBytes >= 1)) throw new Error(`invalid request limits ${JSON.stringify(limits)}`);
  const requests: Array<EncodedRequest<T>> = [];
  const oversized: T[] = [];
  let candidates: readonly T[] = items;
  if (limits.maxItemBytes !== undefined) {
    const max = limits.maxItemBytes;
    const kept: T[] = [];
    for (const item of items) {
      const alone = encode([item]);
      if (alone && alone.byteLength > max) oversized.push(item);
      else kept.push(item);
    }
    candidates = kept;
  }
  const emit = (chunk: readonly T[]): void => {
    const body = encode(chunk);
    if (!body) return;
    if (body.byteLength <= limits.maxBytes) {
      requests.push({ items: chunk, body });
    } else if (chunk.length === 1) {
      oversized.push(chunk[0]);
    } else {
      const mid = Math.ceil(chunk.length / 2);
      emit(chunk.slice(0, mid));
      emit(chunk.slice(mid));
    }
  };
  for (let start = 0; start < candidates.length; start += limits.maxItems) {
    emit(candidates.slice(start, start + limits.maxItems));
  }
  return { requests, oversized };
}

/** One data point of a {@link ResourceMetrics}, by position. */
export interface DataPointRef {
  readonly scope: number;
  readonly metric: number;
  readonly point: number;
}

/**
 * Split `metrics` into requests of at most `limits.maxItems` data points and `limits.maxBytes`
 * encoded bytes. Each request is a `ResourceMetrics` of the same resource, holding the scopes and
 * metric descriptors (temporality, monotonicity) of the data points it carries.
 */
export function splitResourceMetrics(
  metrics: ResourceMetrics,
  limits: RequestLimits,
  encode: (metrics: ResourceMetrics) => Uint8Array | undefined,
): SplitResult<DataPointRef, ResourceMetrics> {
  const refs: DataPointRef[] = [];
  metrics.scopeMetrics.forEach((scope, s) => {
    scope.metrics.forEach((metric, m) => {
      metric.dataPoints.forEach((_point, p) => refs.push({ scope: s, metric: m, point: p }));
    });
  });
  const rebuild = (chunk: readonly DataPointRef[]): ResourceMetrics => subset(metrics, chunk);
  const split = splitForLimits(refs, limits, (chunk) => encode(rebuild(chunk)));
  return {
    requests: split.requests.map((request) => ({ items: [rebuild(request.items)], body: request.body })),
    oversized: split.oversized,
  };
}

function subset(metrics: ResourceMetrics, refs: readonly DataPointRef[]): ResourceMetrics {
  const byScope = new Map<number, Map<number, number[]>>();
  for (const ref of refs) {
    let byMetric = byScope.get(ref.scope);
    if (!byMetric) byScope.set(ref.scope, (byMetric = new Map()));
    let points = byMetric.get(ref.metric);
    if (!points) byMetric.set(ref.metric, (points = []));
    points.push(ref.point);
  }
  const scopeMetrics = [...byScope].map(([s, byMetric]) => {
    const scope = metrics.scopeMetrics[s];
    return {
      scope: scope.scope,
      metrics: [...byMetric].map(([m, points]) => {
        const metric = scope.metrics[m];
        return { ...metric, dataPoints: points.map((p) => metric.dataPoints[p]) } as typeof metric;
      }),
    };
  });
  return { resource: metrics.resource, scopeMetrics };
}
