/**
 * The export loop (the processor stage, in OpenTelemetry's sense): the queue's single consumer.
 * It takes events in chunks, oldest first, and hands each chunk to `sink.export` one call at a
 * time, so the sink sees arrival order. Work only happens when someone asks for a flush; the
 * listener and the `next` loop never wait for it unless they choose to await `flush`.
 *
 * Accounting, export side, in one place: sinks only report what happened ({@link ExportOutcome});
 * this loop adds every outcome, of `export` and of `shutdown` ({@link ExportLoop.shutdownSink}),
 * to `counters.exported` / `counters.dropped` / `counters.failedExports` ({@link countOutcome}),
 * and counts as dropped what it gives up on itself (in records: an event, or a function item's
 * spans / data points / log records, by source): what is still queued at the end
 * ({@link ExportLoop.abandon}) and a chunk whose export broke the Sink contract by rejecting.
 */
import { RateLimitedLog } from '../log';
import { FUNCTION_SOURCE_NAME } from './function-source';
import { isFunctionTelemetry, recordsOf, type PipelineItem } from './items';
import { TELEMETRY_API_SOURCE } from './telemetry-api-source';
import type { BoundedQueue } from '../queue/bounded-queue';
import type { ExportOutcome, Sink } from '../sinks/sink';
import type { Counters } from '../stats/counters';

export const DEFAULT_CHUNK_SIZE = 1_000;
/**
 * Deadline of a background chunk, from its start. Generous on purpose: a background export may be
 * frozen mid-way, and only the sink's own retry budget should decide when to give up on it.
 */
export const DEFAULT_BACKGROUND_BUDGET_MS = 30_000;

/** What the loop needs of the queue (any queue of pipeline items, or of events only). */
export type ExportQueue = Pick<BoundedQueue<PipelineItem>, 'size' | 'take' | 'drain'>;

export interface ExportLoopOptions {
  readonly queue: ExportQueue;
  readonly sink: Sink;
  readonly counters: Counters;
  /** Most events per `sink.export` call. */
  readonly chunkSize?: number;
  readonly backgroundBudgetMs?: number;
  readonly now?: () => number;
  readonly warnings?: Pick<RateLimitedLog, 'warn'>;
}

export interface FlushResult {
  /** Everything queued before the call was handed over (and the sink answered for it). */
  readonly complete: boolean;
  /** Events still queued when the flush returned. */
  readonly remaining: number;
}

interface Waiter {
  /** Done when this many events, counted since the loop began, have been answered for. */
  readonly target: number;
  /** Absolute deadline, or undefined for a background flush (rolling budget per chunk). */
  readonly deadline: number | undefined;
  readonly resolve: (result: FlushResult) => void;
}

export class ExportLoop {
  private readonly queue: ExportQueue;
  private readonly sink: Sink;
  private readonly counters: Counters;
  private readonly chunkSize: number;
  private readonly backgroundBudgetMs: number;
  private readonly now: () => number;
  private readonly warnings: Pick<RateLimitedLog, 'warn'>;
  /** Events taken from the queue so far. */
  private taken = 0;
  /** Events whose export call has resolved so far. */
  private answered = 0;
  private waiters: Waiter[] = [];
  /** Set and cleared synchronously with the pump's decisions, so no flush request is missed. */
  private running = false;

  constructor(options: ExportLoopOptions) {
    this.queue = options.queue;
    this.sink = options.sink;
    this.counters = options.counters;
    this.chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
    this.backgroundBudgetMs = options.backgroundBudgetMs ?? DEFAULT_BACKGROUND_BUDGET_MS;
    this.now = options.now ?? Date.now;
    this.warnings = options.warnings ?? new RateLimitedLog(5, 60_000);
  }

  /** Is an export call in progress? */
  get busy(): boolean {
    return this.running;
  }

  /** Events handed to an export call that has not answered yet. */
  get inFlight(): number {
    return this.taken - this.answered;
  }

  /**
   * The sink's `shutdown` (called once, at SHUTDOWN, after the last flush), counted like an
   * export. Resolves to `undefined` when the sink broke its contract and rejected.
   */
  async shutdownSink(deadline: number): Promise<ExportOutcome | undefined> {
    try {
      const outcome = await this.sink.shutdown(deadline);
      countOutcome(this.counters, outcome);
      return outcome;
    } catch (error) {
      this.warnings.warn('sink shutdown failed', { sink: this.sink.name, error: (error as Error).message });
      return undefined;
    }
  }

  /**
   * Hand over everything queued now. No export starts after `deadline` (epoch ms). Resolves when
   * done, when the deadline stops the work, or when `signal` aborts (the export in flight, if any,
   * carries on in the background and is still accounted for).
   */
  flush(deadline: number, signal?: AbortSignal): Promise<FlushResult> {
    return this.enqueueWaiter(deadline, signal);
  }

  /** Start handing over everything queued now, without waiting. Never rejects. */
  flushInBackground(): Promise<FlushResult> {
    return this.enqueueWaiter(undefined, undefined);
  }

  /**
   * Give up on whatever is still queued (end of shutdown): counts it as dropped.
   * @returns how many events were dropped.
   */
  abandon(): number {
    const left = this.queue.drain();
    this.taken += left.length;
    this.answered += left.length;
    const dropped = countDropped(this.counters, left);
    this.settleWaiters();
    return dropped;
  }

  private enqueueWaiter(deadline: number | undefined, signal: AbortSignal | undefined): Promise<FlushResult> {
    const target = this.taken + this.queue.size;
    if (this.answered >= target) return Promise.resolve({ complete: true, remaining: this.queue.size });
    if (signal?.aborted) return Promise.resolve({ complete: false, remaining: this.queue.size });
    return new Promise<FlushResult>((resolve) => {
      const waiter: Waiter = {
        target,
        deadline,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve({ complete: false, remaining: this.queue.size });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.pump();
  }

  /** Export chunks while some waiter still needs events handed over and may still start one. */
  private async pump(): Promise<void> {
    try {
      for (;;) {
        this.settleWaiters();
        const now = this.now();
        let needed = -this.taken;
        for (const waiter of this.waiters) needed = Math.max(needed, waiter.target - this.taken);
        const deadline = this.chunkDeadline(now);
        if (this.waiters.length === 0 || needed <= 0 || deadline === undefined) break;
        const chunk = this.queue.take(Math.min(this.chunkSize, needed));
        if (chunk.length === 0) break; // only abandon() empties the queue under a waiter, and it settles them
        this.taken += chunk.length;
        // The last chunk a blocking flush (before a freeze, or SHUTDOWN) waits for: final.
        const final = this.waiters.some((w) => w.deadline !== undefined && w.target <= this.taken);
        await this.exportChunk(chunk, deadline, final);
        this.answered += chunk.length;
      }
    } finally {
      this.running = false;
    }
  }

  /** The latest deadline among waiters that may still start work, or undefined if none may. */
  private chunkDeadline(now: number): number | undefined {
    let latest: number | undefined;
    for (const waiter of this.waiters) {
      if (waiter.target <= this.taken) continue;
      const deadline = waiter.deadline ?? now + this.backgroundBudgetMs;
      if (deadline > now && (latest === undefined || deadline > latest)) latest = deadline;
    }
    return latest;
  }

  private async exportChunk(chunk: PipelineItem[], deadline: number, final: boolean): Promise<void> {
    try {
      countOutcome(this.counters, await this.sink.export(chunk, deadline, final ? { final } : undefined));
    } catch (error) {
      // The Sink contract says export never rejects; if it does, the chunk is lost, not retried.
      const count = countDropped(this.counters, chunk);
      this.warnings.warn('sink export failed unexpectedly; events dropped', { sink: this.sink.name, count, error: (error as Error).message });
    }
  }

  /** Resolve waiters that are done, or whose deadline passed before their events were taken. */
  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const now = this.now();
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.answered >= waiter.target) {
        waiter.resolve({ complete: true, remaining: this.queue.size });
      } else if (waiter.deadline !== undefined && waiter.deadline <= now && this.taken < waiter.target) {
        // Its remaining events cannot start any more; events already in flight are still counted.
        waiter.resolve({ complete: false, remaining: this.queue.size });
      } else {
        still.push(waiter);
      }
    }
    this.waiters = still;
  }
}

/**
 * The one accounting rule of the export side: what a sink reported, added to the counters, by
 * source (`outcome.function` is the function's part; the rest is the Telemetry API's).
 */
export function countOutcome(counters: Counters, outcome: ExportOutcome): void {
  counters.exported += outcome.exported;
  counters.dropped += outcome.dropped;
  counters.failedExports += outcome.failedAttempts ?? 0;
  const fn = outcome.function ?? { exported: 0, dropped: 0 };
  const own = outcome.exported - fn.exported;
  const ownDropped = outcome.dropped - fn.dropped;
  if (own > 0 || ownDropped > 0) {
    const api = counters.exportsOf(TELEMETRY_API_SOURCE.name);
    api.exported += own;
    api.dropped += ownDropped;
  }
  if (fn.exported > 0 || fn.dropped > 0) {
    const counts = counters.exportsOf(FUNCTION_SOURCE_NAME);
    counts.exported += fn.exported;
    counts.dropped += fn.dropped;
  }
}

/** Count `items` as dropped (records, by source). Returns how many records. */
function countDropped(counters: Counters, items: readonly PipelineItem[]): number {
  let events = 0;
  let records = 0;
  for (const item of items) {
    if (isFunctionTelemetry(item)) records += recordsOf(item);
    else events++;
  }
  counters.dropped += events + records;
  if (events > 0) counters.exportsOf(TELEMETRY_API_SOURCE.name).dropped += events;
  if (records > 0) counters.exportsOf(FUNCTION_SOURCE_NAME).dropped += records;
  return events + records;
}
