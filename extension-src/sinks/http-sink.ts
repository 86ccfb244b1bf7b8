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
 *
 * The function's own OTLP data (the receiver's items) rides in the same requests, under
 * `"function"` (present only when there is some), one entry per export request of its SDK in
 * arrival order, as ./function-json.ts describes:
 * `{"resource":{...},"events":[...],"function":[{"signal":"traces","receivedAtMs":...,"records":3,"request":{"resourceSpans":[...]}}]}`.
 * Each entry counts toward `maxEventsPerRequest` as one.
 */
import { functionItemJson } from './function-json';
import { EXTENSION_VERSION, type ResourceAttributes } from './resource';
import type { ExportOutcome, Sink } from './sink';
import type { CompressionName } from '../../lib/config/contract';
import { EXTENSION_NAME } from '../../lib/config/contract';
import { httpUrlReason } from '../config/http-url';
import { EventGroup, newTally, type BacklogLimits, type RetryBacklog } from '../delivery/backlog';
import { Delivery, outcomeOf, type DeliveryJob } from '../delivery/delivery';
import type { RetryClock, RetryPolicy } from '../delivery/retry';
import { HttpTransport } from '../delivery/transport';
import { isFunctionTelemetry, recordsOf, type PipelineItem } from '../pipeline/items';
import type { FunctionTelemetry } from '../receiver/function-telemetry';
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
    const reason = httpUrlReason(options.endpoint, 'http(s)');
    if (reason !== undefined) throw new TypeError(`HTTP sink endpoint ${reason}`);
    this.url = new URL(options.endpoint);
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

  async export(items: readonly PipelineItem[], deadline: number): Promise<ExportOutcome> {
    if (this.delivery.closed) {
      const functionRecords = items.reduce((n, item) => n + (isFunctionTelemetry(item) ? recordsOf(item) : 0), 0);
      return this.delivery.dropAll(items.reduce((n, item) => n + recordsOf(item), 0), functionRecords);
    }
    const size = Math.max(1, this.options.maxEventsPerRequest ?? 1000);
    const jobs: DeliveryJob[] = [];
    for (let i = 0; i < items.length; i += size) {
      const events: ParsedEvent[] = [];
      const functionItems: FunctionTelemetry[] = [];
      let functionRecords = 0;
      for (const item of items.slice(i, i + size)) {
        if (isFunctionTelemetry(item)) {
          functionItems.push(item);
          functionRecords += item.items;
        } else {
          events.push(item);
        }
      }
      const groups = [new EventGroup(events.length)];
      if (functionRecords > 0) groups.push(new EventGroup(functionRecords, true));
      jobs.push({
        groups,
        payload: {
          label: 'events',
          url: this.url,
          contentType: 'application/json',
          items: events.length + functionItems.length,
          encode: () => {
            const own = functionItems.length > 0
              ? `,"function":${JSON.stringify(functionItems.map((item) => functionItemJson(item, this.options.resource)))}`
              : '';
            return `{"resource":${this.resourceJson},"events":${JSON.stringify(events)}${own}}`;
          },
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
