/**
 * The CloudWatch sink: traces, logs and metrics over OTLP/HTTP to AWS's own endpoints of the
 * function's region (../../aws/cloudwatch-endpoints.ts), with no collector and no vendor. It is
 * the OTLP sink (../otlp/otlp-sink.ts) configured for them:
 *
 * - each signal to its own URL (`xray.<region>...`, `logs.<region>...`, `monitoring.<region>...`,
 *   or `<endpoint override>/v1/<signal>`), only the configured signals;
 * - every attempt signed with SigV4 for the signal's signing name (`xray`, `logs`, `monitoring`)
 *   and the function's region, whatever the URL, with the credentials Lambda gives the extension
 *   read again at each attempt (they rotate);
 * - logs carry `x-aws-log-group` / `x-aws-log-stream` (signed); the stream is created at init
 *   (`CreateLogStream`, to the regional CloudWatch Logs API, or to the endpoint override when there
 *   is one), since the endpoint only writes to an existing group and stream;
 * - every documented per-request limit (../../aws/split-export.ts `CLOUDWATCH_LIMITS`) is met by
 *   splitting; a record over a limit on its own is dropped, counted and reported;
 * - 429 and 503 (with `Retry-After`) are retried by the shared delivery code; a refused signature
 *   or unknown key (403) is permanent: counted, reported once per signal and error type
 *   (./answer-report.ts, which also reports partial successes), never retried.
 */
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { AnswerReport, type PartialSuccessReader } from './answer-report';
import { logStreamName } from './log-stream-name';
import type { CloudWatchSignalName } from '../../../lib/config/contract';
import { cloudWatchOtlpUrl, SIGNING_NAME } from '../../aws/cloudwatch-endpoints';
import { envCredentialsSource, type CredentialsSource } from '../../aws/credentials';
import { ensureLogStream } from '../../aws/log-stream';
import { createSigV4Signer } from '../../aws/sigv4-signer';
import { CLOUDWATCH_LIMITS } from '../../aws/split-export';
import type { CloudWatchConfig, SinkConfig } from '../../config/types';
import type { RetryClock, RetryPolicy } from '../../delivery/retry';
import type { RequestSigner } from '../../delivery/signing';
import { log } from '../../log';
import type { OtlpSignal } from '../../otlp/endpoints';
import type { PipelineItem } from '../../pipeline/items';
import type { Counters } from '../../stats/counters';
import { SinkInitError } from '../errors';
import { OtlpSink } from '../otlp/otlp-sink';
import type { ResourceAttributes } from '../resource';
import type { ExportOptions, ExportOutcome, Sink } from '../sink';

export interface CloudWatchSinkOptions {
  readonly config: CloudWatchConfig;
  readonly sink: Pick<SinkConfig, 'protocol' | 'compression' | 'timeoutMs'>;
  /** `AWS_REGION`: where the endpoints are and what every request is signed for. */
  readonly region: string;
  readonly resource: ResourceAttributes;
  readonly counters: Pick<Counters, 'snapshot'>;
  /** Default: the Lambda environment's, read at every attempt. */
  readonly credentials?: CredentialsSource;
  /** Budget of `CreateLogStream` at init, ms. Default 3000. */
  readonly initBudgetMs?: number;
  readonly now?: () => number;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: RetryClock;
}

export class CloudWatchSink implements Sink {
  /** Creates the log stream (when logs are sent), then the sink. Throws {@link SinkInitError}. */
  static async create(options: CloudWatchSinkOptions): Promise<CloudWatchSink> {
    const { config, region } = options;
    const credentials = options.credentials ?? envCredentialsSource();
    try {
      credentials();
    } catch (err) {
      throw new SinkInitError('Extension.ConfigInvalid', `the cloudwatch sink signs with the function's credentials: ${(err as Error).message}`);
    }
    let logStream: string | undefined;
    if (config.signals.includes('logs')) {
      const group = config.logGroup!;
      logStream = logStreamName(config.logStreamPrefix, (options.now ?? Date.now)());
      const outcome = await ensureLogStream(group, logStream, {
        region,
        credentials,
        endpoint: config.endpoint !== undefined ? new URL(config.endpoint) : undefined,
        budgetMs: options.initBudgetMs,
        clock: options.clock,
      });
      log.info(`log stream ${outcome}`, { logGroup: group, logStream });
    }
    return new CloudWatchSink(options, credentials, logStream);
  }

  readonly name = 'cloudwatch';
  /** The log stream this environment writes to (when logs are sent). */
  readonly logStream?: string;
  private readonly otlp: OtlpSink;

  private constructor(options: CloudWatchSinkOptions, credentials: CredentialsSource, logStream: string | undefined) {
    const { config, region } = options;
    this.logStream = logStream;
    const urls = {
      traces: cloudWatchOtlpUrl('traces', region, config.endpoint),
      metrics: cloudWatchOtlpUrl('metrics', region, config.endpoint),
      logs: cloudWatchOtlpUrl('logs', region, config.endpoint),
    };
    const signalOf = (url: URL): OtlpSignal => (['traces', 'metrics', 'logs'] as const).find((s) => urls[s].href === url.href) ?? 'traces';
    const signers = {
      traces: createSigV4Signer({ service: SIGNING_NAME.traces, region, credentials }),
      metrics: createSigV4Signer({ service: SIGNING_NAME.metrics, region, credentials }),
      logs: createSigV4Signer({ service: SIGNING_NAME.logs, region, credentials }),
    };
    const sign: RequestSigner = (request) => signers[signalOf(request.url)]({
      method: request.method,
      host: request.url.host,
      path: `${request.url.pathname}${request.url.search}`,
      headers: request.headers,
      body: request.body,
    });
    this.otlp = new OtlpSink({
      urls,
      signals: config.signals as readonly CloudWatchSignalName[],
      signalHeaders: logStream !== undefined ? { logs: { 'x-aws-log-group': config.logGroup!, 'x-aws-log-stream': logStream } } : {},
      protocol: options.sink.protocol,
      headers: {},
      compression: options.sink.compression,
      timeoutMs: options.sink.timeoutMs,
      resource: options.resource,
      counters: options.counters,
      sign,
      strictLimits: CLOUDWATCH_LIMITS,
      // The function's forwarded data is not cut record by record: its requests are halved until
      // they fit the same limits (a single resource that alone is over them goes whole).
      requestLimits: {
        traces: { maxItems: CLOUDWATCH_LIMITS.traces.maxItems, maxBodyBytes: CLOUDWATCH_LIMITS.traces.maxBytes },
        logs: { maxItems: CLOUDWATCH_LIMITS.logs.maxItems, maxBodyBytes: CLOUDWATCH_LIMITS.logs.maxBytes },
      },
      wrapTransport: (wire) => new AnswerReport(wire, signalOf, readPartialSuccess),
      retryPolicy: options.retryPolicy,
      clock: options.clock,
    });
  }

  /** Requests kept for retry. */
  get backlogSize(): number {
    return this.otlp.backlog.size;
  }

  export(items: readonly PipelineItem[], deadline: number, options?: ExportOptions): Promise<ExportOutcome> {
    return this.otlp.export(items, deadline, options);
  }

  shutdown(deadline: number): Promise<ExportOutcome> {
    return this.otlp.shutdown(deadline);
  }
}

/** `partialSuccess` of an `Export*ServiceResponse`, decoded by @opentelemetry/otlp-transformer. */
const readPartialSuccess: PartialSuccessReader = (signal, body, json) => {
  const serializer = signal === 'traces'
    ? (json ? JsonTraceSerializer : ProtobufTraceSerializer)
    : signal === 'metrics' ? (json ? JsonMetricsSerializer : ProtobufMetricsSerializer) : (json ? JsonLogsSerializer : ProtobufLogsSerializer);
  const response = serializer.deserializeResponse(body) as { partialSuccess?: Record<string, unknown> };
  const partial = response.partialSuccess;
  if (!partial) return undefined;
  const count = partial.rejectedSpans ?? partial.rejectedDataPoints ?? partial.rejectedLogRecords;
  const rejected = Number(typeof count === 'object' && count !== null ? String(count) : count ?? 0);
  return { rejected: Number.isFinite(rejected) ? rejected : 0, message: typeof partial.errorMessage === 'string' ? partial.errorMessage : undefined };
};
