import type { ParsedEvent } from '../telemetry/schemas';

/** What became of one hand-over to a sink. */
export interface ExportOutcome {
  /** Events delivered (for OTLP: events whose records were delivered or that produced none). */
  readonly exported: number;
  /** Events given up on (permanent error, retry budget exhausted, deadline). Already counted. */
  readonly dropped: number;
}

/**
 * A destination for telemetry. The processor stage hands it validated events in arrival order.
 * Implementations never reject: failures are retried within `deadline`, then counted as dropped.
 */
export interface Sink {
  readonly name: string;
  /**
   * Deliver `events`. Resolves when they are delivered or given up on. `deadline` is an epoch-ms
   * instant after which no new attempt may start (the caller is about to freeze or exit).
   */
  export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome>;
  /**
   * Emit whatever the sink still holds (for OTLP: invocations that never got their closing
   * event, self-telemetry metrics) and release resources. Called once, at SHUTDOWN.
   */
  shutdown(deadline: number): Promise<ExportOutcome>;
}
