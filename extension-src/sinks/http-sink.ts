/**
 * The HTTP sink: POSTs batches of validated events as JSON to one URL,
 * `{"resource": {...attributes}, "events": [...]}`, gzipped unless configured otherwise, with the
 * same retry as OTLP (./retry.ts).
 *
 * Each event is sent as the listener parsed it: `{time, type, record, timeMs}` (span objects in
 * records also carry `startMs`); events of unknown types are sent raw with `"unknown": true`.
 * Large hand-overs are split into requests of at most `maxEventsPerRequest` events; each request
 * succeeds or fails (and is counted) on its own.
 */
import type { CompressionName } from '../../lib/config/contract';
import { EXTENSION_NAME } from '../../lib/config/contract';
import { RateLimitedLog } from '../log';
import { HttpTransport } from './http-transport';
import { EXTENSION_VERSION, type ResourceAttributes } from './resource';
import { withRetry, type RetryClock, type RetryPolicy } from './retry';
import type { ExportOutcome, Sink } from './sink';
import type { Counters } from '../stats/counters';
import type { ParsedEvent } from '../telemetry/schemas';

export interface HttpSinkOptions {
  /** The full URL events are POSTed to. */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: CompressionName;
  readonly timeoutMs: number;
  readonly resource: ResourceAttributes;
  readonly counters: Counters;
  /** Default 1000. */
  readonly maxEventsPerRequest?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: RetryClock;
}

export class HttpSink implements Sink {
  readonly name = 'http';
  private readonly url: URL;
  private readonly transport: HttpTransport;
  private readonly failures = new RateLimitedLog(5, 60_000);
  private readonly resourceJson: string;
  private closed = false;

  constructor(private readonly options: HttpSinkOptions) {
    this.url = new URL(options.endpoint);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`HTTP sink endpoint must be http(s), got ${this.url.protocol}`);
    }
    this.transport = new HttpTransport({
      headers: options.headers,
      compression: options.compression,
      userAgent: `${EXTENSION_NAME}/${EXTENSION_VERSION}`,
    });
    this.resourceJson = JSON.stringify(options.resource);
  }

  async export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome> {
    if (this.closed) return this.drop(events.length);
    const size = Math.max(1, this.options.maxEventsPerRequest ?? 1000);
    let exported = 0;
    let dropped = 0;
    for (let i = 0; i < events.length; i += size) {
      const chunk = events.slice(i, i + size);
      if (await this.send(chunk, deadline)) exported += chunk.length;
      else dropped += chunk.length;
    }
    this.options.counters.dropped += dropped;
    return { exported, dropped };
  }

  /** Nothing is held between exports: only the keep-alive sockets are released. */
  async shutdown(_deadline: number): Promise<ExportOutcome> {
    this.closed = true;
    this.transport.close();
    return { exported: 0, dropped: 0 };
  }

  private async send(events: readonly ParsedEvent[], deadline: number): Promise<boolean> {
    let body: string;
    try {
      body = `{"resource":${this.resourceJson},"events":${JSON.stringify(events)}}`;
    } catch (err) {
      this.failures.warn('HTTP sink could not serialize a batch; dropped', { events: events.length, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
    const prepared = await this.transport.prepare(body, 'application/json');
    const outcome = await withRetry((timeoutMs) => this.transport.post(this.url, prepared, timeoutMs), {
      deadline,
      timeoutMs: this.options.timeoutMs,
      policy: this.options.retryPolicy,
      clock: this.options.clock,
    });
    this.options.counters.failedExports += outcome.failedAttempts;
    if (!outcome.delivered) {
      this.failures.warn('HTTP sink export failed', { events: events.length, reason: outcome.reason, error: outcome.lastError, attempts: outcome.attempts });
    }
    return outcome.delivered;
  }

  private drop(count: number): ExportOutcome {
    this.options.counters.dropped += count;
    return { exported: 0, dropped: count };
  }
}
