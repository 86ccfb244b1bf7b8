/**
 * Counts the records of a decoded export request and refuses the ones no backend can store, as
 * the OTLP specification's `partial_success` allows: they are removed from the request, and the
 * response says how many and why. Spans need a 16-byte trace id and an 8-byte span id, neither
 * all zeros; a log record's ids are optional but, when present, have those lengths. Metrics are
 * counted in data points (the unit of `rejected_data_points`) and not refused here.

 */
import type { ExportRequests, Metric, OtlpSignal } from './otlp-types';

export interface Screened {
  /** Records kept (spans, data points, log records). */
  readonly items: number;
  /** Records refused and removed. */
  readonly rejected: number;
  /** Why, for `partial_success.error_message` ('' when nothing was refused). */
  readonly errorMessage: string;
}

function isValidId(id: Uint8Array | undefined, length: number): boolean {
  if (!id || id.length !== length) return false;
  for (let i = 0; i < length; i++) if (id[i] !== 0) return true;
  return false;
}

function isAbsentOrValidId(id: Uint8Array | undefined, length: number): boolean {
  return !id || id.length === 0 || isValidId(id, length);
}

function screenTraces(request: ExportRequests['traces']): Screened {
  let items = 0;
  let rejected = 0;
  for (const resourceSpans of request.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      const spans = scopeSpans.spans;
      let bad = 0;
      for (const span of spans) if (!isValidId(span.traceId, 16) || !isValidId(span.spanId, 8)) bad++;
      if (bad > 0) scopeSpans.spans = spans.filter((span) => isValidId(span.traceId, 16) && isValidId(span.spanId, 8));
      items += spans.length - bad;
      rejected += bad;
    }
  }
  return { items, rejected, errorMessage: rejected ? `${rejected} span(s) without a valid trace id (16 bytes) and span id (8 bytes), not all zeros` : '' };
}

function screenLogs(request: ExportRequests['logs']): Screened {
  let items = 0;
  let rejected = 0;
  const valid = (record: { traceId: Uint8Array; spanId: Uint8Array }) => isAbsentOrValidId(record.traceId, 16) && isAbsentOrValidId(record.spanId, 8);
  for (const resourceLogs of request.resourceLogs) {
    for (const scopeLogs of resourceLogs.scopeLogs) {
      const records = scopeLogs.logRecords;
      let bad = 0;
      for (const record of records) if (!valid(record)) bad++;
      if (bad > 0) scopeLogs.logRecords = records.filter(valid);
      items += records.length - bad;
      rejected += bad;
    }
  }
  return { items, rejected, errorMessage: rejected ? `${rejected} log record(s) with a trace id that is not 16 bytes or a span id that is not 8 bytes` : '' };
}

/** Data points of one metric, whatever its type. */
export function dataPointCount(metric: Metric): number {
  const data = metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary;
  return data ? data.dataPoints.length : 0;
}

function screenMetrics(request: ExportRequests['metrics']): Screened {
  let items = 0;
  for (const resourceMetrics of request.resourceMetrics) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      for (const metric of scopeMetrics.metrics) items += dataPointCount(metric);
    }
  }
  return { items, rejected: 0, errorMessage: '' };
}

/** Count, and remove what cannot be stored (the request is changed in place). */
export function screenRecords<S extends OtlpSignal>(signal: S, request: ExportRequests[S]): Screened {
  switch (signal) {
    case 'traces': return screenTraces(request as ExportRequests['traces']);
    case 'logs': return screenLogs(request as ExportRequests['logs']);
    default: return screenMetrics(request as ExportRequests['metrics']);
  }
}
