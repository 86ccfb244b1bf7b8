/**
 * The ingest step, between parse and queue: one accounting rule for every source of items (the
 * Telemetry API's listener, ./telemetry-api-source.ts; the receiver of the function's own OTLP
 * data, ./function-source.ts).
 *
 * For one parsed delivery of a source:
 * 1. the source's own-output items (the extension's own log lines coming back) are left out and
 *    not counted: forwarding them would loop;
 * 2. items the source does not `keep` (below the minimum log level) are left out too, and counted
 *    as received and `filtered` once the delivery is accepted;
 * 3. the rest is offered to the queue whole, at the delivery's byte size shared across its items
 *    (invalid ones included in the share, so the estimate stays that of what was received);
 * 4. `full`: nothing is kept, only `rejected` is counted (the sender keeps the delivery and resends
 *    it, so counting it as received would count it twice);
 * 5. `accepted`: `received`, `invalid`, `unknown` and `filtered` are counted (totals and per source), the
 *    source accounts what its accepted items report (e.g. `platform.logsDropped`), and invalid
 *    items are reported in one rate-limited warning per delivery.
 * Counts are in records ({@link IngestSource.records}: 1 per item unless the source says
 * otherwise, e.g. the function's OTLP requests, ./function-source.ts).
 */
import { RateLimitedLog } from '../log';
import type { BoundedQueue } from '../queue/bounded-queue';
import type { Counters } from '../stats/counters';

/** An item that broke its schema. Never holds the item itself. */
export interface InvalidItem {
  /** Position in the delivery. */
  readonly index: number;
  /** The item's type or kind, when it has a readable one. */
  readonly type?: string;
  /** Where and how it is wrong. */
  readonly reason: string;
}

/** One parsed delivery of a source. */
export interface IngestBatch<T> {
  /** Valid items (and items of unknown kinds), in delivery order. */
  readonly items: readonly T[];
  /** Items that broke their schema: counted, reported, dropped. */
  readonly invalid: readonly InvalidItem[];
  /** How many of `items` are of a kind this version does not know. */
  readonly unknown: number;
  /**
   * Invalid records that are not listed in `invalid` (a source that only knows how many, e.g.
   * the OTLP receiver's refused spans): counted as invalid, not reported again. Default 0.
   */
  readonly uncountedInvalid?: number;
  /** Size of the whole delivery in bytes (for the queue's byte limit). */
  readonly bytes: number;
}

/** A kind of input of the pipeline. */
export interface IngestSource<T> {
  /** Its counts are kept under this name (`Counters.source(name)`), e.g. `telemetry-api`. */
  readonly name: string;
  /** What its items are called in warnings, e.g. `telemetry events`. */
  readonly itemsName: string;
  /** Items never forwarded nor counted: the extension's own output coming back. */
  readonly isOwnOutput?: (item: T) => boolean;
  /**
   * `false`: the item is left out on purpose (e.g. below the minimum log level). Counted as
   * received and `filtered`, never queued. Default: every item is kept.
   */
  readonly keep?: (item: T) => boolean;
  /** Counts what an accepted item itself reports (e.g. the platform's own losses). */
  readonly account?: (item: T, counters: Counters) => void;
  /** Records an item holds, for the counts (default 1; the function's OTLP requests hold many). */
  readonly records?: (item: T) => number;
}

/** `accepted`: queued and counted. `full`: nothing queued, the sender should resend later. */
export type IngestResult = 'accepted' | 'full';

export interface IngestOptions<T> {
  readonly queue: BoundedQueue<T>;
  readonly counters: Counters;
  /** Where invalid items are reported. Default: 5 lines per minute. */
  readonly warnings?: Pick<RateLimitedLog, 'warn'>;
}

export class Ingest<T> {
  private readonly queue: BoundedQueue<T>;
  private readonly counters: Counters;
  private readonly warnings: Pick<RateLimitedLog, 'warn'>;

  constructor(options: IngestOptions<T>) {
    this.queue = options.queue;
    this.counters = options.counters;
    this.warnings = options.warnings ?? new RateLimitedLog(5, 60_000);
  }

  /** Queue and count one parsed delivery of `source`. */
  ingest<U extends T>(source: IngestSource<U>, batch: IngestBatch<U>): IngestResult {
    const { counters } = this;
    const own = source.isOwnOutput;
    const kept = own === undefined ? batch.items : batch.items.filter((item) => !own(item));
    const keep = source.keep;
    const queued = keep === undefined ? kept : kept.filter((item) => keep(item));
    const total = batch.items.length + batch.invalid.length;
    const bytes = total > 0 ? (batch.bytes * queued.length) / total : 0;
    const counts = counters.source(source.name);
    const records = source.records;
    let keptRecords = kept.length;
    if (records !== undefined) {
      keptRecords = 0;
      for (const item of kept) keptRecords += records(item);
    }

    if (!this.queue.offer(queued, bytes)) {
      counters.rejected += keptRecords;
      counts.rejected += keptRecords;
      return 'full';
    }

    const invalid = batch.invalid.length + (batch.uncountedInvalid ?? 0);
    const received = keptRecords + invalid;
    counters.received += received;
    counters.invalid += invalid;
    counters.unknown += batch.unknown;
    counters.filtered += kept.length - queued.length;
    counts.received += received;
    counts.invalid += invalid;
    counts.unknown += batch.unknown;
    if (source.account) for (const item of queued) source.account(item, counters);
    if (batch.invalid.length > 0) {
      this.warnings.warn(`invalid ${source.itemsName} dropped`, { count: batch.invalid.length, first: describeInvalid(batch.invalid[0]) });
    }
    return 'accepted';
  }
}

function describeInvalid(first: InvalidItem): string {
  return `#${first.index}${first.type ? ` (${first.type})` : ''}: ${first.reason}`;
}
