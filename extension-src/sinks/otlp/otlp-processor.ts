/**
 * Telemetry API events to OpenTelemetry data: spans (one SERVER span per invocation, init and
 * SnapStart restore spans, the platform's own sub-spans as children), metrics (./metrics.ts) and
 * log records (function and extension logs). Pure mapping plus the bounded state that spans need
 * across batches; encoding and delivery are the sink's (./otlp-sink.ts).
 *
 * What becomes what:
 * - `platform.start` opens an invocation; `platform.runtimeDone` closes it (end = start +
 *   `metrics.durationMs`). Without a runtimeDone (managed instances, timeouts) `platform.report`
 *   closes it. Span status is ERROR with `errorType` as message unless the status is `success`.
 *   `faas.coldstart` is true for the first invocation this process sees, unless it was
 *   pre-initialised by provisioned concurrency. `faas.trigger` is never set: no Telemetry API
 *   event says what invoked the function.
 * - With an X-Ray header in `tracing.value`, spans join that trace (trace id = the Root's hex
 *   digits, parent = `Parent`); otherwise ids are random. Span ids are always our own.
 * - `platform.initStart` .. `platform.initReport` make an `init` span; `platform.restoreStart` ..
 *   `platform.restoreReport` a `restore` span. On-demand inits and restores become children of
 *   the first invocation's span (as X-Ray shows them); provisioned-concurrency and snap-start
 *   inits, which no invocation follows directly, are root spans of their own trace.
 * - `function` / `extension` records become log records carrying the trace context of their
 *   invocation (by request id, else the last started invocation).
 * - Not representable in OTLP, hence exported as nothing: events of unknown types (counted by the
 *   listener as `unknown`), `platform.extension` and `platform.telemetrySubscription`.
 *
 * State is bounded: at most `maxOpenInvocations` open invocations (the oldest is evicted and
 * counted when more start), `maxClosedInvocations` remembered trace contexts for late logs and
 * {@link MAX_PENDING_PHASE_SPANS} init/restore spans waiting for an invocation.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type SpanStatus } from '@opentelemetry/api';
import type { LogAttributes } from '@opentelemetry/api-logs';
import { millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { OtlpSignal } from './endpoints';
import { parseLogLine, severityNumber } from './log-line';
import { BatchMetrics, FAAS_METRICS } from './metrics';
import { parseXRayHeader, RandomIds, type IdGenerator } from './trace-context';
import {
  isKnownEvent,
  type ExtensionLogEvent,
  type FunctionLogEvent,
  type ParsedEvent,
  type PlatformReportEvent,
  type Span as PlatformSpan,
  type Tracing,
} from '../../telemetry/schemas';
import { parseTime } from '../../telemetry/time';

/** Init/restore spans held for the next invocation at most (older ones are emitted as roots). */
export const MAX_PENDING_PHASE_SPANS = 8;

/** The signals an event's records went to. */
export type Signals = ReadonlySet<OtlpSignal>;

/** One shared set per combination: no allocation per event. */
const SIGNAL_SETS: readonly Signals[] = Array.from({ length: 8 }, (_, i) => new Set<OtlpSignal>([
  ...(i % 2 === 1 ? ['traces' as const] : []),
  ...(Math.floor(i / 2) % 2 === 1 ? ['metrics' as const] : []),
  ...(i >= 4 ? ['logs' as const] : []),
]));

/** The set of signals selected by the flags. */
export function signalsOf(traces: boolean, metrics: boolean, logs = false): Signals {
  return SIGNAL_SETS[(traces ? 1 : 0) + (metrics ? 2 : 0) + (logs ? 4 : 0)];
}

export const NO_SIGNALS = signalsOf(false, false);

export interface OtlpProcessorOptions {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** Name of invocation spans (semconv: the function name). */
  readonly spanName: string;
  readonly maxOpenInvocations?: number;
  readonly maxClosedInvocations?: number;
  readonly ids?: IdGenerator;
}

/** What one batch of events produced. */
export interface OtlpBatch {
  readonly spans: ReadableSpan[];
  readonly metrics: BatchMetrics;
  readonly logs: ReadableLogRecord[];
  /** Per input event, the signals of the records it contributed to (empty: none). */
  readonly contributions: Signals[];
}

interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** Ids of an init/restore span; a root one may have a remote parent from its own trace header. */
interface PhaseIds extends TraceIds {
  readonly parentSpanId?: string;
  readonly parentIsRemote?: boolean;
}

interface Invocation extends TraceIds {
  readonly requestId: string;
  readonly parentSpanId?: string;
  readonly startMs: number;
  readonly coldStart?: boolean;
  readonly tenantId?: string;
}

interface PhaseState {
  readonly kind: 'init' | 'restore';
  startMs?: number;
  initializationType?: string;
  phase?: string;
  tracing?: Tracing;
  status?: string;
  errorType?: string;
  spans?: PlatformSpan[];
}

/** An init/restore phase's runtime finished: its outcome and spans. */
function phaseRuntimeDone(
  state: PhaseState,
  r: { status: string; errorType?: string; spans?: PlatformSpan[]; tracing?: Tracing },
): void {
  state.status = r.status;
  state.errorType = r.errorType;
  state.spans = r.spans;
  state.tracing ??= r.tracing;
}

/** An init/restore phase's report: it completes what runtimeDone said (or stands in for it). */
function phaseReport(
  state: PhaseState,
  r: { status?: string; errorType?: string; spans?: PlatformSpan[]; tracing?: Tracing },
): void {
  state.status = r.status ?? state.status;
  state.errorType = r.errorType ?? state.errorType;
  state.spans = r.spans ?? state.spans;
  state.tracing ??= r.tracing;
}

/** A finished init/restore span waiting for the invocation it belongs to. */
interface PendingPhaseSpan {
  readonly state: PhaseState;
  readonly startMs: number;
  readonly endMs: number;
}

export class OtlpProcessor {
  private readonly open = new Map<string, Invocation>();
  private readonly closed = new Map<string, TraceIds>();
  private readonly ids: IdGenerator;
  private readonly maxOpen: number;
  private readonly maxClosed: number;
  private lastStarted?: Invocation;
  private coldStartPending = true;
  private init?: PhaseState;
  private restore?: PhaseState;
  private pendingPhaseSpans: PendingPhaseSpan[] = [];
  /** Open invocations forgotten because more than `maxOpenInvocations` were open. */
  evictedInvocations = 0;

  constructor(private readonly options: OtlpProcessorOptions) {
    this.ids = options.ids ?? new RandomIds();
    this.maxOpen = options.maxOpenInvocations ?? 1000;
    this.maxClosed = options.maxClosedInvocations ?? 1000;
  }

  /** Number of invocations started and not yet closed. */
  get openInvocations(): number {
    return this.open.size;
  }

  /** Map one batch. Never throws on event content (bad values are skipped). */
  process(events: readonly ParsedEvent[]): OtlpBatch {
    const out: OtlpBatch = { spans: [], metrics: new BatchMetrics(), logs: [], contributions: [] };
    for (const event of events) out.contributions.push(this.processOne(event, out));
    return out;
  }

  /**
   * What is still held, as spans: invocations that never closed (ended now, attribute
   * `telemetry_extension.incomplete`) and init/restore spans no invocation claimed.
   * Clears the state.
   */
  drain(nowMs: number): ReadableSpan[] {
    const spans: ReadableSpan[] = [];
    for (const inv of this.open.values()) {
      spans.push(this.span({
        name: this.options.spanName,
        kind: SpanKind.SERVER,
        ids: inv,
        parentSpanId: inv.parentSpanId,
        parentIsRemote: true,
        startMs: inv.startMs,
        endMs: Math.max(inv.startMs, nowMs),
        attributes: { ...invocationAttributes(inv), 'telemetry_extension.incomplete': true },
        status: { code: SpanStatusCode.UNSET },
      }));
    }
    this.open.clear();
    for (const pending of this.pendingPhaseSpans) spans.push(...this.phaseSpans(pending, this.rootIds(pending.state.tracing), undefined));
    this.pendingPhaseSpans = [];
    return spans;
  }

  private processOne(event: ParsedEvent, out: OtlpBatch): Signals {
    if (!isKnownEvent(event)) return NO_SIGNALS;
    switch (event.type) {
      case 'platform.initStart':
        this.init = {
          kind: 'init',
          startMs: event.timeMs,
          initializationType: event.record.initializationType,
          phase: event.record.phase,
          tracing: event.record.tracing,
        };
        if (event.record.initializationType === 'provisioned-concurrency') this.coldStartPending = false;
        return NO_SIGNALS;
      case 'platform.initRuntimeDone': {
        phaseRuntimeDone(this.init ?? (this.init = { kind: 'init', initializationType: event.record.initializationType }), event.record);
        return NO_SIGNALS;
      }
      case 'platform.initReport': {
        const state = this.init ?? { kind: 'init' as const, initializationType: event.record.initializationType };
        this.init = undefined;
        state.phase ??= event.record.phase;
        phaseReport(state, event.record);
        const durationMs = event.record.metrics.durationMs;
        out.metrics.record(FAAS_METRICS.initDuration, durationMs / 1000, event.timeMs);
        const traced = this.finishPhase(state, durationMs, event.timeMs, out);
        return signalsOf(traced, true);
      }
      case 'platform.restoreStart':
        this.restore = { kind: 'restore', startMs: event.timeMs, initializationType: 'snap-start' };
        this.coldStartPending = true;
        return NO_SIGNALS;
      case 'platform.restoreRuntimeDone': {
        phaseRuntimeDone(this.restore ?? (this.restore = { kind: 'restore', initializationType: 'snap-start' }), event.record);
        return NO_SIGNALS;
      }
      case 'platform.restoreReport': {
        const state = this.restore ?? { kind: 'restore' as const, initializationType: 'snap-start' };
        this.restore = undefined;
        phaseReport(state, event.record);
        const durationMs = event.record.metrics?.durationMs ?? (state.startMs !== undefined ? event.timeMs - state.startMs : 0);
        if (event.record.metrics) out.metrics.record(FAAS_METRICS.restoreDuration, durationMs / 1000, event.timeMs);
        const traced = this.finishPhase(state, durationMs, event.timeMs, out);
        return signalsOf(traced, event.record.metrics !== undefined);
      }
      case 'platform.start':
        return this.start(event.record.requestId, event.timeMs, event.record.tracing, event.record.tenantId, out);
      case 'platform.runtimeDone': {
        const r = event.record;
        const traced = this.close(r.requestId, event.timeMs, r.metrics?.durationMs, r.status, r.errorType, r.spans, r.tracing, out, true);
        return signalsOf(traced, false);
      }
      case 'platform.report': {
        const r = event.record;
        const m = r.metrics;
        out.metrics.record(FAAS_METRICS.invokeDuration, m.durationMs / 1000, event.timeMs);
        if (m.billedDurationMs !== undefined) out.metrics.record(FAAS_METRICS.billedDuration, m.billedDurationMs / 1000, event.timeMs);
        if (m.maxMemoryUsedMB !== undefined) out.metrics.record(FAAS_METRICS.memUsage, m.maxMemoryUsedMB * 1024 * 1024, event.timeMs);
        if (m.memorySizeMB !== undefined) out.metrics.record(FAAS_METRICS.memorySize, m.memorySizeMB * 1024 * 1024, event.timeMs);
        if (r.status === 'timeout') out.metrics.record(FAAS_METRICS.timeouts, 1, event.timeMs);
        else if (r.status === 'error' || r.status === 'failure') out.metrics.record(FAAS_METRICS.errors, 1, event.timeMs);
        // Closes the span only when no runtimeDone did (managed instances, timeouts).
        const traced = this.open.has(r.requestId)
          && this.close(r.requestId, event.timeMs, m.durationMs, r.status ?? 'success', r.errorType, r.spans, r.tracing, out, false);
        out.logs.push(this.reportLogRecord(event));
        return signalsOf(traced, true, true);
      }
      case 'platform.logsDropped':
        out.metrics.record(FAAS_METRICS.logsDropped, event.record.droppedRecords, event.timeMs);
        return signalsOf(false, true);
      case 'function':
      case 'extension':
        out.logs.push(this.logRecord(event));
        return signalsOf(false, false, true);
      case 'platform.extension':
      case 'platform.telemetrySubscription':
        return NO_SIGNALS;
    }
    return NO_SIGNALS;
  }

  private start(requestId: string, timeMs: number, tracing: Tracing | undefined, tenantId: string | undefined, out: OtlpBatch): Signals {
    const existing = this.open.get(requestId);
    if (existing) return NO_SIGNALS;
    const coldStart = this.coldStartPending;
    this.coldStartPending = false;
    const inv = this.newInvocation(requestId, timeMs, tracing, coldStart, tenantId);
    this.lastStarted = inv;
    if (coldStart) out.metrics.record(FAAS_METRICS.coldstarts, 1, timeMs);
    // Init/restore spans that waited for this (first) invocation become its children.
    const traced = this.pendingPhaseSpans.length > 0;
    for (const pending of this.pendingPhaseSpans) out.spans.push(...this.phaseSpans(pending, this.childIds(inv), inv.spanId));
    this.pendingPhaseSpans = [];
    return signalsOf(traced, coldStart);
  }

  private newInvocation(
    requestId: string,
    startMs: number,
    tracing: Tracing | undefined,
    coldStart: boolean | undefined,
    tenantId?: string,
  ): Invocation {
    const xray = parseXRayHeader(tracing?.value);
    const inv: Invocation = {
      requestId,
      traceId: xray?.traceId ?? this.ids.traceId(),
      spanId: this.ids.spanId(),
      parentSpanId: xray?.parentSpanId,
      traceFlags: xray?.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
      startMs,
      coldStart,
      tenantId,
    };
    this.open.set(requestId, inv);
    while (this.open.size > this.maxOpen) {
      const oldest = this.open.keys().next().value as string;
      this.open.delete(oldest);
      this.evictedInvocations++;
    }
    return inv;
  }

  /**
   * Close `requestId` and emit its span and children. An invocation whose start was never seen
   * (lost, evicted) is reconstructed from the closing event when it has a duration.
   */
  private close(
    requestId: string,
    timeMs: number,
    durationMs: number | undefined,
    status: string,
    errorType: string | undefined,
    platformSpans: PlatformSpan[] | undefined,
    tracing: Tracing | undefined,
    out: OtlpBatch,
    fromRuntimeDone: boolean,
  ): boolean {
    let inv = this.open.get(requestId);
    if (!inv) {
      if (!fromRuntimeDone || this.closed.has(requestId) || durationMs === undefined) return false;
      inv = this.newInvocation(requestId, timeMs - durationMs, tracing, undefined);
    }
    this.open.delete(requestId);
    this.remember(inv);
    const endMs = durationMs !== undefined ? inv.startMs + durationMs : Math.max(inv.startMs, timeMs);
    const failed = status !== 'success';
    const attributes = invocationAttributes(inv);
    if (status !== 'success') attributes['aws.lambda.invocation.status'] = status;
    if (errorType) attributes['error.type'] = errorType;
    out.spans.push(this.span({
      name: this.options.spanName,
      kind: SpanKind.SERVER,
      ids: inv,
      parentSpanId: inv.parentSpanId,
      parentIsRemote: true,
      startMs: inv.startMs,
      endMs,
      attributes,
      status: failed ? { code: SpanStatusCode.ERROR, message: errorType ?? status } : { code: SpanStatusCode.UNSET },
    }));
    for (const child of platformSpans ?? []) out.spans.push(this.childSpan(child, inv));
    return true;
  }

  private remember(inv: Invocation): void {
    this.closed.set(inv.requestId, { traceId: inv.traceId, spanId: inv.spanId, traceFlags: inv.traceFlags });
    while (this.closed.size > this.maxClosed) this.closed.delete(this.closed.keys().next().value as string);
  }

  /**
   * An init/restore phase ended. Emit its span now (own trace, or the trace its events carry), or
   * hold it for the first invocation. Returns whether spans were emitted now.
   */
  private finishPhase(state: PhaseState, durationMs: number, reportTimeMs: number, out: OtlpBatch): boolean {
    const startMs = state.startMs ?? reportTimeMs - durationMs;
    const pending: PendingPhaseSpan = { state, startMs, endMs: startMs + durationMs };
    const joinsInvocation = state.tracing === undefined
      && (state.kind === 'restore' || state.initializationType === 'on-demand' || state.initializationType === undefined);
    if (!joinsInvocation) {
      out.spans.push(...this.phaseSpans(pending, this.rootIds(state.tracing), undefined));
      return true;
    }
    // A suppressed init (phase "invoke") may end after its invocation started.
    const current = this.lastStarted;
    if (current && current.coldStart && this.open.has(current.requestId)) {
      out.spans.push(...this.phaseSpans(pending, this.childIds(current), current.spanId));
      return true;
    }
    this.pendingPhaseSpans.push(pending);
    if (this.pendingPhaseSpans.length <= MAX_PENDING_PHASE_SPANS) return false;
    const oldest = this.pendingPhaseSpans.shift() as PendingPhaseSpan;
    out.spans.push(...this.phaseSpans(oldest, this.rootIds(oldest.state.tracing), undefined));
    return true;
  }

  private phaseSpans(pending: PendingPhaseSpan, ids: PhaseIds, parentSpanId: string | undefined): ReadableSpan[] {
    const { state } = pending;
    const attributes: Attributes = {};
    if (state.initializationType) attributes['aws.lambda.initialization_type'] = state.initializationType;
    if (state.phase) attributes['aws.lambda.phase'] = state.phase;
    if (state.status && state.status !== 'success') attributes['aws.lambda.status'] = state.status;
    if (state.errorType) attributes['error.type'] = state.errorType;
    const failed = state.status !== undefined && state.status !== 'success';
    const parent = parentSpanId ?? ids.parentSpanId;
    const span = this.span({
      name: state.kind,
      kind: SpanKind.INTERNAL,
      ids,
      parentSpanId: parent,
      parentIsRemote: parentSpanId === undefined && ids.parentIsRemote === true,
      startMs: pending.startMs,
      endMs: pending.endMs,
      attributes,
      status: failed ? { code: SpanStatusCode.ERROR, message: state.errorType ?? state.status } : { code: SpanStatusCode.UNSET },
    });
    return [span, ...(state.spans ?? []).map((child) => this.childSpan(child, ids))];
  }

  /** Ids for a root init/restore span: the trace its events carry, else a new one. */
  private rootIds(tracing: Tracing | undefined): PhaseIds {
    const xray = parseXRayHeader(tracing?.value);
    return {
      traceId: xray?.traceId ?? this.ids.traceId(),
      spanId: this.ids.spanId(),
      traceFlags: xray?.sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
      parentSpanId: xray?.parentSpanId,
      parentIsRemote: xray?.parentSpanId !== undefined,
    };
  }

  private childIds(parent: TraceIds): TraceIds {
    return { traceId: parent.traceId, spanId: this.ids.spanId(), traceFlags: parent.traceFlags };
  }

  private childSpan(child: PlatformSpan, parent: TraceIds): ReadableSpan {
    const ids = this.childIds(parent);
    return this.span({
      name: child.name,
      kind: SpanKind.INTERNAL,
      ids,
      parentSpanId: parent.spanId,
      parentIsRemote: false,
      startMs: child.startMs,
      endMs: child.startMs + child.durationMs,
      attributes: {},
      status: { code: SpanStatusCode.UNSET },
    });
  }

  private span(p: {
    name: string;
    kind: SpanKind;
    ids: TraceIds;
    parentSpanId?: string;
    parentIsRemote: boolean;
    startMs: number;
    endMs: number;
    attributes: Attributes;
    status: SpanStatus;
  }): ReadableSpan {
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
      resource: this.options.resource,
      instrumentationScope: this.options.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  /**
   * The invocation's `platform.report` as one log record: the REPORT line Lambda users know from
   * CloudWatch Logs, with its figures as attributes, in the invocation's trace. (The invocation's
   * span has ended by the time the report arrives, and metrics aggregate, so this is where the
   * per-invocation billed duration and memory live.)
   */
  private reportLogRecord(event: PlatformReportEvent): ReadableLogRecord {
    const r = event.record;
    const m = r.metrics;
    const attributes: LogAttributes = { 'aws.lambda.log.source': event.type, 'faas.invocation_id': r.requestId };
    const figures: Array<[label: string, key: string, value: number | undefined, unit: string]> = [
      ['Duration', 'aws.lambda.duration_ms', m.durationMs, 'ms'],
      ['Billed Duration', 'aws.lambda.billed_duration_ms', m.billedDurationMs, 'ms'],
      ['Memory Size', 'aws.lambda.memory_size_mb', m.memorySizeMB, 'MB'],
      ['Max Memory Used', 'aws.lambda.max_memory_used_mb', m.maxMemoryUsedMB, 'MB'],
      ['Init Duration', 'aws.lambda.init_duration_ms', m.initDurationMs, 'ms'],
      ['Restore Duration', 'aws.lambda.restore_duration_ms', m.restoreDurationMs, 'ms'],
    ];
    let body = `REPORT RequestId: ${r.requestId}`;
    for (const [label, key, value, unit] of figures) {
      if (value === undefined) continue;
      attributes[key] = value;
      body += `\t${label}: ${value} ${unit}`;
    }
    const status = r.status ?? 'success';
    attributes['aws.lambda.invocation.status'] = status;
    if (status !== 'success') body += `\tStatus: ${status}`;
    if (r.errorType) {
      attributes['error.type'] = r.errorType;
      body += `\tError Type: ${r.errorType}`;
    }
    const ctx = this.open.get(r.requestId) ?? this.closed.get(r.requestId);
    return {
      hrTime: millisToHrTime(event.timeMs),
      hrTimeObserved: millisToHrTime(event.timeMs),
      spanContext: ctx ? { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags } : undefined,
      severityText: status === 'success' ? 'INFO' : 'ERROR',
      severityNumber: severityNumber(status === 'success' ? 'INFO' : 'ERROR'),
      body,
      resource: this.options.resource,
      instrumentationScope: this.options.scope,
      attributes,
      droppedAttributesCount: 0,
    };
  }

  private logRecord(event: FunctionLogEvent | ExtensionLogEvent): ReadableLogRecord {
    const record = event.record;
    const attributes: LogAttributes = { 'aws.lambda.log.source': event.type };
    let level: string | undefined;
    let requestId: string | undefined;
    let timestamp: string | undefined;
    let body: unknown;
    if (typeof record === 'string') {
      const line = parseLogLine(record);
      ({ level, requestId, timestamp } = line);
      body = line.message;
    } else {
      // Object records may have any shape: only string fields are read here.
      level = typeof record.level === 'string' ? record.level : undefined;
      requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
      timestamp = typeof record.timestamp === 'string' ? record.timestamp : undefined;
      body = record.message;
      for (const [key, value] of Object.entries(record)) {
        if (key === 'timestamp' || key === 'level' || key === 'requestId' || key === 'message' || value === undefined || value === null) continue;
        if (key === 'errorType') attributes['exception.type'] = String(value);
        else if (key === 'errorMessage') attributes['exception.message'] = String(value);
        else if (key === 'stackTrace') attributes['exception.stacktrace'] = Array.isArray(value) ? value.join('\n') : String(value);
        else attributes[key] = value as LogAttributes[string];
      }
    }
    // The record's own request id, else the last invocation started (text logs carry none).
    let ctx: TraceIds | undefined;
    if (requestId !== undefined) {
      ctx = this.open.get(requestId) ?? this.closed.get(requestId);
    } else {
      ctx = this.lastStarted;
      requestId = this.lastStarted?.requestId;
    }
    if (requestId !== undefined) attributes['faas.invocation_id'] = requestId;
    const severity = severityNumber(level);
    const at = timestamp !== undefined ? parseTime(timestamp) : NaN;
    return {
      hrTime: millisToHrTime(Number.isNaN(at) ? event.timeMs : at),
      hrTimeObserved: millisToHrTime(event.timeMs),
      spanContext: ctx ? { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags } : undefined,
      severityText: level,
      severityNumber: severity,
      body: body as ReadableLogRecord['body'],
      resource: this.options.resource,
      instrumentationScope: this.options.scope,
      attributes,
      droppedAttributesCount: 0,
    };
  }
}

function invocationAttributes(inv: Invocation): Attributes {
  const attributes: Attributes = { 'faas.invocation_id': inv.requestId };
  if (inv.coldStart !== undefined) attributes['faas.coldstart'] = inv.coldStart;
  if (inv.tenantId !== undefined) attributes['aws.lambda.tenant_id'] = inv.tenantId;
  return attributes;
}
