import { Duration } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CompressionName, OtlpProtocolName, SinkKind } from './config/contract';

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

/** Options of {@link TelemetrySink.otlp}. */
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

/** Options of {@link TelemetrySink.http}. */
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
    return new ConfiguredSink('otlp', {
      endpoint: options.endpoint,
      protocol: options.protocol ?? OtlpProtocol.HTTP_PROTOBUF,
      headers: options.headers,
      headersSecret: options.headersSecret,
      compression: options.compression ?? ExportCompression.GZIP,
      timeout: options.timeout,
      serviceName: options.serviceName,
    });
  }

  /**
   * Plain HTTP: batches of the validated events, as JSON, with the resource attributes.
   */
  public static http(options: HttpSinkOptions): TelemetrySink {
    return new ConfiguredSink('http', {
      endpoint: options.url,
      headers: options.headers,
      headersSecret: options.headersSecret,
      compression: options.compression ?? ExportCompression.GZIP,
      timeout: options.timeout,
    });
  }

  /**
   * One JSON line per event on the extension's stdout, which Lambda sends to CloudWatch Logs.
   * This is the default.
   */
  public static stdout(): TelemetrySink {
    return new ConfiguredSink('stdout', {});
  }

  /** The sink's kind: `otlp`, `http` or `stdout`. */
  public abstract readonly kind: string;

  /** The secret that holds header values, if any. */
  public abstract readonly headersSecret?: secretsmanager.ISecret;

  /** @internal */
  public abstract readonly _settings: SinkSettings;
}

/** @internal */
export interface SinkSettings {
  readonly endpoint?: string;
  readonly protocol?: OtlpProtocolName;
  readonly headers?: { [name: string]: string };
  readonly headersSecret?: secretsmanager.ISecret;
  readonly compression?: CompressionName;
  readonly timeout?: Duration;
  readonly serviceName?: string;
}

class ConfiguredSink extends TelemetrySink {
  public readonly headersSecret?: secretsmanager.ISecret;

  constructor(public readonly kind: SinkKind, public readonly _settings: SinkSettings) {
    super();
    this.headersSecret = _settings.headersSecret;
  }
}
