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

/** What the export side (../pipeline/export-loop.ts) counted for one source. */
export interface SourceExportCounts {
  /** Items (or the records derived from them) delivered by the sink. */
  exported: number;
  /** Items lost after they were queued (given up on, abandoned at shutdown). */
  dropped: number;
}

/**
 * Self-telemetry: what happened to every event the extension saw. One instance per process,
 * passed explicitly to whoever updates it (no module-level state).
 *
 * Every count is the sum over every source (the Telemetry API's events, the function's OTLP
 * records); the ingest step counts received / invalid / unknown / rejected per source too
 * ({@link Counters.source}), the export loop exported / dropped ({@link Counters.exportsOf}).
 * Units: an event, or one span / metric data point / log record of the function.
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
  private readonly exportsBySource = new Map<string, SourceExportCounts>();

  /** The export-side counts of the source named `name`. */
  exportsOf(name: string): SourceExportCounts {
    let counts = this.exportsBySource.get(name);
    if (counts === undefined) {
      counts = { exported: 0, dropped: 0 };
      this.exportsBySource.set(name, counts);
    }
    return counts;
  }

  /** Every count of every source seen, by source name (the summary line's `bySource`). */
  bySource(): Readonly<Record<string, Readonly<SourceCounts & SourceExportCounts>>> {
    const names = new Set([...this.sources.keys(), ...this.exportsBySource.keys()]);
    return Object.fromEntries([...names].map((name) => [name, { ...this.source(name), ...this.exportsOf(name) }]));
  }

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

  /**
   * The totals, then every source's counts as `<source>.<count>` (e.g. `function.exported`), flat
   * so that they fit a log line (the shutdown summary spreads this).
   */
  snapshot(): CountersSnapshot & Readonly<Record<`${string}.${string}`, number>> {
    const bySource: Record<`${string}.${string}`, number> = {};
    for (const [name, counts] of Object.entries(this.bySource())) {
      for (const [key, value] of Object.entries(counts)) bySource[`${name}.${key}`] = value;
    }
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
      ...bySource,
    };
  }
}

export type CountersSnapshot = Readonly<{
  [K in keyof Counters as Counters[K] extends number ? K : never]: number;
}>;
