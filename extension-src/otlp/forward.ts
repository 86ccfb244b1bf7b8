/**
 * The function's own telemetry, to be forwarded with the platform's: its resource-scoped data as
 * the SDK sent it, each resource completed by {@link mergeResource} (the function's attributes
 * kept, missing `cloud.*` / `faas.*` filled in from the extension's resource). Nothing of the
 * function's data is held back or rewritten: joining (./joining.ts) only moves the platform's
 * spans into the function's trace.
 */
import { mergeResource, type FunctionTelemetry } from '../receiver';
import type { ResourceLogs, ResourceMetrics, ResourceSpans } from '../receiver/otlp-types';
import type { ResourceAttributes } from '../sinks/resource';

/** The function's data of one batch, by signal. */
export interface Forward {
  readonly traces: ResourceSpans[];
  readonly metrics: ResourceMetrics[];
  readonly logs: ResourceLogs[];
}

export function emptyForward(): Forward {
  return { traces: [], metrics: [], logs: [] };
}

/** `items` into `out` (appended), resources merged with `extensionResource`. */
export function passThrough(
  items: readonly FunctionTelemetry[],
  extensionResource: Readonly<ResourceAttributes>,
  out: Forward = emptyForward(),
): Forward {
  for (const item of items) {
    switch (item.signal) {
      case 'traces':
        for (const rs of item.resourceSpans) out.traces.push({ ...rs, resource: mergeResource(rs.resource, extensionResource) });
        break;
      case 'metrics':
        for (const rm of item.resourceMetrics) out.metrics.push({ ...rm, resource: mergeResource(rm.resource, extensionResource) });
        break;
      case 'logs':
        for (const rl of item.resourceLogs) out.logs.push({ ...rl, resource: mergeResource(rl.resource, extensionResource) });
        break;
    }
  }
  return out;
}
