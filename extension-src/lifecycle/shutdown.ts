/**
 * SHUTDOWN, in four bounded steps (budget: ./shutdown-plan.ts):
 *
 * 1. wait for the reports still to come: every invocation still open (from its `platform.start`
 *    until its `platform.report`; several at once on managed instances, where no INVOKE says
 *    which one is "last"), the last INVOKE's, or without any invocation the init's;
 * 2. meanwhile, and after, hand everything that arrives over to the sink: drain again as long as
 *    events keep coming and the plan lets attempts start, until the reports are in and the queue
 *    is empty; then stop taking deliveries (the listener closes), so that nothing accepted is
 *    left behind while budget remains;
 * 3. let the sink emit what it holds;
 * 4. count what is left and log the summary. Resolves with exit status 0.
 */
import { abortAfter, within } from './deadlines';
import type { RunningExtension } from './init';
import { planDrain, planRunningReportWait, planShutdown } from './shutdown-plan';
import type { ShutdownEvent } from '../lambda/extensions-api';
import { log } from '../log';

export async function shutdown(x: RunningExtension, event: ShutdownEvent, lastRequestId: string | undefined): Promise<number> {
  const { tracker, loop, counters, timing, now, queue } = x;
  queue.acceptEverything();
  const reason = (event.shutdownReason ?? 'unknown').toLowerCase();
  const start = now();
  const plan = planShutdown({ deadlineMs: event.deadlineMs, now: start, bufferingTimeoutMs: x.bufferingTimeoutMs, timing });
  // 1. A report is only produced once its invocation ended, and may then sit in Lambda's buffer
  //    for up to the buffering timeout. Without INVOKE events (managed instances) invocations may
  //    still run now: their reports get a longer wait.
  const mayRun = !x.invokeEvents && tracker.openInvocations().length > 0;
  const reportWaitMs = mayRun ? planRunningReportWait(plan, start) : plan.reportWaitMs;
  const reports = waitForReports(x, lastRequestId, abortAfter(reportWaitMs));
  // One drain plan for the whole SHUTDOWN, as if the report wait took all its time.
  const reportWaitEnd = start + Math.max(0, reportWaitMs);
  const drain = planDrain(plan, reportWaitEnd);

  // 2. Hand over what arrives while waiting, then what is left.
  const listenerClosed = await drainUntilQuiet(x, { attemptsUntil: drain.attemptsUntil, waitUntil: reportWaitEnd + drain.waitMs }, reports);

  // 3. Let the sink emit what it still holds, bounded even if it hangs.
  const shutdownOutcome = await within(loop.shutdownSink(plan.sinkDeadline), plan.end - now());

  // 4. Whatever is still queued or in flight could not be sent.
  const abandoned = loop.abandon();
  const inFlight = loop.inFlight;
  const open = tracker.openInvocations().length;
  tracker.dispose();
  log.info('shutdown', {
    reason,
    ...counters.snapshot(),
    unsent: counters.dropped + inFlight,
    abandoned,
    inFlight,
    sinkShutdown: shutdownOutcome ? 'done' : 'timed out',
    tookMs: now() - start,
    openInvocations: open,
  });
  if (!listenerClosed) await within(x.listener.close(), 50);
  return 0;
}

/** Resolves (never rejects) once every report still expected has arrived, or on abort. */
async function waitForReports(x: RunningExtension, lastRequestId: string | undefined, signal: AbortSignal): Promise<void> {
  const { tracker } = x;
  if (!x.platformEvents) return;
  const waits: Array<Promise<boolean>> = [tracker.waitForOpenReports(signal)];
  if (lastRequestId !== undefined) waits.push(tracker.waitForReport(lastRequestId, signal));
  // Without any invocation (a failed init, a spindown before the first invoke), the init's own
  // report is the last one, and the init events come with it.
  if (lastRequestId === undefined && tracker.started === 0) waits.push(tracker.waitForPhaseReport(signal));
  await Promise.all(waits);
}

/** The drain's bounds, epoch ms: no attempt starts after `attemptsUntil`, no wait lasts past `waitUntil`. */
interface DrainWindow {
  readonly attemptsUntil: number;
  readonly waitUntil: number;
}

/**
 * Flush whatever is queued, again whenever more arrives, until `reports` settled and the queue is
 * empty, or no attempt may start any more. Then close the listener (nothing more is accepted) and
 * flush what came in meanwhile. Resolves whether the listener was closed.
 */
async function drainUntilQuiet(x: RunningExtension, drain: DrainWindow, reports: Promise<void>): Promise<boolean> {
  const { loop, queue, now } = x;
  const { waitUntil } = drain;
  let settled = false;
  const reportsIn = reports.then(() => {
    settled = true;
  });
  const flushQueued = () => loop.flush(drain.attemptsUntil, abortAfter(waitUntil - now()));
  for (;;) {
    if (queue.size > 0) await flushQueued();
    if (now() >= drain.attemptsUntil || now() >= waitUntil) return false;
    if (settled && queue.size === 0) break;
    if (queue.size === 0) await nextArrivalOr(x, reportsIn, waitUntil - now());
  }
  await within(x.listener.close(), 50);
  if (queue.size > 0 && now() < drain.attemptsUntil) await flushQueued();
  return true;
}

/** Resolves when events are next queued, when `other` settles, or after `ms`. */
function nextArrivalOr(x: RunningExtension, other: Promise<void>, ms: number): Promise<void> {
  let unsubscribe = () => {};
  const arrival = new Promise<void>((resolve) => {
    unsubscribe = x.queue.onOffer(() => resolve());
  });
  return within(Promise.race([arrival, other]), ms).then(() => unsubscribe());
}
