import { Duration, Size } from 'aws-cdk-lib';

/**
 * How the Lambda Telemetry API buffers events before it pushes a batch to the extension.
 * A batch is sent as soon as any one of the limits is reached.
 */
export interface TelemetryBuffering {
  /**
   * The largest number of events in one batch. Allowed: 1,000 to 10,000.
   *
   * @default 1000
   */
  readonly maxItems?: number;

  /**
   * The largest size of one batch. Allowed: 256 KiB to 1 MiB.
   *
   * @default Size.kibibytes(256)
   */
  readonly maxBytes?: Size;

  /**
   * The longest time events are held before a batch is sent. Allowed: 25 ms to 30 s.
   *
   * @default Duration.millis(25)
   */
  readonly timeout?: Duration;
}
