/**
 * SHUTDOWN, in four bounded steps (budget: ./shutdown-plan.ts): wait for the last report, drain
 * the queue into the sink, let the sink emit what it holds, count what is left and log the
 * summary. Resolves with exit status 0.
 */
import { abortAfter, within } from './deadlines';
import type { RunningExtension } from './init';
import { planDrain, planShutdown } from './shutdown-plan';
import type { ShutdownEvent } from '../lambda/extensions-api';
import { log } from '../log';

export async function shutdown(x: RunningExtension, event: ShutdownEvent, lastRequestId: string | undefined): Promise<number> {
  const { tracker, loop, counters, timing, now, queue } = x;
  queue.acceptEverything();
  const reason = (event.shutdownReason ?? 'unknown').toLowerCase();
  const start = now();
  const plan = planShutdown({ deadlineMs: event.deadlineMs, now: start, bufferingTimeoutMs: x.bufferingTimeoutMs, timing });

  // 1. The last invocation's platform.report is only produced after it ended, and may sit in
  //    Lambda's buffer for up to the buffering timeout: give it a moment. Without any invocation
  //    (a failed init, or a spindown before the first invoke), the same holds for the init's own
  //    report, and the init events with it.
  if (x.subscribed && lastRequestId !== undefined && !tracker.hasReport(lastRequestId)) {
    await tracker.waitForReport(lastRequestId, abortAfter(plan.reportWaitMs));
  } else if (x.platformEvents && lastRequestId === undefined && !tracker.hasPhaseReport()) {
    await tracker.waitForPhaseReport(abortAfter(plan.reportWaitMs));
  }

  // 2. Hand everything over.
  const drain = planDrain(plan, now());
  await loop.flush(drain.attemptsUntil, abortAfter(drain.waitMs));

  // 3. Let the sink emit what it still holds, bounded even if it hangs.
  const shutdownOutcome = await within(loop.shutdownSink(plan.sinkDeadline), plan.end - now());

  // 4. Whatever is still queued or in flight could not be sent.
  const abandoned = loop.abandon();
  const inFlight = loop.inFlight;
  tracker.dispose();
  log.info('shutdown', {
    reason,
    ...counters.snapshot(),
    unsent: counters.dropped + inFlight,
    abandoned,
    inFlight,
    sinkShutdown: shutdownOutcome ? 'done' : 'timed out',
    tookMs: now() - start,
  });
  await within(x.listener.close(), 50);
  return 0;
}
