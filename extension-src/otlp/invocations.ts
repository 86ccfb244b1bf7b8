/**
 * The invocation table: invocations by request id, open (started, not closed) and recently closed
 * (their trace context kept for late log records and REPORTs). Every lookup is by request id, so
 * concurrent invocations (Lambda managed instances) never share state.
 *
 * Bounded: at most `maxOpen` open invocations (the oldest is evicted and counted when more
 * start) and `maxClosed` remembered contexts.
 */
import type { InvocationContext, TraceIds } from './invocation-context';

/** A closed invocation: its span's context and when the span ended. */
export interface ClosedInvocation extends TraceIds {
  readonly endMs: number;
  /** Its span already carries an error (runtimeDone said so). */
  readonly failed: boolean;
}

export class InvocationTable {
  /** Open invocations forgotten because more than `maxOpen` were open. */
  evicted = 0;
  private readonly open = new Map<string, InvocationContext>();
  private readonly closed = new Map<string, ClosedInvocation>();
  private latest?: InvocationContext;

  constructor(private readonly maxOpen: number, private readonly maxClosed: number) {}

  /** Invocations started and not closed yet. */
  get openCount(): number {
    return this.open.size;
  }

  /**
   * The invocation started last (also after it closed). Only for what carries no request id at
   * all: text log lines of some runtimes, an init that ended after its invocation started.
   */
  get latestStarted(): InvocationContext | undefined {
    return this.latest;
  }

  isOpen(requestId: string): boolean {
    return this.open.has(requestId);
  }

  wasClosed(requestId: string): boolean {
    return this.closed.has(requestId);
  }

  /** A recently closed invocation, if remembered. */
  getClosed(requestId: string): ClosedInvocation | undefined {
    return this.closed.get(requestId);
  }

  getOpen(requestId: string): InvocationContext | undefined {
    return this.open.get(requestId);
  }

  /** The trace context of `requestId`, open or recently closed. */
  contextOf(requestId: string): TraceIds | undefined {
    return this.open.get(requestId) ?? this.closed.get(requestId);
  }

  /** Add an open invocation (evicting the oldest beyond the bound). `started`: seen by its start event. */
  add(inv: InvocationContext, started: boolean): void {
    this.open.set(inv.requestId, inv);
    if (started) this.latest = inv;
    while (this.open.size > this.maxOpen) {
      const oldest = this.open.keys().next().value as string;
      this.open.delete(oldest);
      this.evicted++;
    }
  }

  /** Close `inv`, whose span ends at `endMs`: no longer open, its context remembered. */
  close(inv: InvocationContext, endMs: number, failed: boolean): void {
    this.open.delete(inv.requestId);
    this.closed.set(inv.requestId, { traceId: inv.traceId, spanId: inv.spanId, traceFlags: inv.traceFlags, endMs, failed });
    while (this.closed.size > this.maxClosed) this.closed.delete(this.closed.keys().next().value as string);
  }

  /** Remove and return every open invocation (shutdown). */
  drainOpen(): InvocationContext[] {
    const left = [...this.open.values()];
    this.open.clear();
    return left;
  }
}
