/**
 * The bounded hand-over between the listener (producer) and the export loop (single consumer).
 *
 * Limits, in items and in estimated bytes. Defaults are sized for the smallest common function,
 * 128 MB, whose memory the extension shares:
 * - 20,000 items = 2 deliveries at the Telemetry API's largest `maxItems` (10,000);
 * - 4 MiB = 2 deliveries at its largest body (about 2 x `maxBytes` 1 MiB). Parsed events take
 *   roughly 3-5x their JSON size on the V8 heap, so a full queue costs 12-20 MB: bearable next to
 *   Node's ~40 MB baseline in a 128 MB sandbox, while still absorbing a slow sink for two batches.
 * Whatever does not fit is refused whole (the listener answers 503 and Lambda resends), so nothing
 * is partly accepted and nothing is duplicated. An empty queue accepts any batch, however large:
 * a batch bigger than the limits must not be refused forever.
 *
 * Bytes are estimates: the listener shares the raw body length across the body's events; nothing
 * is serialised again to measure it.
 */

import { LIMITS } from '../../lib/config/contract';

export interface QueueLimits {
  readonly maxItems: number;
  readonly maxBytes: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = {
  maxItems: LIMITS.queueMaxItems.default,
  maxBytes: LIMITS.queueMaxBytes.default,
};

/** Called synchronously with every accepted batch, in order. Must be cheap and must not throw. */
export type OfferListener<T> = (events: readonly T[]) => void;

export class BoundedQueue<T> {
  private currentLimits: QueueLimits;
  private items: T[] = [];
  private itemBytes: number[] = [];
  private head = 0;
  private totalBytes = 0;
  private readonly listeners = new Set<OfferListener<T>>();

  constructor(limits: Partial<QueueLimits> = {}) {
    this.currentLimits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
    if (!(this.limits.maxItems >= 1) || !(this.limits.maxBytes >= 1)) {
      throw new RangeError(`queue limits must be at least 1, got maxItems=${this.limits.maxItems} maxBytes=${this.limits.maxBytes}`);
    }
  }

  /** Events waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Estimated bytes of the events waiting. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Append all of `events` (estimated together at `bytes`), or none of them.
   * @returns false when the batch does not fit (the queue is unchanged).
   */
  offer(events: readonly T[], bytes: number): boolean {
    if (events.length === 0) return true;
    const size = this.size;
    if (size > 0 && (size + events.length > this.limits.maxItems || this.totalBytes + bytes > this.limits.maxBytes)) {
      return false;
    }
    const share = bytes / events.length;
    for (const event of events) {
      this.items.push(event);
      this.itemBytes.push(share);
    }
    this.totalBytes += bytes;
    for (const listener of this.listeners) listener(events);
    return true;
  }

  /** The limits in force. */
  get limits(): QueueLimits {
    return this.currentLimits;
  }

  /**
   * Stop refusing batches, for good. At SHUTDOWN the process exits within Lambda's deadline, so
   * the memory bound protects nothing any more, while a batch refused with 503 now would be
   * resent after the extension has gone: lost.
   */
  acceptEverything(): void {
    this.currentLimits = { maxItems: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY };
  }

  /** Remove and return up to `maxItems` events from the head, oldest first. */
  take(maxItems: number): T[] {
    const end = Math.min(this.items.length, this.head + Math.max(0, Math.floor(maxItems)));
    const taken = this.items.slice(this.head, end);
    for (let i = this.head; i < end; i++) this.totalBytes -= this.itemBytes[i];
    this.head = end;
    if (this.head === this.items.length) {
      this.items = [];
      this.itemBytes = [];
      this.head = 0;
      this.totalBytes = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.itemBytes = this.itemBytes.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  /** Remove and return everything. */
  drain(): T[] {
    return this.take(this.size);
  }

  /** Register a listener for accepted batches. Returns its unsubscribe function. */
  onOffer(listener: OfferListener<T>): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
