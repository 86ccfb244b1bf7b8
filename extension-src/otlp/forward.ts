/**
 * The function's own OTLP data (../receiver/), as the converter returns it for the sink to
 * forward next to the platform's signals: resource-scoped, each resource merged with the
 * extension's (`mergeResource`: the function's attributes kept, missing `cloud.*` / `faas.*`
 * filled in).
 */
import type { FunctionTelemetry } from '../receiver/function-telemetry';
import { mergeResource } from '../receiver/merge-resource';
import type { ResourceLogs, ResourceMetrics, ResourceSpans } from '../receiver/otlp-types';
import type { ResourceAttributes } from '../sinks/resource';

/** What the sink forwards of the function's data, by signal. */
export interface Forward {
  readonly traces: ResourceSpans[];
  readonly metrics: ResourceMetrics[];
  readonly logs: ResourceLogs[];
}

export function emptyForward(): Forward {
  return { traces: [], metrics: [], logs: [] };
}

/**
 * PASS-THROUGH, to be replaced by the joining of the function's trace with the platform's
 * (helper "joining"): every function item goes out as it came, in arrival order, resources
 * merged. Nothing is held back.
 */
export function passThrough(items: readonly FunctionTelemetry[], extensionResource: Readonly<ResourceAttributes>): Forward {
  const out = emptyForward();
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
