/**
 * The "buffer full, export now" rule (OpenTelemetry's BatchSpanProcessor, the Rust extension's
 * `FlushReason::BufferFull`): a queue this full (of its item or byte limit) is flushed in the
 * background, whatever the strategy. Waiting for the next timer tick or boundary would only make
 * the listener refuse deliveries (503) that Lambda then resends. With the default 1 s interval,
 * `continuously` moved at most one queue (20,000 events) per second and refused the rest.
 */
import type { QueueLimits } from '../queue/bounded-queue';

export const PRESSURE_FLUSH_RATIO = 0.5;

/** Is a queue holding `size` items of `bytes` under pressure? */
export function underPressure(queue: { readonly size: number; readonly bytes: number; readonly limits: QueueLimits }): boolean {
  return queue.size >= queue.limits.maxItems * PRESSURE_FLUSH_RATIO || queue.bytes >= queue.limits.maxBytes * PRESSURE_FLUSH_RATIO;
}
