/**
 * The background timer of `continuously` (and of `adaptive` in its frequent regime): calls `tick`
 * every `intervalMs` while the process runs (it cannot fire while the environment is frozen).
 * Unref'd: it never keeps the process alive on its own.
 */
export class FlushTimer {
  private timer: NodeJS.Timeout | undefined;
  private interval: number | undefined;

  constructor(private readonly tick: () => void) {}

  /** Run at `intervalMs`, or stop when undefined. Restarting only happens when the interval changes. */
  set(intervalMs: number | undefined): void {
    if (intervalMs === this.interval) return;
    this.stop();
    if (intervalMs === undefined) return;
    this.interval = intervalMs;
    this.timer = setInterval(this.tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.interval = undefined;
  }

  get intervalMs(): number | undefined {
    return this.interval;
  }
}
