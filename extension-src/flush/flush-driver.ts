/**
 * Flush policy at run time: applies the strategy's decision at each INVOKE, runs its background
 * timer, and flushes a queue under pressure. Every flush has a reason:
 *
 * - `end-of-invocation`: blocking, before `next`: wait for the invocation's runtimeDone, then flush;
 * - `boundary`: an INVOKE on which the strategy starts a background flush;
 * - `timer`: the strategy's background timer (continuously, adaptive when frequent);
 * - `buffer-full`: the queue reached half its limits (./pressure.ts).
 */
import { FlushTimer } from './flush-timer';
import { underPressure } from './pressure';
import { blockingFlushDeadline, type FlushStrategy } from './strategy';
import { abortAfter } from '../lifecycle/deadlines';
import type { Timing } from '../lifecycle/timing';
import { log } from '../log';
import type { ExportLoop } from '../pipeline/export-loop';
import type { InvocationTracker } from '../pipeline/invocation-tracker';
import type { PipelineItem } from '../pipeline/items';
import type { BoundedQueue } from '../queue/bounded-queue';

export type FlushReason = 'end-of-invocation' | 'boundary' | 'timer' | 'buffer-full';

export interface FlushDriverParts {
  readonly strategy: FlushStrategy;
  readonly loop: ExportLoop;
  readonly queue: BoundedQueue<PipelineItem>;
  readonly tracker: InvocationTracker;
  readonly timing: Pick<Timing, 'maxBlockingFlushMs' | 'blockingFlushGraceMs'>;
  readonly now: () => number;
  /** Without a subscription no runtimeDone comes: blocking flushes are skipped. */
  readonly subscribed: boolean;
}

export class FlushDriver {
  private readonly timer: FlushTimer;
  private readonly stopPressureWatch: () => void;
  private pressureCheckScheduled = false;
  private stopped = false;

  constructor(private readonly p: FlushDriverParts) {
    this.timer = new FlushTimer(() => {
      if (this.p.queue.size > 0 && !this.p.loop.busy) this.backgroundFlush('timer');
    });
    this.timer.set(p.strategy.timerIntervalMs());
    this.stopPressureWatch = p.queue.onOffer(() => this.schedulePressureCheck());
  }

  /** An INVOKE arrived: resolves when `next` may be called. */
  async onInvoke(invoke: { readonly requestId: string; readonly deadlineMs: number }): Promise<void> {
    const { strategy, tracker, loop, timing, now } = this.p;
    const decision = strategy.onInvoke(invoke, now());
    this.timer.set(strategy.timerIntervalMs());
    if (decision.action === 'flush-in-background') {
      this.backgroundFlush('boundary');
    } else if (decision.action === 'flush-then-next') {
      if (!this.p.subscribed) return;
      await tracker.waitForRuntimeDone(invoke.requestId, abortAfter(decision.waitUntil - now()));
      const deadline = blockingFlushDeadline(decision, now(), timing.maxBlockingFlushMs);
      await loop.flush(deadline, abortAfter(Math.min(decision.hardDeadline, deadline + timing.blockingFlushGraceMs) - now()));
      strategy.onFlushed(now());
    }
  }

  /** No more timer or pressure flushes (SHUTDOWN, fatal error). */
  stop(): void {
    this.timer.stop();
    this.stopped = true;
    this.stopPressureWatch();
  }

  private backgroundFlush(reason: Exclude<FlushReason, 'end-of-invocation'>): void {
    log.debug('background flush', { reason, queued: this.p.queue.size });
    void this.p.loop.flushInBackground().then(() => {
      this.p.strategy.onFlushed(this.p.now());
      this.schedulePressureCheck();
    });
  }

  /** After the listener has answered (next turn), flush if the queue is under pressure. */
  private schedulePressureCheck(): void {
    if (this.pressureCheckScheduled || this.stopped) return;
    this.pressureCheckScheduled = true;
    setImmediate(() => {
      this.pressureCheckScheduled = false;
      if (underPressure(this.p.queue) && !this.stopped && !this.p.loop.busy) this.backgroundFlush('buffer-full');
    });
  }
}
