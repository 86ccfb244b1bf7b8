/**
 * Delivery of telemetry to one subscriber: batching by maxItems / maxBytes / timeoutMs, one POST in
 * flight, retries with exponential backoff, a bounded buffer whose overflow is reported later as
 * `platform.logsDropped`, and no delivery while the execution environment is frozen.
 */
import * as http from 'node:http';
import type { TelemetryEvent } from './platform-events';

export interface Buffering {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface BufferLimit {
  /** Most events waiting (not yet in a batch) before new ones are dropped. */
  readonly maxItems: number;
  /** Most bytes waiting before new events are dropped. */
  readonly maxBytes: number;
}

export interface RetryPolicy {
  /** Attempts per batch, the first one included; then the batch is dropped. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One POST may take this long (time frozen does not count). */
  readonly attemptTimeoutMs: number;
}

export interface DispatcherOptions {
  /** Listener port on 127.0.0.1 (what `sandbox.localdomain` resolves to). */
  readonly port: number;
  /** Path and query of the destination URI. */
  readonly path: string;
  readonly schemaVersion: string;
  readonly buffering: Buffering;
  readonly bufferLimit: BufferLimit;
  readonly retry: RetryPolicy;
  /** Called after every state change (deliveries are observable). */
  readonly onChange: () => void;
  /** Asks for a `platform.logsDropped` event addressed to this subscriber (it comes back through `enqueue`). */
  readonly reportDropped: (record: { droppedRecords: number; droppedBytes: number; reason: string }) => void;
}

export interface DeliveryAttempt {
  /** Epoch ms. */
  readonly startedAt: number;
  endedAt?: number;
  /** HTTP status of the answer. */
  status?: number;
  /** Connection error or timeout. */
  error?: string;
}

export type DeliveryOutcome = 'in-flight' | 'delivered' | 'dropped' | 'abandoned';

/** One batch and what happened to it. */
export interface DeliveryRecord {
  readonly index: number;
  readonly events: readonly TelemetryEvent[];
  readonly bytes: number;
  readonly attempts: DeliveryAttempt[];
  outcome: DeliveryOutcome;
}

export const OVERFLOW_REASON = 'Some logs were dropped because the downstream consumer is slower than the logs production rate';
export const DELIVERY_FAILED_REASON = 'Consumer seems to have fallen behind as it has not acknowledged receipt of logs.';

interface Item {
  readonly event: TelemetryEvent;
  readonly json: string;
  readonly bytes: number;
  readonly enqueuedAt: number;
}

interface Current {
  readonly record: DeliveryRecord;
  readonly body: string;
  request?: http.ClientRequest;
  attemptTimer?: NodeJS.Timeout;
  retryTimer?: NodeJS.Timeout;
}

export class TelemetryDispatcher {
  public readonly deliveries: DeliveryRecord[] = [];
  /** Totals over the subscriber's life. */
  public readonly dropped = { records: 0, bytes: 0 };
  private queue: Item[] = [];
  private queueBytes = 0;
  private pendingDrop = { records: 0, bytes: 0, reason: OVERFLOW_REASON };
  private current: Current | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private timeoutReached = false;
  private paused = false;
  private closed = false;

  public constructor(private readonly options: DispatcherOptions) {}

  /** Events waiting for a batch. */
  public get queued(): number {
    return this.queue.length;
  }

  /** Is there anything not yet delivered (queued or in flight)? */
  public get idle(): boolean {
    return this.queue.length === 0 && this.current === undefined;
  }

  /**
   * Adds one event. `rawLine` is the captured text of a `function` / `extension` line (sent instead
   * of an object record to schema 2022-07-01 subscribers). `force` bypasses the buffer bound.
   */
  public enqueue(event: TelemetryEvent, rawLine?: string, force = false): void {
    if (this.closed) return;
    const wire = this.options.schemaVersion === '2022-07-01' && rawLine !== undefined && typeof event.record === 'object'
      ? { ...event, record: rawLine }
      : event;
    const json = JSON.stringify(wire);
    const bytes = Buffer.byteLength(json);
    const limit = this.options.bufferLimit;
    if (!force && (this.queue.length >= limit.maxItems || this.queueBytes + bytes > limit.maxBytes)) {
      this.addDrop(1, bytes, OVERFLOW_REASON);
      this.dropped.records += 1;
      this.dropped.bytes += bytes;
      this.options.onChange();
      return;
    }
    this.queue.push({ event: wire, json, bytes, enqueuedAt: Date.now() });
    this.queueBytes += bytes;
    this.schedule();
  }

  /** The environment froze: start nothing new, stop counting attempt time. */
  public pause(): void {
    this.paused = true;
    if (this.current?.attemptTimer) {
      clearTimeout(this.current.attemptTimer);
      this.current.attemptTimer = undefined;
    }
  }

  /** The environment thawed: deliver what became due meanwhile. */
  public resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const current = this.current;
    if (current?.request) this.armAttemptTimer(current);
    else if (current && !current.retryTimer) this.attempt(current);
    this.schedule();
  }

  /** Stops for good; a batch in flight and queued events are abandoned. */
  public close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    const current = this.current;
    if (current) {
      if (current.attemptTimer) clearTimeout(current.attemptTimer);
      if (current.retryTimer) clearTimeout(current.retryTimer);
      current.request?.destroy();
      current.record.outcome = 'abandoned';
      this.current = undefined;
    }
    this.queue = [];
    this.queueBytes = 0;
    this.options.onChange();
  }

  private addDrop(records: number, bytes: number, reason: string): void {
    this.pendingDrop = {
      records: this.pendingDrop.records + records,
      bytes: this.pendingDrop.bytes + bytes,
      reason: this.pendingDrop.records === 0 ? reason : this.pendingDrop.reason,
    };
  }

  private ready(): boolean {
    if (this.queue.length === 0) return false;
    const { maxItems, maxBytes } = this.options.buffering;
    return this.timeoutReached || this.queue.length >= maxItems || this.queueBytes >= maxBytes;
  }

  private schedule(): void {
    if (this.closed || this.paused || this.current) return;
    if (this.ready()) {
      this.sendBatch();
    } else {
      this.armBatchTimer();
    }
  }

  /** The batch timer runs from the moment the oldest waiting event arrived. */
  private armBatchTimer(): void {
    if (this.batchTimer || this.queue.length === 0) return;
    const dueIn = Math.max(0, this.queue[0].enqueuedAt + this.options.buffering.timeoutMs - Date.now());
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      this.timeoutReached = true;
      this.schedule();
    }, dueIn);
  }

  private sendBatch(): void {
    const { maxItems, maxBytes } = this.options.buffering;
    const items: Item[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && items.length < maxItems && bytes < maxBytes) {
      const item = this.queue.shift() as Item;
      items.push(item);
      bytes += item.bytes;
    }
    this.queueBytes -= bytes;
    this.timeoutReached = false;
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    const record: DeliveryRecord = {
      index: this.deliveries.length, events: items.map((item) => item.event), bytes, attempts: [], outcome: 'in-flight',
    };
    this.deliveries.push(record);
    const current: Current = { record, body: `[${items.map((item) => item.json).join(',')}]` };
    this.current = current;
    this.reportDrops();
    this.attempt(current);
    this.options.onChange();
  }

  private attempt(current: Current): void {
    if (this.closed || this.current !== current) return;
    if (this.paused) return; // resume() retries
    const attempt: DeliveryAttempt = { startedAt: Date.now() };
    current.record.attempts.push(attempt);
    let settled = false;
    const settle = (status?: number, error?: string): void => {
      if (settled) return;
      settled = true;
      attempt.endedAt = Date.now();
      attempt.status = status;
      attempt.error = error;
      if (current.attemptTimer) clearTimeout(current.attemptTimer);
      current.attemptTimer = undefined;
      current.request = undefined;
      this.attemptDone(current, status !== undefined && status >= 200 && status < 300);
    };
    const request = http.request({
      host: '127.0.0.1',
      port: this.options.port,
      path: this.options.path,
      method: 'POST',
      agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(current.body)) },
    });
    current.request = request;
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => settle(response.statusCode));
      response.on('error', (error) => settle(undefined, error.message));
    });
    request.on('error', (error) => settle(undefined, error.message));
    this.armAttemptTimer(current);
    request.end(current.body);
    this.options.onChange();
  }

  private armAttemptTimer(current: Current): void {
    current.attemptTimer = setTimeout(() => {
      current.attemptTimer = undefined;
      current.request?.destroy(new Error(`no answer within ${this.options.retry.attemptTimeoutMs} ms`));
    }, this.options.retry.attemptTimeoutMs);
  }

  private attemptDone(current: Current, ok: boolean): void {
    if (this.closed || this.current !== current) return;
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.options.retry;
    const attempts = current.record.attempts.length;
    if (ok) {
      current.record.outcome = 'delivered';
    } else if (attempts < maxAttempts) {
      const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
      current.retryTimer = setTimeout(() => {
        current.retryTimer = undefined;
        this.attempt(current);
      }, delay);
      this.options.onChange();
      return;
    } else {
      current.record.outcome = 'dropped';
      this.addDrop(current.record.events.length, current.record.bytes, DELIVERY_FAILED_REASON);
      this.dropped.records += current.record.events.length;
      this.dropped.bytes += current.record.bytes;
    }
    this.current = undefined;
    this.reportDrops();
    this.options.onChange();
    this.schedule();
  }

  /** Emits the pending `platform.logsDropped`, once there is room again. */
  private reportDrops(): void {
    if (this.pendingDrop.records === 0) return;
    const { records, bytes, reason } = this.pendingDrop;
    this.pendingDrop = { records: 0, bytes: 0, reason: OVERFLOW_REASON };
    this.options.reportDropped({ droppedRecords: records, droppedBytes: bytes, reason });
  }
}
