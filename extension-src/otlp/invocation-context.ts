/**
 * The trace context of one invocation: the ids its span and everything belonging to it (platform
 * sub-spans, init span, log records, REPORT record) are emitted with. Today it comes from the
 * X-Ray header of the invocation's events, else from new random ids; this is the one place that
 * decides it, and joining the function's own trace (./joining.ts) moves
 * what was emitted with it into the function's trace, per request id.
 */
import { TraceFlags, type Attributes, type SpanContext } from '@opentelemetry/api';
import { parseXRayHeader, type IdGenerator } from './trace-context';
import type { Tracing } from '../telemetry/schemas';

/** Ids of one span and its trace. */
export interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** One invocation, keyed by its request id. */
export interface InvocationContext extends TraceIds {
  readonly requestId: string;
  /** The invocation span's remote parent (the X-Ray header's `Parent`). */
  readonly parentSpanId?: string;
  /** The trace id is the X-Ray trace's (the function sees the same in `_X_AMZN_TRACE_ID`). */
  readonly xray?: boolean;
  readonly startMs: number;
  readonly coldStart?: boolean;
  readonly tenantId?: string;
}

/** The context of an invocation starting at `startMs`: in the X-Ray trace its events carry, else a new trace. */
export function invocationContext(
  ids: IdGenerator,
  requestId: string,
  startMs: number,
  tracing: Tracing | undefined,
  coldStart: boolean | undefined,
  tenantId?: string,
): InvocationContext {
  const xray = parseXRayHeader(tracing?.value);
  return {
    requestId,
    traceId: xray?.traceId ?? ids.traceId(),
    spanId: ids.spanId(),
    parentSpanId: xray?.parentSpanId,
    xray: xray !== undefined,
    traceFlags: xray?.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
    startMs,
    coldStart,
    tenantId,
  };
}

/** Ids of a new child of `parent`. */
export function childIds(ids: IdGenerator, parent: TraceIds): TraceIds {
  return { traceId: parent.traceId, spanId: ids.spanId(), traceFlags: parent.traceFlags };
}

/** The span context records of `ids` carry (log records). */
export function spanContextOf(ids: TraceIds | undefined): SpanContext | undefined {
  return ids ? { traceId: ids.traceId, spanId: ids.spanId, traceFlags: ids.traceFlags } : undefined;
}

/** Attributes of an invocation's span. */
export function invocationAttributes(inv: InvocationContext): Attributes {
  const attributes: Attributes = { 'faas.invocation_id': inv.requestId };
  if (inv.coldStart !== undefined) attributes['faas.coldstart'] = inv.coldStart;
  if (inv.tenantId !== undefined) attributes['aws.lambda.tenant_id'] = inv.tenantId;
  return attributes;
}
