import type { PipelineItem } from '../pipeline/items';

/**
 * What was settled during one call: events of this hand-over, and of earlier ones whose requests
 * the sink had kept for retry. Events still kept appear in a later outcome (at the latest at
 * `shutdown`). Sinks only report; the export loop (pipeline/export-loop.ts) is the one place that
 * adds outcomes to the process's counters.
 */
export interface ExportOutcome {
  /** Events delivered (for OTLP: events whose records were delivered or that produced none). */
  readonly exported: number;
  /** Events given up on (permanent error, retry backlog full, sink closed, shutdown). */
  readonly dropped: number;
  /** Request attempts that failed during the call (each retry counts). Absent when none did. */
  readonly failedAttempts?: number;
  /**
   * The part of `exported` / `dropped` that was the function's own records (spans, data points,
   * log records of its OTLP requests). Absent: none.
   */
  readonly function?: { readonly exported: number; readonly dropped: number };
}

/**
 * A destination for telemetry. The export loop hands it validated events and the function's OTLP
 * items ({@link PipelineItem}) in arrival order; counts are in records (an event, a span...).
 * Implementations never reject: failures are retried within `deadline`; failures that may pass
 * (5xx, 429, timeouts, connection errors, the deadline) are kept, bounded, and retried at the next
 * call; the rest are dropped and reported as such in the outcome.
 */
/** How a hand-over is meant. */
export interface ExportOptions {
  /** The last hand-over of a flush that must be done before a freeze or exit. Default false. */
  readonly final?: boolean;
}

export interface Sink {
  readonly name: string;
  /**
   * Deliver `items`. Resolves when they are delivered or given up on. `deadline` is an epoch-ms
   * instant after which no new attempt may start (the caller is about to freeze or exit).
   * `options.final`: the last hand-over before the environment may freeze: nothing may be held
   * back for later (e.g. platform records waiting for the function's trace).
   */
  export(items: readonly PipelineItem[], deadline: number, options?: ExportOptions): Promise<ExportOutcome>;
  /**
   * Emit whatever the sink still holds (for OTLP: invocations that never got their closing
   * event, self-telemetry metrics; requests kept for retry), drop what cannot be sent by
   * `deadline`, and release resources. Called once, at SHUTDOWN.
   */
  shutdown(deadline: number): Promise<ExportOutcome>;
}
