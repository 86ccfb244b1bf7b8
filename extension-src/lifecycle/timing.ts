/** The extension's time budgets around invocations and SHUTDOWN, in ms. */

export interface Timing {
  /** Blocking work ends this long before an invocation's deadline. */
  readonly invokeMarginMs: number;
  /** Waiting for a late runtimeDone ends this long before that, to flush what arrived. */
  readonly invokeFlushReserveMs: number;
  /** New export attempts of a blocking (end-of-invocation) flush start within this long. */
  readonly maxBlockingFlushMs: number;
  /** After that, wait at most this long for the attempt in flight before calling `next`. */
  readonly blockingFlushGraceMs: number;
  /** Everything of SHUTDOWN ends this long before its `deadlineMs` (SIGKILL follows). */
  readonly shutdownMarginMs: number;
  /** The sink's shutdown must end this long before that, so that what it gives up on is counted before the summary. */
  readonly sinkSettleMs: number;
  /** Longest wait at SHUTDOWN for the last invocation's `platform.report`, on top of the buffering timeout. */
  readonly finalReportWaitMs: number;
}

export const DEFAULT_TIMING: Timing = {
  invokeMarginMs: 250,
  invokeFlushReserveMs: 250,
  maxBlockingFlushMs: 2_000,
  blockingFlushGraceMs: 1_000,
  shutdownMarginMs: 150,
  sinkSettleMs: 50,
  finalReportWaitMs: 500,
};
