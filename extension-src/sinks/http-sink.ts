/**
 * The HTTP sink: POSTs batches of validated events as JSON to one URL,
 * `{"resource": {...attributes}, "events": [...]}`, gzipped unless configured otherwise, with the
 * same retry as OTLP (./retry.ts).
 *
 * Each event is sent as the listener parsed it: `{time, type, record, timeMs}` (span objects in
 * records also carry `startMs`); events of unknown types are sent raw with `"unknown": true`.
 * Large hand-overs are split into requests of at most `maxEventsPerRequest` events; each request
 * succeeds or fails (and is counted) on its own. Requests that fail for a reason that may pass are
 * kept and sent again at the next export (see ./retry-backlog.ts); an outcome counts what was
 * settled during the call, events of earlier calls included.
 */
import type { CompressionName } from '../../lib/config/contract';
import { EXTENSION_NAME } from '../../lib/config/contract';
import { RateLimitedLog } from '../log';
import { HttpTransport } from './http-transport';
import { EXTENSION_VERSION, type ResourceAttributes } from './resource';
import type { RetryClock, RetryPolicy } from './retry';
import { EventGroup, RetryBacklog, type BacklogLimits, type BacklogRequest, type Tally } from './retry-backlog';
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
  /** Bounds of the requests kept for retry. Default {@link DEFAULT_BACKLOG_LIMITS}. */
  readonly backlogLimits?: Partial<BacklogLimits>;
}

export class HttpSink implements Sink {
  readonly name = 'http';
  /** Requests kept for retry. */
  readonly backlog: RetryBacklog;
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
    this.backlog = new RetryBacklog({
      transport: this.transport,
      timeoutMs: options.timeoutMs,
      counters: options.counters,
      failures: this.failures,
      what: 'HTTP sink export',
      limits: options.backlogLimits,
      policy: options.retryPolicy,
      clock: options.clock,
    });
  }

  async export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome> {
    if (this.closed) return this.drop(events.length);
    const size = Math.max(1, this.options.maxEventsPerRequest ?? 1000);
    const tally: Tally = { exported: 0, dropped: 0 };
    const requests: BacklogRequest[] = [];
    for (let i = 0; i < events.length; i += size) {
      const chunk = events.slice(i, i + size);
      const group = new EventGroup(chunk.length);
      let body: string;
      try {
        body = `{"resource":${this.resourceJson},"events":${JSON.stringify(chunk)}}`;
      } catch (err) {
        this.failures.warn('HTTP sink could not serialize a batch; dropped', { events: chunk.length, error: err instanceof Error ? err.message : String(err) });
        this.backlog.fail([group], tally);
        continue;
      }
      const prepared = await this.transport.prepare(body, 'application/json');
      requests.push(this.backlog.request('events', this.url, prepared, [group]));
    }
    await this.backlog.send(requests, deadline, tally);
    return tally;
  }

  /** Nothing is held between exports but the requests kept for retry: one last try, then they are dropped. */
  async shutdown(deadline: number): Promise<ExportOutcome> {
    const tally: Tally = { exported: 0, dropped: 0 };
    if (this.closed) return tally;
    this.closed = true;
    try {
      await this.backlog.send([], deadline, tally);
    } finally {
      this.backlog.close(tally);
      this.transport.close();
    }
    return tally;
  }

  private drop(count: number): ExportOutcome {
    this.options.counters.dropped += count;
    return { exported: 0, dropped: count };
  }
}
