/**
 * Compact the heap once a burst of exports is over. V8 keeps the old space a burst grew (parsed
 * events promoted by the small semi-spaces, then freed) until its memory reducer runs after about
 * 8 s of idle time, which a frozen Lambda sandbox rarely gives it: RSS stays about 80 MiB after
 * 100k events instead of under 70 (test/bench/PROFILE.md). So: when no request body has been
 * prepared for {@link IDLE_MS} and at least {@link AFTER_BYTES} were since the last compaction,
 * one full `gc()` (the launcher passes `--expose-gc`; without it this does nothing).
 *
 * Never in a busy period: every new body re-arms the wait. Never right after a thaw: a timer that
 * fires much later than asked (the environment was frozen meanwhile, and an invocation is now
 * starting) only re-arms.
 */

/** Idle time before compacting. */
export const IDLE_MS = 250;
/** Uncompressed body bytes (about 5,000 OTLP log records) between two compactions. */
export const AFTER_BYTES = 1_048_576;
/** A timer this late was frozen (or starved): not idle time. */
const LATE_MS = 1_000;

export interface CompactionClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref(): void };
  clearTimeout(timer: unknown): void;
}

const REAL_CLOCK: CompactionClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export class IdleCompaction {
  /** Full GCs run. */
  compactions = 0;
  private bytes = 0;
  private timer: unknown;
  private armedAt = 0;

  constructor(
    private readonly gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
    private readonly clock: CompactionClock = REAL_CLOCK,
  ) {}

  /** A body of `bytes` (uncompressed) is about to be sent. */
  activity(bytes: number): void {
    if (!this.gc) return;
    this.bytes += bytes;
    if (this.bytes >= AFTER_BYTES) this.arm();
  }

  /** Stop waiting (shutdown). */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.cancel();
    this.armedAt = this.clock.now();
    const timer = this.clock.setTimeout(() => this.fire(), IDLE_MS);
    timer.unref();
    this.timer = timer;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.clock.now() - this.armedAt > IDLE_MS + LATE_MS) {
      this.arm();
      return;
    }
    this.bytes = 0;
    this.compactions++;
    this.gc!();
  }
}

/** The process's one instance (bodies of every sink's transport count). */
export const idleCompaction = new IdleCompaction();
