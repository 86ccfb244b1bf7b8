/**
 * The `next` loop, after a successful init: INVOKE applies the flush strategy, SHUTDOWN runs
 * ./shutdown.ts, an error of the Extensions API is fatal (reported with `exit/error`, exit 1).
 */
import { deadlineSignal, within } from './deadlines';
import { ERROR_TYPES, errorMessage } from './errors';
import type { RunningExtension } from './init';
import { shutdown } from './shutdown';
import { FlushTimer } from '../flush/flush-timer';
import { blockingFlushDeadline } from '../flush/strategy';
import type { InvokeEvent } from '../lambda/extensions-api';
import { log } from '../log';

/**
 * A queue this full (of its item or byte limit) is flushed in the background, whatever the
 * strategy: waiting for the next timer tick or boundary would only make the listener refuse
 * deliveries (503) that Lambda then resends. With the default 1 s interval, `continuously` moved
 * at most one queue (20,000 events) per second and refused the rest.
 */
export const PRESSURE_FLUSH_RATIO = 0.5;

export class NextLoop {
  private readonly timer: FlushTimer;
  private lastRequestId: string | undefined;
  private readonly stopPressureWatch: () => void;
  private pressureCheckScheduled = false;
  private stopping = false;

  constructor(private readonly p: RunningExtension) {
    this.timer = new FlushTimer(() => {
      if (this.p.queue.size > 0 && !this.p.loop.busy) this.backgroundFlush();
    });
    this.timer.set(p.strategy.timerIntervalMs());
    this.stopPressureWatch = p.queue.onOffer(() => this.schedulePressureCheck());
  }

  /** Resolves with the process exit status. */
  async run(): Promise<number> {
    try {
      for (;;) {
        const event = await this.p.api.next();
        if (event.eventType === 'SHUTDOWN') {
          this.stop();
          return await shutdown(this.p, event, this.lastRequestId);
        }
        await this.invoke(event);
      }
    } catch (error) {
      return this.fatal(error);
    }
  }

  private async invoke(event: InvokeEvent): Promise<void> {
    const { strategy, tracker, loop, timing, now } = this.p;
    this.lastRequestId = event.requestId;
    const decision = strategy.onInvoke({ requestId: event.requestId, deadlineMs: event.deadlineMs }, now());
    this.timer.set(strategy.timerIntervalMs());
    if (decision.action === 'flush-in-background') {
      this.backgroundFlush();
    } else if (decision.action === 'flush-then-next') {
      if (!this.p.subscribed) return;
      const wait = deadlineSignal(decision.waitUntil - now());
      await tracker.waitForRuntimeDone(event.requestId, wait.signal);
      wait.cancel();
      const deadline = blockingFlushDeadline(decision, now(), timing.maxBlockingFlushMs);
      const stop = deadlineSignal(Math.min(decision.hardDeadline, deadline + timing.blockingFlushGraceMs) - now());
      await loop.flush(deadline, stop.signal);
      stop.cancel();
      strategy.onFlushed(now());
    }
  }

  private backgroundFlush(): void {
    void this.p.loop.flushInBackground().then(() => {
      this.p.strategy.onFlushed(this.p.now());
      this.schedulePressureCheck();
    });
  }

  /** After the listener has answered (next turn), flush if the queue is under pressure. */
  private schedulePressureCheck(): void {
    if (this.pressureCheckScheduled || this.stopping) return;
    this.pressureCheckScheduled = true;
    setImmediate(() => {
      this.pressureCheckScheduled = false;
      const { queue, loop } = this.p;
      const pressed = queue.size >= queue.limits.maxItems * PRESSURE_FLUSH_RATIO || queue.bytes >= queue.limits.maxBytes * PRESSURE_FLUSH_RATIO;
      if (pressed && !this.stopping && !loop.busy) this.backgroundFlush();
    });
  }

  /** No more timer or pressure flushes. */
  private stop(): void {
    this.timer.stop();
    this.stopping = true;
    this.stopPressureWatch();
  }

  private async fatal(error: unknown): Promise<number> {
    this.stop();
    const message = errorMessage(error);
    log.error('fatal error, exiting', { error: message, ...this.p.counters.snapshot() });
    await this.p.api.exitError(ERROR_TYPES.fatal, message).catch((reportError: unknown) => {
      log.error('cannot report the fatal error', { error: errorMessage(reportError) });
    });
    this.p.tracker.dispose();
    await within(this.p.listener.close(), 50);
    return 1;
  }
}
