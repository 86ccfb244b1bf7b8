import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ExportCompression, OtlpProtocol } from '../telemetry-sink';

/** A signal the CloudWatch sink sends to AWS's OTLP endpoints. */
export enum CloudWatchSignal {
  /** Spans to `https://xray.<region>.amazonaws.com/v1/traces` (X-Ray, CloudWatch Transaction Search). */
  TRACES = 'traces',
  /** Log records to `https://logs.<region>.amazonaws.com/v1/logs`, into the sink's log group. */
  LOGS = 'logs',
  /** Metrics to `https://monitoring.<region>.amazonaws.com/v1/metrics` (CloudWatch OpenTelemetry metrics). */
  METRICS = 'metrics',
}

/** Options of `TelemetrySink.cloudWatch()`. */
export interface CloudWatchSinkOptions {
  /**
   * The signals to send. Non-empty, no duplicates. Each one gets its own grant on the function's
   * role and nothing else does.
   *
   * @default [CloudWatchSignal.TRACES, CloudWatchSignal.LOGS, CloudWatchSignal.METRICS]
   */
  readonly signals?: CloudWatchSignal[];

  /**
   * The log group OTLP log records are written to (`x-aws-log-group`), in the function's
   * account and region. Only with `CloudWatchSignal.LOGS`. Never the function's own log group
   * when `cloudWatchLogsIngestion` is `STOP`.
   *
   * @default - a new log group created by the layer construct, with `logRetention`
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * The retention of the log group the construct creates. Not with `logGroup` (set the
   * retention of your own group there).
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The prefix of the log stream each execution environment creates at init: the stream is
   * `<prefix><yyyy/mm/dd>/<32 hex digits>`, like Lambda's own streams. At most 469 characters,
   * no `:` or `*`.
   *
   * @default - no prefix
   */
  readonly logStreamPrefix?: string;

  /**
   * A base URL every signal is sent to instead of the regional endpoints (`<endpoint>/v1/traces`,
   * `/v1/logs`, `/v1/metrics`), for other partitions or VPC endpoints. Requests are still signed
   * for the function's region and each signal's service.
   *
   * @default - the regional endpoints of the function's region
   */
  readonly endpoint?: string;

  /**
   * The wire format.
   *
   * @default OtlpProtocol.HTTP_PROTOBUF
   */
  readonly protocol?: OtlpProtocol;

  /**
   * Compression of request bodies.
   *
   * @default ExportCompression.GZIP
   */
  readonly compression?: ExportCompression;

  /**
   * The timeout of one export request. Failed requests are retried with backoff.
   *
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;

  /**
   * The `service.name` resource attribute.
   *
   * @default - `OTEL_SERVICE_NAME` of the function when set, else the function's name
   */
  readonly serviceName?: string;
}
