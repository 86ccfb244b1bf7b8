/**
 * Init and SnapStart restore phases: their state across events (`platform.initStart` ..
 * `platform.initReport`, `platform.restoreStart` .. `platform.restoreReport`) and their spans.
 *
 * On-demand inits and restores become children of the first invocation's span (as X-Ray shows
 * them), so their span waits for it (at most {@link MAX_PENDING_PHASE_SPANS}, older ones are
 * emitted as roots); provisioned-concurrency and snap-start inits, which no invocation follows
 * directly, and phases whose events carry their own trace header are root spans of their own
 * trace.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { childIds, type InvocationContext, type TraceIds } from './invocation-context';
import type { SpanBuilder } from './spans';
import { parseXRayHeader, type IdGenerator } from './trace-context';
import type { Span as PlatformSpan, Tracing } from '../telemetry/schemas';

/** Init/restore spans held for the next invocation at most (older ones are emitted as roots). */
export const MAX_PENDING_PHASE_SPANS = 8;

type PhaseKind = 'init' | 'restore';

export interface PhaseState {
  readonly kind: PhaseKind;
  startMs?: number;
  initializationType?: string;
  phase?: string;
  tracing?: Tracing;
  status?: string;
  errorType?: string;
  spans?: PlatformSpan[];
}

/** A finished init/restore span waiting for the invocation it belongs to. */
interface PendingPhaseSpan {
  readonly state: PhaseState;
  readonly startMs: number;
  readonly endMs: number;
}

/** Ids of an init/restore span; a root one may have a remote parent from its own trace header. */
interface PhaseIds extends TraceIds {
  readonly parentSpanId?: string;
  readonly parentIsRemote?: boolean;
}

interface RuntimeDoneRecord {
  readonly status: string;
  readonly errorType?: string;
  readonly spans?: PlatformSpan[];
  readonly tracing?: Tracing;
}

interface ReportRecord {
  readonly status?: string;
  readonly errorType?: string;
  readonly spans?: PlatformSpan[];
  readonly tracing?: Tracing;
  readonly phase?: string;
}

const FRESH: Readonly<Record<PhaseKind, () => PhaseState>> = {
  init: () => ({ kind: 'init' }),
  restore: () => ({ kind: 'restore', initializationType: 'snap-start' }),
};

export class Phases {
  private readonly current: { init?: PhaseState; restore?: PhaseState } = {};
  private pending: PendingPhaseSpan[] = [];

  constructor(private readonly spans: SpanBuilder, private readonly ids: IdGenerator) {}

  /** `platform.initStart` / `platform.restoreStart`. */
  started(kind: PhaseKind, timeMs: number, record: { initializationType?: string; phase?: string; tracing?: Tracing } = {}): void {
    this.current[kind] = kind === 'init'
      ? { kind, startMs: timeMs, initializationType: record.initializationType, phase: record.phase, tracing: record.tracing }
      : { kind, startMs: timeMs, initializationType: 'snap-start' };
  }

  /** `platform.initRuntimeDone` / `platform.restoreRuntimeDone`: the phase's outcome and spans. */
  runtimeDone(kind: PhaseKind, record: RuntimeDoneRecord & { initializationType?: string }): void {
    const state = this.current[kind] ?? (this.current[kind] = kind === 'init' ? { kind, initializationType: record.initializationType } : FRESH[kind]());
    state.status = record.status;
    state.errorType = record.errorType;
    state.spans = record.spans;
    state.tracing ??= record.tracing;
  }

  /**
   * `platform.initReport` / `platform.restoreReport`: it completes what runtimeDone said (or
   * stands in for it) and ends the phase. Returns its state, for {@link finish}.
   */
  reported(kind: PhaseKind, record: ReportRecord & { initializationType?: string }): PhaseState {
    const state = this.current[kind] ?? (kind === 'init' ? { kind, initializationType: record.initializationType } : FRESH[kind]());
    this.current[kind] = undefined;
    if (kind === 'init') state.phase ??= record.phase;
    state.status = record.status ?? state.status;
    state.errorType = record.errorType ?? state.errorType;
    state.spans = record.spans ?? state.spans;
    state.tracing ??= record.tracing;
    return state;
  }

  /**
   * A phase ended after `durationMs`. Emit its span into `out` now (own trace, the trace its
   * events carry, or the cold invocation `coldOpen` that is already running), or hold it for the
   * first invocation. Returns whether spans were emitted now.
   */
  finish(state: PhaseState, durationMs: number, reportTimeMs: number, coldOpen: InvocationContext | undefined, out: ReadableSpan[]): boolean {
    const startMs = state.startMs ?? reportTimeMs - durationMs;
    const pending: PendingPhaseSpan = { state, startMs, endMs: startMs + durationMs };
    const joinsInvocation = state.tracing === undefined
      && (state.kind === 'restore' || state.initializationType === 'on-demand' || state.initializationType === undefined);
    if (!joinsInvocation) {
      out.push(...this.phaseSpans(pending, this.rootIds(state.tracing), undefined));
      return true;
    }
    // A suppressed init (phase "invoke") may end after its invocation started.
    if (coldOpen) {
      out.push(...this.phaseSpans(pending, childIds(this.ids, coldOpen), coldOpen.spanId));
      return true;
    }
    this.pending.push(pending);
    if (this.pending.length <= MAX_PENDING_PHASE_SPANS) return false;
    const oldest = this.pending.shift() as PendingPhaseSpan;
    out.push(...this.phaseSpans(oldest, this.rootIds(oldest.state.tracing), undefined));
    return true;
  }

  /** The first invocation started: the phase spans waiting for it become its children. Returns whether there were any. */
  claim(inv: InvocationContext, out: ReadableSpan[]): boolean {
    const claimed = this.pending.length > 0;
    for (const pending of this.pending) out.push(...this.phaseSpans(pending, childIds(this.ids, inv), inv.spanId));
    this.pending = [];
    return claimed;
  }

  /** Phase spans no invocation claimed, as roots (shutdown). */
  drain(out: ReadableSpan[]): void {
    for (const pending of this.pending) out.push(...this.phaseSpans(pending, this.rootIds(pending.state.tracing), undefined));
    this.pending = [];
  }

  private phaseSpans(pending: PendingPhaseSpan, ids: PhaseIds, parentSpanId: string | undefined): ReadableSpan[] {
    const { state } = pending;
    const attributes: Attributes = {};
    if (state.initializationType) attributes['aws.lambda.initialization_type'] = state.initializationType;
    if (state.phase) attributes['aws.lambda.phase'] = state.phase;
    if (state.status && state.status !== 'success') attributes['aws.lambda.status'] = state.status;
    if (state.errorType) attributes['error.type'] = state.errorType;
    const failed = state.status !== undefined && state.status !== 'success';
    const span = this.spans.span({
      name: state.kind,
      kind: SpanKind.INTERNAL,
      ids,
      parentSpanId: parentSpanId ?? ids.parentSpanId,
      parentIsRemote: parentSpanId === undefined && ids.parentIsRemote === true,
      startMs: pending.startMs,
      endMs: pending.endMs,
      attributes,
      status: failed ? { code: SpanStatusCode.ERROR, message: state.errorType ?? state.status } : { code: SpanStatusCode.UNSET },
    });
    return [span, ...(state.spans ?? []).map((child) => this.spans.childSpan(child, ids))];
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
}
