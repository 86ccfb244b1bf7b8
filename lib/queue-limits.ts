import { Size } from 'aws-cdk-lib';

/**
 * The extension's in-memory queue between the listener (where Lambda pushes telemetry) and the
 * sink. It bounds the memory the extension takes from the function: when the queue is full the
 * listener answers 503 and Lambda keeps the events and resends them later.
 */
export interface TelemetryQueueLimits {
  /**
   * The most events held. Allowed: 1 to 1,000,000.
   *
   * @default 20000 - two of the largest deliveries the Telemetry API makes
   */
  readonly maxItems?: number;

  /**
   * The most event data held, measured as received JSON. Allowed: 1 KiB to 512 MiB. Parsed events
   * take about 3 to 5 times this on the heap.
   *
   * @default Size.mebibytes(4) - two of the largest deliveries; 12 to 20 MB of heap when full
   */
  readonly maxBytes?: Size;
}
