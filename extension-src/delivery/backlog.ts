/**
 * Delivery of a sink's requests with retry, and a bounded backlog of the requests that failed for
 * a reason that may pass: HTTP 408, 429 and 5xx, connection errors (refused, DNS, TLS), timeouts,
 * and the caller's deadline cutting the retries short. Those requests are not dropped: they are
 * sent again, oldest first, at the next export, so an outage of the collector loses nothing as
 * long as what piles up fits the backlog. Beyond its limits the oldest requests are dropped and
 * their events counted. Permanent failures (other 4xx, 3xx) are dropped at once, never retried.
 *
 * No retry storm: while the oldest backlog request still fails, newer requests are not even
 * tried, they join the backlog; each export makes one request chain (with the backoff of
 * ./retry.ts) whatever the size of the backlog. A kept request remembers the `Retry-After` its
 * last answer carried: its next attempt, at a later send, waits until then (see `notBefore` in
 * ./retry.ts).
 *
 * Accounting: the events of an export depend on its requests through {@link EventGroup}s. A group
 * is exported when every request carrying its records was delivered, dropped (once) as soon as
 * one of them is dropped. What one call settles, possibly for events of earlier calls, and the
 * attempts that failed during it, are added to a {@link Tally}; nothing here writes the
 * process's counters (the export loop does, from the sink's outcome).
 */
import type { RetryingTransport } from './retry';
import type { PreparedBody } from './transport';
import { RateLimitedLog } from '../log';

export interface BacklogLimits {
  /** Most requests kept. */
  readonly maxRequests: number;
  /** Most (compressed) body bytes kept. */
  readonly maxBytes: number;
}

/**
 * 4 MiB of request bodies, usually gzipped: thousands of invocations' worth of telemetry, next
 * to the event queue's own 4 MiB (see queue/bounded-queue.ts), within a 128 MB function's means.
 */
export const DEFAULT_BACKLOG_LIMITS: BacklogLimits = {
  maxRequests: 1024,
  maxBytes: 4 * 1024 * 1024,
};

/** Events (or the function's records) whose fate depends on the same requests. */
export class EventGroup {
  /** Requests not settled yet. */
  pending = 0;
  state: 'open' | 'exported' | 'dropped' = 'open';
  constructor(
    readonly events: number,
    /** The function's own records (spans, data points, log records), counted apart too. */
    readonly fromFunction = false,
  ) {}
}

/** Events settled, and attempts failed, during one call. */
export interface Tally {
  exported: number;
  dropped: number;
  failedAttempts: number;
  /** The part of `exported` / `dropped` that was the function's records. */
  functionExported: number;
  functionDropped: number;
}

export function newTally(): Tally {
  return { exported: 0, dropped: 0, failedAttempts: 0, functionExported: 0, functionDropped: 0 };
}

/** One request, to be sent until delivered or given up on. */
export interface BacklogRequest {
  /** For log lines, e.g. `traces`. */
  readonly label: string;
  readonly url: URL;
  readonly body: PreparedBody;
  readonly groups: readonly EventGroup[];
  /** Headers of this request only (e.g. a log group name). */
  readonly headers?: Readonly<Record<string, string>>;
}

interface Entry extends BacklogRequest {
  settled: boolean;
  /** The instant the server's last `Retry-After` asked to wait until (clock of the retry). */
  notBefore?: number;
}

export interface RetryBacklogOptions {
  readonly transport: RetryingTransport;
  /** Upper bound of one attempt, ms. */
  readonly timeoutMs: number;
  /** Where transient failures are reported (rate-limited: an outage repeats them). */
  readonly failures: Pick<RateLimitedLog, 'warn'>;
  /** Where losses are reported. Default: its own 5 lines per minute, never crowded out by `failures`. */
  readonly losses?: Pick<RateLimitedLog, 'warn'>;
  /** Prefix of log lines, e.g. `OTLP export`. */
  readonly what: string;
  readonly limits?: Partial<BacklogLimits>;
}

type Verdict = 'delivered' | 'permanent' | 'transient';

export class RetryBacklog {
  readonly limits: BacklogLimits;
  private readonly losses: Pick<RateLimitedLog, 'warn'>;
  private entries: Entry[] = [];
  private totalBytes = 0;
  private closed = false;

  constructor(private readonly options: RetryBacklogOptions) {
    this.limits = { ...DEFAULT_BACKLOG_LIMITS, ...options.limits };
    this.losses = options.losses ?? new RateLimitedLog(5, 60_000);
  }

  /** Requests waiting to be sent again. */
  get size(): number {
    return this.entries.length;
  }

  /** Their body bytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** A request carrying records of `groups` (each counts it as pending). */
  request(label: string, url: URL, body: PreparedBody, groups: readonly EventGroup[], headers?: Readonly<Record<string, string>>): BacklogRequest {
    for (const group of groups) group.pending++;
    return { label, url, body, groups, headers };
  }

  /** Give up on a request that cannot even be built (its groups are dropped). */
  fail(groups: readonly EventGroup[], tally: Tally): void {
    for (const group of groups) this.dropGroup(group, tally);
  }

  /**
   * Send the backlog, oldest first, then `fresh` (concurrently), starting no attempt at or after
   * `deadline`. What fails transiently is kept; what is settled is added to `tally`.
   * `lastChance` (the send before {@link close}): a kept request's `Retry-After` no longer holds
   * it back, since what is not sent now is lost anyway.
   */
  async send(fresh: readonly BacklogRequest[], deadline: number, tally: Tally, lastChance = false): Promise<void> {
    const entries: Entry[] = fresh.map((request) => ({ ...request, settled: false }));
    let healthy = true;
    while (this.entries.length > 0) {
      const head = this.entries[0];
      if (lastChance) head.notBefore = undefined;
      const verdict = await this.attempt(head, deadline, tally);
      if (verdict === 'transient') {
        healthy = false;
        break;
      }
      this.remove(head);
      if (verdict === 'delivered') this.delivered(head, tally);
      else this.dropped(head, tally);
    }
    if (!healthy) {
      for (const entry of entries) this.keep(entry, tally);
      return;
    }
    const verdicts = await Promise.all(entries.map((entry) => this.attempt(entry, deadline, tally)));
    entries.forEach((entry, i) => {
      if (verdicts[i] === 'delivered') this.delivered(entry, tally);
      else if (verdicts[i] === 'permanent') this.dropped(entry, tally);
      else this.keep(entry, tally);
    });
  }

  /** Drop everything kept, for good (shutdown): later failures are dropped too. */
  close(tally: Tally): void {
    this.closed = true;
    const left = this.entries;
    this.entries = [];
    this.totalBytes = 0;
    const before = tally.dropped;
    for (const entry of left) this.dropped(entry, tally);
    if (left.length > 0) {
      this.losses.warn(`${this.options.what} gave up on requests kept for retry`, { requests: left.length, events: tally.dropped - before });
    }
  }

  private async attempt(entry: Entry, deadline: number, tally: Tally): Promise<Verdict> {
    const { transport, timeoutMs } = this.options;
    const outcome = await transport.send(entry, { deadline, timeoutMs, notBefore: entry.notBefore });
    tally.failedAttempts += outcome.failedAttempts;
    entry.notBefore = outcome.notBefore;
    if (outcome.delivered) return 'delivered';
    const permanent = outcome.reason === 'permanent';
    if (outcome.attempts > 0) {
      (permanent ? this.losses : this.options.failures).warn(`${this.options.what} failed${permanent ? '; dropped' : '; kept for retry'}`, {
        signal: entry.label,
        reason: outcome.reason,
        error: outcome.lastError,
        attempts: outcome.attempts,
      });
    }
    return permanent ? 'permanent' : 'transient';
  }

  /** Keep `entry` for a later send, within the limits (the oldest go first). */
  private keep(entry: Entry, tally: Tally): void {
    if (this.closed) {
      this.dropped(entry, tally);
      return;
    }
    this.entries.push(entry);
    this.totalBytes += entry.body.bytes.byteLength;
    let evicted = 0;
    const before = tally.dropped;
    while (this.entries.length > 0 && (this.entries.length > this.limits.maxRequests || this.totalBytes > this.limits.maxBytes)) {
      const oldest = this.entries[0];
      this.remove(oldest);
      this.dropped(oldest, tally);
      evicted++;
    }
    if (evicted > 0) {
      this.losses.warn(`${this.options.what} retry backlog full; oldest requests dropped`, {
        requests: evicted,
        events: tally.dropped - before,
        maxRequests: this.limits.maxRequests,
        maxBytes: this.limits.maxBytes,
      });
    }
  }

  private remove(entry: Entry): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    this.totalBytes -= entry.body.bytes.byteLength;
  }

  private delivered(entry: Entry, tally: Tally): void {
    if (entry.settled) return;
    entry.settled = true;
    for (const group of entry.groups) {
      group.pending--;
      if (group.pending === 0 && group.state === 'open') {
        group.state = 'exported';
        tally.exported += group.events;
        if (group.fromFunction) tally.functionExported += group.events;
      }
    }
  }

  private dropped(entry: Entry, tally: Tally): void {
    if (entry.settled) return;
    entry.settled = true;
    for (const group of entry.groups) {
      group.pending--;
      this.dropGroup(group, tally);
    }
  }

  private dropGroup(group: EventGroup, tally: Tally): void {
    if (group.state !== 'open') return;
    group.state = 'dropped';
    tally.dropped += group.events;
    if (group.fromFunction) tally.functionDropped += group.events;
  }
}
