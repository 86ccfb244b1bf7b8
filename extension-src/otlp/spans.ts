/**
 * Building OpenTelemetry `ReadableSpan`s (what the OTLP serializers take) from the parts the
 * converter knows: the invocation span, the platform's own sub-spans, init/restore spans.
 */
import { SpanKind, SpanStatusCode, type Attributes, type SpanStatus } from '@opentelemetry/api';
import { millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { childIds, invocationAttributes, type InvocationContext, type TraceIds } from './invocation-context';
import type { IdGenerator } from './trace-context';
import type { Span as PlatformSpan } from '../telemetry/schemas';

export interface SpanParts {
  readonly name: string;
  readonly kind: SpanKind;
  readonly ids: TraceIds;
  readonly parentSpanId?: string;
  readonly parentIsRemote: boolean;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Attributes;
  readonly status: SpanStatus;
}

export class SpanBuilder {
  constructor(
    private readonly resource: Resource,
    private readonly scope: InstrumentationScope,
    private readonly ids: IdGenerator,
  ) {}

  /** A finished span (end never before start). */
  span(p: SpanParts): ReadableSpan {
    const { traceId, spanId, traceFlags } = p.ids;
    const endMs = Math.max(p.startMs, p.endMs);
    return {
      name: p.name,
      kind: p.kind,
      spanContext: () => ({ traceId, spanId, traceFlags }),
      parentSpanContext: p.parentSpanId ? { traceId, spanId: p.parentSpanId, traceFlags, isRemote: p.parentIsRemote } : undefined,
      startTime: millisToHrTime(p.startMs),
      endTime: millisToHrTime(endMs),
      duration: millisToHrTime(endMs - p.startMs),
      status: p.status,
      attributes: p.attributes,
      links: [],
      events: [],
      ended: true,
      resource: this.resource,
      instrumentationScope: this.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  /** The SERVER span of an invocation, named `name`, child of its remote parent if any. */
  invocationSpan(name: string, inv: InvocationContext, endMs: number, attributes: Attributes, status: SpanStatus): ReadableSpan {
    return this.span({
      name,
      kind: SpanKind.SERVER,
      ids: inv,
      parentSpanId: inv.parentSpanId,
      parentIsRemote: true,
      startMs: inv.startMs,
      endMs,
      attributes,
      status,
    });
  }

  /** An invocation that never closed, ended at `nowMs` and marked incomplete. */
  incompleteInvocationSpan(name: string, inv: InvocationContext, nowMs: number): ReadableSpan {
    return this.invocationSpan(name, inv, Math.max(inv.startMs, nowMs), {
      ...invocationAttributes(inv),
      'telemetry_extension.incomplete': true,
    }, { code: SpanStatusCode.UNSET });
  }

  /** One of the platform's sub-spans (`responseLatency`, ...) as a child of `parent`. */
  childSpan(child: PlatformSpan, parent: TraceIds): ReadableSpan {
    return this.span({
      name: child.name,
      kind: SpanKind.INTERNAL,
      ids: childIds(this.ids, parent),
      parentSpanId: parent.spanId,
      parentIsRemote: false,
      startMs: child.startMs,
      endMs: child.startMs + child.durationMs,
      attributes: {},
      status: { code: SpanStatusCode.UNSET },
    });
  }
}
