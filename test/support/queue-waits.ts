/**
 * Waits on a BoundedQueue built on its one observation hook, `onOffer` (the production code has
 * no use for them: the invocation tracker waits for milestones itself).
 */
import type { BoundedQueue } from '../../extension-src/queue/bounded-queue';

/** Resolves true as soon as `queue` holds an event (at once if it does), false when `signal` aborts first. */
export function whenAvailable<T>(queue: BoundedQueue<T>, signal?: AbortSignal): Promise<boolean> {
  if (queue.size > 0) return Promise.resolve(true);
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const finish = (available: boolean) => {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(available);
    };
    const onAbort = () => finish(false);
    const unsubscribe = queue.onOffer(() => finish(true));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves with the first event offered from now on that matches `predicate`, or undefined when
 * `signal` aborts first. Events already queued are not looked at.
 */
export function waitFor<T>(queue: BoundedQueue<T>, predicate: (event: T) => boolean, signal?: AbortSignal): Promise<T | undefined> {
  if (signal?.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const finish = (event: T | undefined) => {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(event);
    };
    const onAbort = () => finish(undefined);
    const unsubscribe = queue.onOffer((events) => {
      for (const event of events) {
        if (predicate(event)) {
          finish(event);
          return;
        }
      }
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
