/** Bookkeeping of one invocation: timestamps, the runtime's outcome, extensions' `next` calls. */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseJson } from './http-util';
import { isoTime, type PhaseStatus, type Span, type Tracing, tracingFor } from './platform-events';
import type { RuntimeOutcome } from './runtime-api';

/** A moment on both clocks: epoch ms for timestamps, monotonic for durations. */
export interface Stamp {
  readonly epoch: number;
  readonly mono: number;
}

export function stamp(): Stamp {
  return { epoch: Date.now(), mono: performance.now() };
}

/** Why the invoke phase ended early. */
export interface InvokeFailure {
  readonly status: 'timeout' | 'failure' | 'error';
  readonly errorType: string;
  readonly errorMessage: string;
}

export class Invocation {
  public readonly requestId = randomUUID();
  public readonly tracing: Tracing | undefined;
  public started!: Stamp;
  public deadlineMs = 0;
  public deliveredToRuntime = false;
  public outcome: RuntimeOutcome | undefined;
  public runtimeDone: Stamp | undefined;
  public runtimeDoneEmitted = false;
  public failure: InvokeFailure | undefined;
  public readonly extensionsNextAt: Record<string, number> = {};

  public constructor(public readonly payload: string, public readonly traceHeader: string | undefined) {
    this.tracing = tracingFor(traceHeader);
  }

  public start(timeoutMs: number): void {
    this.started = stamp();
    this.deadlineMs = this.started.epoch + timeoutMs;
  }

  /** Status and error type the runtime's outcome implies (`success` before any outcome). */
  public get runtimeStatus(): { status: PhaseStatus; errorType?: string } {
    if (this.failure) return { status: this.failure.status, errorType: this.failure.errorType };
    if (this.outcome?.kind !== 'error') return { status: 'success' };
    const body = this.parsedBody;
    const bodyType = typeof body === 'object' && body !== null ? (body as { errorType?: unknown }).errorType : undefined;
    return { status: 'error', errorType: this.outcome.errorType ?? (typeof bodyType === 'string' ? bodyType : 'Unknown') };
  }

  /** The runtime's body, parsed as JSON when possible. */
  public get parsedBody(): unknown {
    if (!this.outcome) return undefined;
    const text = this.outcome.body.toString('utf8');
    const parsed = parseJson(text);
    return parsed.ok ? parsed.value : text;
  }

  /** `responseLatency`, `responseDuration`, `runtimeOverhead` spans of `platform.runtimeDone`. */
  public spans(): Span[] {
    const outcome = this.outcome;
    if (!outcome) return [];
    const spans: Span[] = [
      { name: 'responseLatency', start: isoTime(this.started.epoch), durationMs: outcome.firstByteAt - this.started.epoch },
      { name: 'responseDuration', start: isoTime(outcome.firstByteAt), durationMs: outcome.lastByteAt - outcome.firstByteAt },
    ];
    if (this.runtimeDone) {
      spans.push({ name: 'runtimeOverhead', start: isoTime(outcome.lastByteAt), durationMs: Math.max(0, this.runtimeDone.epoch - outcome.lastByteAt) });
    }
    return spans;
  }
}
