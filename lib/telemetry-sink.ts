import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import type { BindWarning, Environment, SinkBindContext, SinkBinding } from './bindings';
import { DEFAULTS, ENV, isSecretArn, LIMITS, SinkKind } from './config/contract';
import { durationMillis, numberString, validateHeaders, validateServiceName, validateUrl } from './config/validate';

/** The OTLP/HTTP wire format (the values of `OTEL_EXPORTER_OTLP_PROTOCOL`). */
export enum OtlpProtocol {
  /** Binary protobuf over HTTP, `application/x-protobuf`. */
  HTTP_PROTOBUF = 'http/protobuf',
  /** Protobuf JSON encoding over HTTP, `application/json`. */
  HTTP_JSON = 'http/json',
}

/** Compression of export request bodies. */
export enum ExportCompression {
  /** `Content-Encoding: gzip`. */
  GZIP = 'gzip',
  /** No compression. */
  NONE = 'none',
}

/** Options of `TelemetrySink.otlp()`. */
export interface OtlpSinkOptions {
  /**
   * The OTLP/HTTP base endpoint, as in `OTEL_EXPORTER_OTLP_ENDPOINT`: the extension appends
   * `/v1/traces`, `/v1/metrics` and `/v1/logs`. An `http://` or `https://` URL.
   */
  readonly endpoint: string;

  /**
   * The wire format.
   *
   * @default OtlpProtocol.HTTP_PROTOBUF
   */
  readonly protocol?: OtlpProtocol;

  /**
   * Non-secret headers sent with every export request. Header names that look like
   * credentials (authorization, api-key, token, secret, ...) are refused: use `headersSecret`.
   *
   * @default - no extra headers
   */
  readonly headers?: { [name: string]: string };

  /**
   * A Secrets Manager secret whose value is a JSON object of header name to value, e.g.
   * `{"authorization": "Bearer ..."}`. The extension reads it once at init; the function's role
   * is granted read access. The value never appears in the template, the environment or logs.
   *
   * @default - no secret headers
   */
  readonly headersSecret?: secretsmanager.ISecret;

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

/** Options of `TelemetrySink.http()`. */
export interface HttpSinkOptions {
  /** The URL the extension POSTs JSON batches of events to. An `http://` or `https://` URL. */
  readonly url: string;

  /**
   * Non-secret headers sent with every request. Header names that look like credentials are
   * refused: use `headersSecret`.
   *
   * @default - no extra headers
   */
  readonly headers?: { [name: string]: string };

  /**
   * A Secrets Manager secret whose value is a JSON object of header name to value. Read once
   * at init; the function's role is granted read access.
   *
   * @default - no secret headers
   */
  readonly headersSecret?: secretsmanager.ISecret;

  /**
   * Compression of request bodies.
   *
   * @default ExportCompression.GZIP
   */
  readonly compression?: ExportCompression;

  /**
   * The timeout of one request. Failed requests are retried with backoff.
   *
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
}

/**
 * Where the extension sends telemetry.
 */
export abstract class TelemetrySink {
  /**
   * OpenTelemetry OTLP/HTTP: platform events become traces and metrics, function and extension
   * logs become log records, following the OpenTelemetry FaaS semantic conventions.
   */
  public static otlp(options: OtlpSinkOptions): TelemetrySink {
    return new EndpointSink('otlp', 'sink endpoint', {
      endpoint: options.endpoint,
      headers: options.headers,
      headersSecret: options.headersSecret,
      compression: options.compression ?? (DEFAULTS.compression as ExportCompression),
      timeout: options.timeout,
    }, {
      protocol: options.protocol ?? (DEFAULTS.protocol as OtlpProtocol),
      serviceName: options.serviceName,
    });
  }

  /**
   * Plain HTTP: batches of the validated events, as JSON, with the resource attributes.
   */
  public static http(options: HttpSinkOptions): TelemetrySink {
    return new EndpointSink('http', 'sink url', {
      endpoint: options.url,
      headers: options.headers,
      headersSecret: options.headersSecret,
      compression: options.compression ?? (DEFAULTS.compression as ExportCompression),
      timeout: options.timeout,
    });
  }

  /**
   * One JSON line per event on the extension's stdout, which Lambda sends to CloudWatch Logs.
   * This is the default.
   */
  public static stdout(): TelemetrySink {
    return new StdoutSink();
  }

  /** @internal */
  public abstract _bind(scope: IConstruct, context: SinkBindContext): SinkBinding;
}

class StdoutSink extends TelemetrySink {
  /** @internal */
  public _bind(_scope: IConstruct, context: SinkBindContext): SinkBinding {
    const warnings: BindWarning[] = [];
    if (context.types.includes('function')) {
      warnings.push({
        id: 'cdk-telemetry-extension:stdoutDuplicatesFunctionLogs',
        message:
          'The stdout sink with TelemetryType.FUNCTION writes every function log line to CloudWatch Logs a second time. Use an OTLP or HTTP sink, or drop FUNCTION from types.',
      });
    }
    return { environment: { [ENV.SINK]: DEFAULTS.sink }, forwardsOtlp: false, warnings };
  }
}

/** What the OTLP and HTTP sinks share. */
interface EndpointSettings {
  readonly endpoint: string;
  readonly headers?: { [name: string]: string };
  readonly headersSecret?: secretsmanager.ISecret;
  readonly compression: ExportCompression;
  readonly timeout?: Duration;
}

/** What only OTLP has. */
interface OtlpSettings {
  readonly protocol: OtlpProtocol;
  readonly serviceName?: string;
}

class EndpointSink extends TelemetrySink {
  constructor(
    private readonly kind: SinkKind,
    private readonly endpointProp: string,
    private readonly settings: EndpointSettings,
    private readonly otlp?: OtlpSettings,
  ) {
    super();
  }

  /** @internal */
  public _bind(scope: IConstruct, _context: SinkBindContext): SinkBinding {
    const s = this.settings;
    validateUrl(this.endpointProp, s.endpoint);
    const environment: Environment = {
      [ENV.SINK]: this.kind,
      [ENV.SINK_ENDPOINT]: s.endpoint,
      [ENV.SINK_COMPRESSION]: s.compression,
    };
    if (this.otlp) environment[ENV.SINK_PROTOCOL] = this.otlp.protocol;
    if (s.headers && Object.keys(s.headers).length > 0) {
      validateHeaders('sink headers', s.headers);
      environment[ENV.SINK_HEADERS] = Stack.of(scope).toJsonString(s.headers);
    }
    if (s.headersSecret) {
      const arn = s.headersSecret.secretArn;
      if (!Token.isUnresolved(arn) && !isSecretArn(arn)) {
        throw new Error(
          `sink headersSecret must be a Secrets Manager secret with a complete ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>), got "${arn}" (\`headers_secret\` in Python)`,
        );
      }
      environment[ENV.SINK_HEADERS_SECRET_ARN] = arn;
    }
    const timeout = s.timeout
      ? durationMillis('sink timeout', s.timeout, LIMITS.sinkTimeoutMs) ?? s.timeout.toMilliseconds()
      : LIMITS.sinkTimeoutMs.default;
    environment[ENV.SINK_TIMEOUT_MS] = numberString(timeout);
    if (this.otlp?.serviceName !== undefined) {
      validateServiceName(this.otlp.serviceName);
      environment[ENV.SERVICE_NAME] = this.otlp.serviceName;
    }
    return { environment, headersSecret: s.headersSecret, forwardsOtlp: this.otlp !== undefined, warnings: [] };
  }
}
