/** Bounded waits of the lifecycle, on Node's own timers. Nothing here keeps the process alive. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Node's timers fire at once beyond this many ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A signal that aborts after `ms`, at once if not positive. */
export function abortAfter(ms: number): AbortSignal {
  if (!(ms > 0)) return AbortSignal.abort();
  return AbortSignal.timeout(Math.min(Math.ceil(ms), MAX_TIMER_MS));
}

/** `promise`, or undefined once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, sleep(Math.min(Math.max(ms, 0), MAX_TIMER_MS), undefined, { ref: false })]);
}
