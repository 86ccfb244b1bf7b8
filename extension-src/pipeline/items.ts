/**
 * What travels through the bounded queue to the sink: the Telemetry API's parsed events and the
 * function's own OTLP data (one accepted export request of its SDK, ../receiver/), in arrival
 * order.
 *
 * Units: a Telemetry API event is one record; a function item holds `items` records (spans,
 * metric data points or log records). Every count (received, invalid, rejected, exported,
 * dropped) is in records, so the function's figures mean spans / data points / log records,
 * never requests. The queue's item bound counts queue entries (one per event, one per function
 * request); its byte bound is shared by both (see ./function-source.ts for the weighting).
 */
import type { FunctionTelemetry } from '../receiver/function-telemetry';
import type { ParsedEvent } from '../telemetry/schemas';

export type PipelineItem = ParsedEvent | FunctionTelemetry;

/** Is `item` the function's own data (not a Telemetry API event)? */
export function isFunctionTelemetry(item: PipelineItem): item is FunctionTelemetry {
  return (item as { source?: unknown }).source === 'function';
}

/** Records `item` holds: 1 for an event, spans / data points / log records for a function item. */
export function recordsOf(item: PipelineItem): number {
  return isFunctionTelemetry(item) ? item.items : 1;
}

/** The events of `items` and the function's items, each in arrival order. */
export function splitItems(items: readonly PipelineItem[]): { events: ParsedEvent[]; functionItems: FunctionTelemetry[] } {
  const events: ParsedEvent[] = [];
  const functionItems: FunctionTelemetry[] = [];
  for (const item of items) {
    if (isFunctionTelemetry(item)) functionItems.push(item);
    else events.push(item);
  }
  return { events, functionItems };
}
