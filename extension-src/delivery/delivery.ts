/**
 * Delivery, shared by every sink that sends HTTP requests: a sink turns a hand-over into
 * {@link Payload}s and the {@link EventGroup}s that depend on them; delivery encodes them
 * (splitting them to per-request limits when a splitter is given), compresses, signs each attempt
 * (when a signer is given), retries, keeps what may pass in the retry backlog, and refuses
 * everything once closed. The sink returns `outcomeOf(tally)`; nothing here counts globally.
 *
 * The transport chain, outermost first: {@link RetryingTransport} (backoff, `Retry-After`) →
 * {@link SigningTransport} (only with `sign`) → the wire ({@link HttpTransport} by default).
 */
import type { CompressionName } from '../../lib/config/contract';
import { RateLimitedLog, type LogFields } from '../log';
import { newTally, RetryBacklog, type BacklogLimits, type BacklogRequest, type EventGroup, type Tally } from './backlog';
import type { Payload, PayloadSplitter } from './payload';
import { RetryingTransport, type RetryClock, type RetryPolicy } from './retry';
import { SigningTransport, type RequestSigner } from './signing';
import { prepareBody, type Transport } from './transport';
import type { ExportOutcome } from '../sinks/sink';

export interface DeliveryOptions {
  /** The wire, e.g. an {@link HttpTransport}. Closed with the delivery. */
  readonly transport: Transport;
  readonly compression: CompressionName;
  /** Upper bound of one attempt, ms. */
  readonly timeoutMs: number;
  /** Prefix of log lines, e.g. `OTLP export`. */
  readonly what: string;
  /** Called before every attempt; its headers are added to that attempt. */
  readonly sign?: RequestSigner;
  /** Per-request limits: what to send instead of a payload that is too large. */
  readonly split?: PayloadSplitter;
  /** Bounds of the requests kept for retry. */
  readonly limits?: Partial<BacklogLimits>;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
}

/** A payload and the events whose fate depends on it. */
export interface DeliveryJob {
  readonly payload: Payload;
  readonly groups: readonly EventGroup[];
}

/** Splits of one payload at most (a splitter that never gets below its limit cannot loop). */
const MAX_SPLIT_DEPTH = 16;

export class Delivery {
  /** Requests kept for retry. */
  readonly backlog: RetryBacklog;
  /** Transient failures, rate-limited (an outage repeats them); sinks report their own through {@link warn}. */
  private readonly failures = new RateLimitedLog(5, 60_000);
  private readonly transport: RetryingTransport;
  private isClosed = false;

  constructor(private readonly options: DeliveryOptions) {
    const wire = options.sign ? new SigningTransport(options.transport, options.sign) : options.transport;
    this.transport = new RetryingTransport(wire, { policy: options.policy, clock: options.clock });
    this.backlog = new RetryBacklog({
      transport: this.transport,
      timeoutMs: options.timeoutMs,
      failures: this.failures,
      what: options.what,
      limits: options.limits,
    });
  }

  /** Set by {@link close}: every later hand-over is dropped. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** A rate-limited warning in the delivery's log stream. */
  warn(message: string, fields?: LogFields): void {
    this.failures.warn(message, fields);
  }

  /**
   * The outcome of `events` records the sink cannot even try to send (closed, mapping failed):
   * all dropped; `functionRecords` of them were the function's.
   */
  dropAll(events: number, functionRecords = 0): ExportOutcome {
    if (functionRecords === 0) return { exported: 0, dropped: events };
    return { exported: 0, dropped: events, function: { exported: 0, dropped: functionRecords } };
  }

  /**
   * Send the backlog, oldest first, then `jobs`, starting no attempt at or after `deadline`; what
   * is settled is added to `tally`. After {@link close}, `jobs` are dropped.
   */
  send(jobs: readonly DeliveryJob[], deadline: number, tally: Tally): Promise<void> {
    return this.sendAll(jobs, deadline, tally, false);
  }

  /**
   * One last send of the backlog and `jobs` (a kept request's `Retry-After` no longer holds it
   * back: what is not sent now is lost), then close: what is still kept is dropped, later
   * hand-overs are refused, sockets are released. Returns what this settled.
   */
  async close(deadline: number, jobs: readonly DeliveryJob[] = []): Promise<ExportOutcome> {
    const tally = newTally();
    if (this.isClosed) return outcomeOf(tally);
    try {
      await this.sendAll(jobs, deadline, tally, true);
    } catch (err) {
      this.failures.warn(`${this.options.what}: shutdown flush failed`, { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.isClosed = true;
      this.backlog.close(tally);
      this.transport.close();
    }
    return outcomeOf(tally);
  }

  private async sendAll(jobs: readonly DeliveryJob[], deadline: number, tally: Tally, lastChance: boolean): Promise<void> {
    if (this.isClosed) {
      for (const job of jobs) this.backlog.fail(job.groups, tally);
      return;
    }
    const requests: BacklogRequest[] = [];
    for (const job of jobs) await this.build(job.payload, job.groups, tally, requests, 0);
    await this.backlog.send(requests, deadline, tally, lastChance);
  }

  private async build(payload: Payload, groups: readonly EventGroup[], tally: Tally, into: BacklogRequest[], depth: number): Promise<void> {
    let encoded: Uint8Array | string | undefined;
    try {
      encoded = payload.encode();
      if (encoded === undefined) this.failures.warn(`${this.options.what}: encoding produced nothing; dropped`, { signal: payload.label });
    } catch (err) {
      this.failures.warn(`${this.options.what}: encoding failed; dropped`, { signal: payload.label, error: err instanceof Error ? err.message : String(err) });
    }
    if (encoded === undefined) {
      this.backlog.fail(groups, tally);
      return;
    }
    const bytes = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
    const parts = depth < MAX_SPLIT_DEPTH ? this.options.split?.(payload, bytes) : undefined;
    if (parts && parts.length > 0) {
      for (const part of parts) await this.build(part, groups, tally, into, depth + 1);
      return;
    }
    const body = await prepareBody(bytes, payload.contentType, this.options.compression);
    into.push(this.backlog.request(payload.label, payload.url, body, groups, payload.headers));
  }
}

/** A tally as an outcome; `failedAttempts` only when some failed, `function` only when it had some. */
export function outcomeOf(tally: Tally): ExportOutcome {
  const { exported, dropped, failedAttempts, functionExported, functionDropped } = tally;
  return {
    exported,
    dropped,
    ...(failedAttempts > 0 ? { failedAttempts } : {}),
    ...(functionExported > 0 || functionDropped > 0 ? { function: { exported: functionExported, dropped: functionDropped } } : {}),
  };
}
