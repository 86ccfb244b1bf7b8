/**
 * The HTTP sink: POSTs batches of validated events as JSON to one URL,
 * `{"resource": {...attributes}, "events": [...]}`, gzipped unless configured otherwise, through
 * the same delivery as OTLP (../delivery/delivery.ts: retry, retry backlog, closed flag).
 *
 * Each event is sent as the listener parsed it: `{time, type, record, timeMs}` (span objects in
 * records also carry `startMs`); events of unknown types are sent raw with `"unknown": true`.
 * Large hand-overs are split into requests of at most `maxEventsPerRequest` events; each request
 * succeeds or fails on its own. Requests that fail for a reason that may pass are kept and sent
 * again at the next export; an outcome reports what was settled during the call, events of
 * earlier calls included.
 */
import { EXTENSION_VERSION, type ResourceAttributes } from './resource';
import type { ExportOutcome, Sink } from './sink';
import type { CompressionName } from '../../lib/config/contract';
import { EXTENSION_NAME } from '../../lib/config/contract';
import { EventGroup, newTally, type BacklogLimits, type RetryBacklog } from '../delivery/backlog';
import { Delivery, outcomeOf, type DeliveryJob } from '../delivery/delivery';
import type { RetryClock, RetryPolicy } from '../delivery/retry';
import { HttpTransport } from '../delivery/transport';
import type { ParsedEvent } from '../telemetry/schemas';

export interface HttpSinkOptions {
  /** The full URL events are POSTed to. */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: CompressionName;
  readonly timeoutMs: number;
  readonly resource: ResourceAttributes;
  /** Default 1000. */
  readonly maxEventsPerRequest?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: RetryClock;
  /** Bounds of the requests kept for retry. Default {@link DEFAULT_BACKLOG_LIMITS}. */
  readonly backlogLimits?: Partial<BacklogLimits>;
}

export class HttpSink implements Sink {
  readonly name = 'http';
  private readonly url: URL;
  private readonly delivery: Delivery;
  private readonly resourceJson: string;

  constructor(private readonly options: HttpSinkOptions) {
    this.url = new URL(options.endpoint);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`HTTP sink endpoint must be http(s), got ${this.url.protocol}`);
    }
    this.delivery = new Delivery({
      transport: new HttpTransport({ headers: options.headers, compression: options.compression, userAgent: `${EXTENSION_NAME}/${EXTENSION_VERSION}` }),
      compression: options.compression,
      timeoutMs: options.timeoutMs,
      what: 'HTTP sink export',
      limits: options.backlogLimits,
      policy: options.retryPolicy,
      clock: options.clock,
    });
    this.resourceJson = JSON.stringify(options.resource);
  }

  /** Requests kept for retry. */
  get backlog(): RetryBacklog {
    return this.delivery.backlog;
  }

  async export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome> {
    if (this.delivery.closed) return this.delivery.dropAll(events.length);
    const size = Math.max(1, this.options.maxEventsPerRequest ?? 1000);
    const jobs: DeliveryJob[] = [];
    for (let i = 0; i < events.length; i += size) {
      const chunk = events.slice(i, i + size);
      jobs.push({
        groups: [new EventGroup(chunk.length)],
        payload: {
          label: 'events',
          url: this.url,
          contentType: 'application/json',
          items: chunk.length,
          encode: () => `{"resource":${this.resourceJson},"events":${JSON.stringify(chunk)}}`,
        },
      });
    }
    const tally = newTally();
    await this.delivery.send(jobs, deadline, tally);
    return outcomeOf(tally);
  }

  /** Nothing is held between exports but the requests kept for retry: one last try, then they are dropped. */
  shutdown(deadline: number): Promise<ExportOutcome> {
    return this.delivery.close(deadline);
  }
}
