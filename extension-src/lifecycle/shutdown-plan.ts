/**
 * How the SHUTDOWN deadline is split, as pure arithmetic (epoch ms in, epoch ms out):
 *
 * 1. wait for the last invocation's (or the init's) report: at most the buffering timeout plus
 *    `finalReportWaitMs`, and never more than 30% of the budget; where invocations may still run
 *    at SHUTDOWN (managed instances) and some are open, up to 60% of the budget;
 * 2. drain the queue into the sink: new export attempts start within 60% of what is left then,
 *    waiting for the one in flight stops at 70%;
 * 3. the sink's own shutdown ends `sinkSettleMs` before the end, so what it gives up on is
 *    counted before the summary;
 * 4. the end is `shutdownMarginMs` before Lambda's deadline (SIGKILL follows it).
 */
import type { Timing } from './timing';

/** Share of the budget the wait for the last report may take. */
export const REPORT_WAIT_SHARE = 0.3;
/** Share of the budget the wait for the reports of invocations still running may take. */
export const RUNNING_REPORT_WAIT_SHARE = 0.6;
/** Share of what is left after that within which drain attempts may start. */
export const DRAIN_ATTEMPTS_SHARE = 0.6;
/** Share of what is left after the report wait within which the drain is awaited. */
export const DRAIN_WAIT_SHARE = 0.7;

export interface ShutdownPlan {
  /** Everything of SHUTDOWN is over by this instant. */
  readonly end: number;
  /** Longest wait for the last report, ms (not positive: no wait). */
  readonly reportWaitMs: number;
  /** The deadline handed to `sink.shutdown`. */
  readonly sinkDeadline: number;
}

export interface DrainPlan {
  /** No export attempt starts after this instant. */
  readonly attemptsUntil: number;
  /** Stop waiting for the drain after this many ms (not positive: do not wait). */
  readonly waitMs: number;
}

export interface ShutdownPlanInput {
  /** SHUTDOWN's `deadlineMs`. */
  readonly deadlineMs: number;
  /** When SHUTDOWN arrived. */
  readonly now: number;
  /** The subscription's buffering timeout: Lambda may hold the last report this long. */
  readonly bufferingTimeoutMs: number;
  readonly timing: Pick<Timing, 'shutdownMarginMs' | 'sinkSettleMs' | 'finalReportWaitMs'>;
}

/** The plan made when SHUTDOWN arrives. */
export function planShutdown(input: ShutdownPlanInput): ShutdownPlan {
  const { deadlineMs, now, bufferingTimeoutMs, timing } = input;
  const end = deadlineMs - timing.shutdownMarginMs;
  return {
    end,
    reportWaitMs: Math.min(timing.finalReportWaitMs + bufferingTimeoutMs, (end - now) * REPORT_WAIT_SHARE),
    sinkDeadline: end - timing.sinkSettleMs,
  };
}

/**
 * Longest wait, from `now`, for the reports of invocations that may still be running (managed
 * instances: SHUTDOWN does not wait for them to end). Never less than the plan's own report wait.
 */
export function planRunningReportWait(plan: Pick<ShutdownPlan, 'end' | 'reportWaitMs'>, now: number): number {
  return Math.max(plan.reportWaitMs, (plan.end - now) * RUNNING_REPORT_WAIT_SHARE);
}

/** The drain's share of what is left at `now` (after the report wait). */
export function planDrain(plan: Pick<ShutdownPlan, 'end'>, now: number): DrainPlan {
  const left = plan.end - now;
  return { attemptsUntil: now + left * DRAIN_ATTEMPTS_SHARE, waitMs: left * DRAIN_WAIT_SHARE };
}
