/**
 * Telemetry API events to OpenTelemetry data, batch by batch: the dispatch of each event to the
 * part that maps it (spans ./spans.ts, init/restore phases ./phases.ts, log records
 * ./log-records.ts, metrics ./metrics.ts), with the invocation table (./invocations.ts) as the
 * bounded state spans need across batches. Pure mapping: encoding and delivery are the sink's
 * (../sinks/otlp/otlp-sink.ts).
 *
 * What becomes what:
 * - `platform.start` opens an invocation; `platform.runtimeDone` closes it (end = start +
 *   `metrics.durationMs`). Without a runtimeDone (managed instances, timeouts) `platform.report`
 *   closes it. Span status is ERROR with `errorType` as message unless the status is `success`.
 *   `faas.coldstart` is true for the first invocation this process sees, unless it was
 *   pre-initialised (provisioned concurrency, managed instances); after a SnapStart restore the
 *   first invocation is the cold start again. `faas.trigger` is never set: no Telemetry API
 *   event says what invoked the function.
 * - With an X-Ray header in `tracing.value`, spans join that trace (trace id = the Root's hex
 *   digits, parent = `Parent`); otherwise ids are random. Span ids are always our own.
 * - `platform.initStart` .. `platform.initReport` make an `init` span; `platform.restoreStart` ..
 *   `platform.restoreReport` a `restore` span (see ./phases.ts for where they go).
 * - `function` / `extension` records become log records carrying the trace context of their
 *   invocation (by request id, else the last started invocation).
 * - Not representable in OTLP, hence exported as nothing: events of unknown types (counted by the
 *   listener as `unknown`), `platform.extension` and `platform.telemetrySubscription`.
 *
 * - The function's own telemetry (`functionItems`, from the OTLP receiver) is forwarded as it came,
 *   resources merged (./forward.ts), and the platform's records of an invocation join the
 *   function's trace (./joining.ts: the rules, the bounded wait).
 *
 * State is bounded: at most `maxOpenInvocations` open invocations (the oldest is evicted and
 * counted when more start), `maxClosedInvocations` remembered trace contexts for late logs and
 * {@link MAX_PENDING_PHASE_SPANS} init/restore spans waiting for an invocation.
 */
import { SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { emptyForward, passThrough, type Forward } from './forward';
import { invocationAttributes, invocationContext, type InvocationContext } from './invocation-context';
import { InvocationTable } from './invocations';
import { DEFAULT_JOIN_LIMITS, TraceJoiner, type JoinLimits } from './joining';
import { LogRecordBuilder } from './log-records';
import { BatchMetrics, FAAS_METRICS } from './metrics';
import { Phases } from './phases';
import { NO_SIGNALS, signalsOf, type Signals } from './signals';
import { SpanBuilder } from './spans';
import { RandomIds, type IdGenerator } from './trace-context';
import type { FunctionTelemetry } from '../receiver/function-telemetry';
import type { ResourceAttributes } from '../sinks/resource';
import { isKnownEvent, type ParsedEvent, type Span as PlatformSpan, type Tracing } from '../telemetry/schemas';

export { MAX_PENDING_PHASE_SPANS } from './phases';

export interface OtlpConverterOptions {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** Name of invocation spans (semconv: the function name). */
  readonly spanName: string;
  readonly maxOpenInvocations?: number;
  readonly maxClosedInvocations?: number;
  readonly ids?: IdGenerator;
  /** Bounds of the wait for the function's spans (./joining.ts). Default {@link DEFAULT_JOIN_LIMITS}. */
  readonly joinLimits?: Partial<JoinLimits>;
  /** Clock of the bounded wait. Default `Date.now`. */
  readonly now?: () => number;
}

export interface ConvertOptions {
  /** The caller is about to freeze or exit: nothing is held past this call. Default false. */
  readonly final?: boolean;
}

/** What one batch of events produced. */
export interface OtlpBatch {
  readonly spans: ReadableSpan[];
  readonly metrics: BatchMetrics;
  readonly logs: ReadableLogRecord[];
  /**
   * Per input event, the signals of the records it contributed to (empty: none). Records held
   * for joining do not count: an event whose records all wait is settled at once.
   */
  readonly contributions: Signals[];
  /** The function's own data of this batch, resources merged, to send with the platform's. */
  readonly forward: Forward;
}

/** How an invocation ended, from its runtimeDone or report. */
interface Closing {
  readonly timeMs: number;
  readonly durationMs: number | undefined;
  readonly status: string;
  readonly errorType: string | undefined;
  readonly platformSpans: PlatformSpan[] | undefined;
  readonly tracing: Tracing | undefined;
}

export class OtlpConverter {
  private readonly ids: IdGenerator;
  private readonly invocations: InvocationTable;
  private readonly spans: SpanBuilder;
  private readonly phases: Phases;
  private readonly logs: LogRecordBuilder;
  private readonly joiner: TraceJoiner;
  private readonly resourceAttributes: ResourceAttributes;
  private coldStartPending = true;

  constructor(private readonly options: OtlpConverterOptions) {
    this.ids = options.ids ?? new RandomIds();
    this.invocations = new InvocationTable(options.maxOpenInvocations ?? 1000, options.maxClosedInvocations ?? 1000);
    this.spans = new SpanBuilder(options.resource, options.scope, this.ids);
    this.phases = new Phases(this.spans, this.ids);
    this.logs = new LogRecordBuilder(options.resource, options.scope);
    this.joiner = new TraceJoiner({ ...DEFAULT_JOIN_LIMITS, ...options.joinLimits }, options.now ?? Date.now);
    // The extension's attributes that can fill in the function's (strings and numbers).
    const attributes: ResourceAttributes = {};
    for (const [key, value] of Object.entries(options.resource.attributes)) {
      if (typeof value === 'string' || typeof value === 'number') attributes[key] = value;
    }
    this.resourceAttributes = attributes;
  }

  /** Invocations whose platform records wait for the function's span. */
  get heldInvocations(): number {
    return this.joiner.heldInvocations;
  }

  /** Invocations joined with the function's trace, and those that waited for it in vain. */
  get joinCounts(): { readonly joined: number; readonly unjoined: number } {
    return { joined: this.joiner.joined, unjoined: this.joiner.unjoined };
  }

  /** Number of invocations started and not yet closed. */
  get openInvocations(): number {
    return this.invocations.openCount;
  }

  /** Open invocations forgotten because more than `maxOpenInvocations` were open. */
  get evictedInvocations(): number {
    return this.invocations.evicted;
  }

  /**
   * Map one batch: the platform's events and the function's own telemetry (any order between
   * the two). Never throws on event content (bad values are skipped).
   */
  convert(events: readonly ParsedEvent[], functionItems: readonly FunctionTelemetry[] = [], options: ConvertOptions = {}): OtlpBatch {
    const forward = passThrough(functionItems, this.resourceAttributes);
    const out: OtlpBatch = { spans: [], metrics: new BatchMetrics(), logs: [], contributions: [], forward };
    for (const item of functionItems) if (item.signal === 'traces') this.joiner.functionSpans(item.resourceSpans);
    for (const event of events) out.contributions.push(this.convertOne(event, out));
    const records = { spans: out.spans, logs: out.logs };
    this.joiner.settle(records, options.final === true);
    const present = { traces: records.spans.length > 0, logs: records.logs.length > 0 };
    const contributions = out.contributions.map((s) => (s.has('traces') && !present.traces) || (s.has('logs') && !present.logs)
      ? signalsOf(s.has('traces') && present.traces, s.has('metrics'), s.has('logs') && present.logs)
      : s);
    return { ...out, spans: records.spans, logs: records.logs, contributions };
  }

  /**
   * What is still held, as spans: invocations that never closed (ended now, attribute
   * `telemetry_extension.incomplete`) and init/restore spans no invocation claimed.
   * Clears the state.
   */
  drain(nowMs: number): ReadableSpan[] {
    return this.drainBatch(nowMs).spans;
  }

  /**
   * {@link drain} with the platform records still held for joining (spans and log records):
   * what is joined by now goes out in the function's trace, the rest on its own.
   */
  drainBatch(nowMs: number): OtlpBatch {
    const spans = this.invocations.drainOpen().map((inv) => this.spans.incompleteInvocationSpan(this.options.spanName, inv, nowMs));
    this.phases.drain(spans);
    const records = { spans, logs: [] as ReadableLogRecord[] };
    this.joiner.drain(records);
    return { spans: records.spans, logs: records.logs, metrics: new BatchMetrics(), contributions: [], forward: emptyForward() };
  }

  private convertOne(event: ParsedEvent, out: OtlpBatch): Signals {
    if (!isKnownEvent(event)) return NO_SIGNALS;
    switch (event.type) {
      case 'platform.initStart':
        this.phases.started('init', event.timeMs, event.record);
        // Provisioned concurrency and managed instances initialise before any traffic: no invocation waits for it.
        if (event.record.initializationType === 'provisioned-concurrency' || event.record.initializationType === 'lambda-managed-instances') {
          this.coldStartPending = false;
        }
        return NO_SIGNALS;
      case 'platform.initRuntimeDone':
        this.phases.runtimeDone('init', event.record);
        return NO_SIGNALS;
      case 'platform.initReport': {
        const state = this.phases.reported('init', event.record);
        const durationMs = event.record.metrics.durationMs;
        out.metrics.record(FAAS_METRICS.initDuration, durationMs / 1000, event.timeMs);
        return signalsOf(this.phases.finish(state, durationMs, event.timeMs, this.coldOpenInvocation(), out.spans), true);
      }
      case 'platform.restoreStart':
        // Every environment restored from one snapshot starts with the same process state: ids
        // must come from random bytes drawn after the restore, not from the snapshot's pool.
        this.ids.reseed?.();
        this.phases.started('restore', event.timeMs);
        this.coldStartPending = true;
        return NO_SIGNALS;
      case 'platform.restoreRuntimeDone':
        this.phases.runtimeDone('restore', event.record);
        return NO_SIGNALS;
      case 'platform.restoreReport': {
        const state = this.phases.reported('restore', event.record);
        const durationMs = event.record.metrics?.durationMs ?? (state.startMs !== undefined ? event.timeMs - state.startMs : 0);
        if (event.record.metrics) out.metrics.record(FAAS_METRICS.restoreDuration, durationMs / 1000, event.timeMs);
        const traced = this.phases.finish(state, durationMs, event.timeMs, this.coldOpenInvocation(), out.spans);
        return signalsOf(traced, event.record.metrics !== undefined);
      }
      case 'platform.start':
        return this.start(event.record.requestId, event.timeMs, event.record.tracing, event.record.tenantId, out);
      case 'platform.runtimeDone': {
        const r = event.record;
        const closing: Closing = {
          timeMs: event.timeMs,
          durationMs: r.metrics?.durationMs,
          status: r.status,
          errorType: r.errorType,
          platformSpans: r.spans,
          tracing: r.tracing,
        };
        const traced = this.close(r.requestId, closing, out, true);
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
        const closing: Closing = {
          timeMs: event.timeMs, durationMs: m.durationMs, status: r.status ?? 'success', errorType: r.errorType, platformSpans: r.spans, tracing: r.tracing,
        };
        const traced = this.invocations.isOpen(r.requestId)
          ? this.close(r.requestId, closing, out, false)
          : this.postRuntime(r.requestId, closing, out);
        out.logs.push(this.logs.report(event, this.invocations.contextOf(r.requestId)));
        return signalsOf(traced, true, true);
      }
      case 'platform.logsDropped':
        out.metrics.record(FAAS_METRICS.logsDropped, event.record.droppedRecords, event.timeMs);
        return signalsOf(false, true);
      case 'function':
      case 'extension':
        out.logs.push(this.logs.log(event, this.invocations));
        return signalsOf(false, false, true);
      case 'platform.extension':
      case 'platform.telemetrySubscription':
        return NO_SIGNALS;
    }
    return NO_SIGNALS;
  }

  /**
   * An invocation whose runtime finished (runtimeDone said success, the span is out) but that
   * died afterwards, while an extension held `next` (a timeout or a crash after the response):
   * an ERROR child span `postRuntime` from the span's end to the report, so the death is visible
   * in the trace and not only in the REPORT record.
   */
  private postRuntime(requestId: string, closing: Closing, out: OtlpBatch): boolean {
    const closed = this.invocations.getClosed(requestId);
    if (closing.status === 'success' || !closed || closed.failed) return false;
    const span = this.spans.childSpan({ name: 'postRuntime', start: new Date(closed.endMs).toISOString(), startMs: closed.endMs, durationMs: Math.max(0, closing.timeMs - closed.endMs) }, closed);
    const attributes: Attributes = { 'aws.lambda.invocation.status': closing.status };
    if (closing.errorType) attributes['error.type'] = closing.errorType;
    out.spans.push({ ...span, attributes, status: { code: SpanStatusCode.ERROR, message: closing.errorType ?? closing.status } });
    return true;
  }

  private track(inv: InvocationContext): void {
    this.joiner.track(inv);
  }

  /** The cold-start invocation while it runs (a suppressed init may end after it started). */
  private coldOpenInvocation() {
    const latest = this.invocations.latestStarted;
    return latest && latest.coldStart && this.invocations.isOpen(latest.requestId) ? latest : undefined;
  }

  private start(requestId: string, timeMs: number, tracing: Tracing | undefined, tenantId: string | undefined, out: OtlpBatch): Signals {
    if (this.invocations.isOpen(requestId)) return NO_SIGNALS;
    const coldStart = this.coldStartPending;
    this.coldStartPending = false;
    const inv = invocationContext(this.ids, requestId, timeMs, tracing, coldStart, tenantId);
    this.track(inv);
    this.invocations.add(inv, true);
    if (coldStart) out.metrics.record(FAAS_METRICS.coldstarts, 1, timeMs);
    // Init/restore spans that waited for this (first) invocation become its children.
    const traced = this.phases.claim(inv, out.spans);
    return signalsOf(traced, coldStart);
  }

  /**
   * Close `requestId` and emit its span and children. An invocation whose start was never seen
   * (lost, evicted) is reconstructed from its runtimeDone when that has a duration.
   */
  private close(requestId: string, closing: Closing, out: OtlpBatch, fromRuntimeDone: boolean): boolean {
    const { timeMs, durationMs, status, errorType } = closing;
    let inv = this.invocations.getOpen(requestId);
    if (!inv) {
      if (!fromRuntimeDone || this.invocations.wasClosed(requestId) || durationMs === undefined) return false;
      inv = invocationContext(this.ids, requestId, timeMs - durationMs, closing.tracing, undefined);
      this.track(inv);
      this.invocations.add(inv, false);
    }
    const endMs = durationMs !== undefined ? inv.startMs + durationMs : Math.max(inv.startMs, timeMs);
    const failed = status !== 'success';
    this.invocations.close(inv, endMs, failed);
    this.joiner.closed(requestId, endMs);
    const attributes = invocationAttributes(inv);
    if (failed) attributes['aws.lambda.invocation.status'] = status;
    if (errorType) attributes['error.type'] = errorType;
    out.spans.push(this.spans.invocationSpan(this.options.spanName, inv, endMs, attributes,
      failed ? { code: SpanStatusCode.ERROR, message: errorType ?? status } : { code: SpanStatusCode.UNSET }));
    for (const child of closing.platformSpans ?? []) out.spans.push(this.spans.childSpan(child, inv));
    return true;
  }
}
