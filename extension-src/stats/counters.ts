/** What the ingest step (../pipeline/ingest.ts) counted for one source. */
export interface SourceCounts {
  /** Items received (valid, invalid and unknown; not the extension's own output). */
  received: number;
  /** Items that broke their schema (dropped). */
  invalid: number;
  /** Items of a kind this version does not know (kept). */
  unknown: number;
  /** Items refused because the queue was full (the sender keeps and resends them). */
  rejected: number;
}

/**
 * Self-telemetry: what happened to every event the extension saw. One instance per process,
 * passed explicitly to whoever updates it (no module-level state).
 *
 * `received`, `invalid`, `unknown` and `rejected` are the sums over every source; the ingest step
 * also counts them per source ({@link Counters.source}).
 */
export class Counters {
  /** Events received from the Telemetry API (valid, invalid and unknown). */
  received = 0;
  /** Events that broke their type's schema (dropped, logged rate-limited). */
  invalid = 0;
  /** Events of a type this version does not know (kept, forwarded raw where the sink can). */
  unknown = 0;
  /** Events refused with 503 because the queue was full (Lambda keeps and resends them). */
  rejected = 0;
  /**
   * `function` / `extension` records below the minimum log level: left out at ingest on purpose
   * (received, never queued, never exported, not lost).
   */
  filtered = 0;
  /** Events lost: queue overflow at shutdown, exports given up on, permanent sink errors. */
  dropped = 0;
  /** Events (or the records derived from them) delivered to the sink. */
  exported = 0;
  /** Export requests that failed (each retry counts). */
  failedExports = 0;
  /** What the platform itself reported lost, from `platform.logsDropped`. */
  platformDroppedRecords = 0;
  platformDroppedBytes = 0;

  private readonly sources = new Map<string, SourceCounts>();

  /** The ingest counts of the source named `name` (all zero until it ingests something). */
  source(name: string): SourceCounts {
    let counts = this.sources.get(name);
    if (counts === undefined) {
      counts = { received: 0, invalid: 0, unknown: 0, rejected: 0 };
      this.sources.set(name, counts);
    }
    return counts;
  }

  /** The ingest counts of every source that ingested something, by source name. */
  sourcesSnapshot(): Readonly<Record<string, Readonly<SourceCounts>>> {
    return Object.fromEntries([...this.sources].map(([name, counts]) => [name, { ...counts }]));
  }

  snapshot(): CountersSnapshot {
    return {
      received: this.received,
      invalid: this.invalid,
      unknown: this.unknown,
      rejected: this.rejected,
      dropped: this.dropped,
      exported: this.exported,
      failedExports: this.failedExports,
      filtered: this.filtered,
      platformDroppedRecords: this.platformDroppedRecords,
      platformDroppedBytes: this.platformDroppedBytes,
    };
  }
}

export type CountersSnapshot = Readonly<{
  [K in keyof Counters as Counters[K] extends number ? K : never]: number;
}>;
