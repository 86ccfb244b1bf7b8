/**
 * The function's own OTLP data (one item of the receiver: one export request of its SDK) as JSON,
 * for the sinks that write JSON of their own (HTTP, stdout):
 *
 *   {"signal":"traces","receivedAtMs":1733040000123,"records":3,
 *    "request":{"resourceSpans":[...]}}
 *
 * `request` is the export request in the OTLP specification's JSON mapping (ids as hex, 64-bit
 * integers as strings), each resource merged with the extension's (`cloud.*` / `faas.*` filled
 * in where the function did not set them, never overwritten).
 */
import type { ResourceAttributes } from './resource';
import type { FunctionTelemetry } from '../receiver/function-telemetry';
import { mergeResource } from '../receiver/merge-resource';
import { toOtlpJson } from '../receiver/otlp-codec';

export interface FunctionItemJson {
  readonly signal: FunctionTelemetry['signal'];
  readonly receivedAtMs: number;
  /** Spans, metric data points or log records. */
  readonly records: number;
  readonly request: Record<string, unknown>;
}

function merged<T extends { resource?: Parameters<typeof mergeResource>[0] }>(list: readonly T[], resource: Readonly<ResourceAttributes>): T[] {
  return list.map((scoped) => ({ ...scoped, resource: mergeResource(scoped.resource, resource) }));
}

export function functionItemJson(item: FunctionTelemetry, resource: Readonly<ResourceAttributes>): FunctionItemJson {
  const base = { signal: item.signal, receivedAtMs: item.receivedAtMs, records: item.items };
  switch (item.signal) {
    case 'traces': return { ...base, request: toOtlpJson('traces', { resourceSpans: merged(item.resourceSpans, resource) }) };
    case 'metrics': return { ...base, request: toOtlpJson('metrics', { resourceMetrics: merged(item.resourceMetrics, resource) }) };
    default: return { ...base, request: toOtlpJson('logs', { resourceLogs: merged(item.resourceLogs, resource) }) };
  }
}
