/**
 * Wakes waiters whenever the state they depend on may have changed. Everything in the emulator
 * waits by predicate on a notifier (resolved by events), never by sleeping.
 */
interface Waiter {
  check(): void;
  fail(error: Error): void;
}

export interface UntilOptions {
  /** Reject after this many milliseconds (a guard against hanging tests, not a sleep). */
  readonly timeoutMs?: number;
  /** Shown in the timeout error. */
  readonly description?: string;
}

/** A value that means "not yet" for {@link Notifier.until}. */
export type NotYet = undefined | null | false;

export class Notifier {
  private readonly waiters = new Set<Waiter>();
  private closedWith?: Error;

  /** Re-checks every waiter. Call after any state change. */
  public notify(): void {
    for (const waiter of [...this.waiters]) {
      waiter.check();
    }
  }

  /** Resolves with the first value of `predicate` that is not undefined, null or false. */
  public until<T>(predicate: () => T | NotYet, options: UntilOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closedWith) {
        reject(this.closedWith);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        this.waiters.delete(waiter);
        if (timer) clearTimeout(timer);
      };
      const waiter: Waiter = {
        check: () => {
          let value: T | NotYet;
          try {
            value = predicate();
          } catch (error) {
            finish();
            reject(error);
            return;
          }
          if (value !== undefined && value !== null && value !== false) {
            finish();
            resolve(value);
          }
        },
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      this.waiters.add(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.fail(new Error(
          `Timed out after ${options.timeoutMs} ms waiting for ${options.description ?? 'a condition'}`,
        )), options.timeoutMs);
      }
      waiter.check();
    });
  }

  /** Rejects every current and future waiter with `error`. */
  public close(error: Error): void {
    this.closedWith = error;
    for (const waiter of [...this.waiters]) {
      waiter.fail(error);
    }
  }
}
