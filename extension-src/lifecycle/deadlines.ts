/** Bounded waits of the lifecycle. Nothing here keeps the process alive. */

/** Resolves after `ms` (or at once if not positive) unless cancelled. */
export function deadlineSignal(ms: number): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  if (ms <= 0) {
    controller.abort();
    return { signal: controller.signal, cancel: () => undefined };
  }
  const timer = setTimeout(() => controller.abort(), ms);
  timer.unref();
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}

/** `promise`, or undefined once `ms` have passed. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const { signal, cancel } = deadlineSignal(ms);
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        if (signal.aborted) resolve(undefined);
        signal.addEventListener('abort', () => resolve(undefined), { once: true });
      }),
    ]);
  } finally {
    cancel();
  }
}

/** A signal that aborts after `ms` (at once if not positive). */
export function abortAfter(ms: number): AbortSignal {
  return deadlineSignal(ms).signal;
}
