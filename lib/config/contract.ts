/**
 * The configuration contract between the construct (which writes it into a function's
 * environment) and the extension (which reads it at start-up).
 *
 * Defined once, here: variable names, value formats, defaults and allowed ranges. The construct
 * validates props against these limits at synth time; the extension validates the environment
 * against the same limits at init and reports anything wrong through `init/error`.
 *
 * This module must stay free of runtime dependencies: the compiled construct library imports it,
 * and esbuild bundles it into the extension.
 */

/** Prefix of every variable the extension reads. */
export const ENV_PREFIX = 'TELEMETRY_EXTENSION_';

/** Environment variable names. */
export const ENV = {
  /** Set to `1` by `attachTo`. Absent means "layer added by hand": run with defaults and say so. */
  CONFIGURED: 'TELEMETRY_EXTENSION_CONFIGURED',
  /** Listener port, decimal. */
  PORT: 'TELEMETRY_EXTENSION_PORT',
  /** Comma-separated telemetry types, e.g. `platform,function`. */
  TYPES: 'TELEMETRY_EXTENSION_TYPES',
  /** Telemetry API buffering: max events per batch, decimal. */
  BUFFERING_MAX_ITEMS: 'TELEMETRY_EXTENSION_BUFFERING_MAX_ITEMS',
  /** Telemetry API buffering: max bytes per batch, decimal. */
  BUFFERING_MAX_BYTES: 'TELEMETRY_EXTENSION_BUFFERING_MAX_BYTES',
  /** Telemetry API buffering: max milliseconds before a batch is sent, decimal. */
  BUFFERING_TIMEOUT_MS: 'TELEMETRY_EXTENSION_BUFFERING_TIMEOUT_MS',
  /** The extension's queue between listener and sink: max events, decimal. */
  QUEUE_MAX_ITEMS: 'TELEMETRY_EXTENSION_QUEUE_MAX_ITEMS',
  /** The extension's queue between listener and sink: max bytes (of received JSON), decimal. */
  QUEUE_MAX_BYTES: 'TELEMETRY_EXTENSION_QUEUE_MAX_BYTES',
  /** Flush strategy: one of {@link FLUSH_STRATEGIES}. */
  FLUSH_STRATEGY: 'TELEMETRY_EXTENSION_FLUSH_STRATEGY',
  /** Flush interval in milliseconds for `periodically` and `continuously`, decimal. */
  FLUSH_INTERVAL_MS: 'TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS',
  /** Sink kind: one of {@link SINK_KINDS}. */
  SINK: 'TELEMETRY_EXTENSION_SINK',
  /** OTLP: base endpoint (as `OTEL_EXPORTER_OTLP_ENDPOINT`); HTTP: the full URL. */
  SINK_ENDPOINT: 'TELEMETRY_EXTENSION_SINK_ENDPOINT',
  /** OTLP wire protocol: one of {@link OTLP_PROTOCOLS}. */
  SINK_PROTOCOL: 'TELEMETRY_EXTENSION_SINK_PROTOCOL',
  /** Plain (non-secret) headers as a JSON object of strings. */
  SINK_HEADERS: 'TELEMETRY_EXTENSION_SINK_HEADERS',
  /**
   * ARN of a Secrets Manager secret whose SecretString is a JSON object of header name to value.
   * The extension reads it once at init; the value never appears in the environment.
   */
  SINK_HEADERS_SECRET_ARN: 'TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN',
  /** Body compression: one of {@link COMPRESSIONS}. */
  SINK_COMPRESSION: 'TELEMETRY_EXTENSION_SINK_COMPRESSION',
  /** Timeout of one export request in milliseconds, decimal. */
  SINK_TIMEOUT_MS: 'TELEMETRY_EXTENSION_SINK_TIMEOUT_MS',
  /** `service.name` resource attribute; `OTEL_SERVICE_NAME` and the function name are fallbacks. */
  SERVICE_NAME: 'TELEMETRY_EXTENSION_SERVICE_NAME',
  /** Set to `1` (by hand, never by `attachTo`) for the extension's debug log lines. */
  DEBUG: 'TELEMETRY_EXTENSION_DEBUG',
  /**
   * Port of the OTLP/HTTP receiver for the function's own telemetry (127.0.0.1), decimal.
   * Absent: no receiver. Same range as the listener port, and never equal to it.
   */
  OTLP_RECEIVER_PORT: 'TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT',
  /**
   * Name or ARN of an SSM Parameter Store `SecureString` whose value is a JSON object of header
   * name to value (like the headers secret). Read once at init, decrypted; never logged.
   */
  SINK_HEADERS_PARAMETER: 'TELEMETRY_EXTENSION_SINK_HEADERS_PARAMETER',
  /** CloudWatch sink: comma-separated signals, a subset of {@link CLOUDWATCH_SIGNALS}. */
  CLOUDWATCH_SIGNALS: 'TELEMETRY_EXTENSION_CLOUDWATCH_SIGNALS',
  /** CloudWatch sink: the log group OTLP logs are written to (`x-aws-log-group`). */
  CLOUDWATCH_LOG_GROUP: 'TELEMETRY_EXTENSION_CLOUDWATCH_LOG_GROUP',
  /**
   * CloudWatch sink: prefix of the log stream each execution environment creates at init
   * (`<prefix><yyyy/mm/dd>/<random id>`, like Lambda's own streams).
   */
  CLOUDWATCH_LOG_STREAM_PREFIX: 'TELEMETRY_EXTENSION_CLOUDWATCH_LOG_STREAM_PREFIX',
  /**
   * CloudWatch sink: a base URL every signal goes to instead of the regional endpoints
   * (`<base>/v1/traces`, ...); signing region and service names stay those of the signal.
   */
  CLOUDWATCH_ENDPOINT: 'TELEMETRY_EXTENSION_CLOUDWATCH_ENDPOINT',
  /**
   * Lowest severity of `function` / `extension` log records that are exported, one of
   * {@link LOG_LEVELS}; lower ones are counted as filtered. Absent: every record.
   */
  MIN_LOG_LEVEL: 'TELEMETRY_EXTENSION_MIN_LOG_LEVEL',
} as const;

/** Telemetry API event types a subscription may name. */
export const TELEMETRY_TYPES = ['platform', 'function', 'extension'] as const;
export type TelemetryTypeName = (typeof TELEMETRY_TYPES)[number];

export const FLUSH_STRATEGIES = ['adaptive', 'end-of-invocation', 'periodically', 'continuously'] as const;
export type FlushStrategyName = (typeof FLUSH_STRATEGIES)[number];

export const SINK_KINDS = ['otlp', 'http', 'stdout', 'cloudwatch'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

/** Values as in `OTEL_EXPORTER_OTLP_PROTOCOL`. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocolName = (typeof OTLP_PROTOCOLS)[number];

export const COMPRESSIONS = ['gzip', 'none'] as const;

/** Signals the CloudWatch sink can send to AWS's OTLP endpoints. */
export const CLOUDWATCH_SIGNALS = ['traces', 'logs', 'metrics'] as const;
export type CloudWatchSignalName = (typeof CLOUDWATCH_SIGNALS)[number];

/** Log levels, lowest first (OpenTelemetry severity ranges; Lambda's own level names). */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export type CompressionName = (typeof COMPRESSIONS)[number];

/** An inclusive integer range with a default. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** Allowed ranges and defaults. */
export const LIMITS = {
  /** Listener port. 9001 is the Runtime API's port in Lambda and is refused by the Telemetry API. */
  port: { min: 1024, max: 65535, default: 4243 } as IntRange,
  reservedPorts: [9001] as readonly number[],
  /** Telemetry API buffering limits (AWS's documented ranges). */
  bufferingMaxItems: { min: 1000, max: 10000, default: 1000 } as IntRange,
  bufferingMaxBytes: { min: 262144, max: 1048576, default: 262144 } as IntRange,
  bufferingTimeoutMs: { min: 25, max: 30000, default: 25 } as IntRange,
  /**
   * The queue between listener and sink. Defaults: two of the largest deliveries the Telemetry API
   * can make (2 x 10,000 events; 4 MiB of JSON), small enough for a 128 MB function. When it is
   * full the listener answers 503 and Lambda keeps the events and resends them.
   */
  queueMaxItems: { min: 1, max: 1_000_000, default: 20_000 } as IntRange,
  queueMaxBytes: { min: 1024, max: 512 * 1024 * 1024, default: 4 * 1024 * 1024 } as IntRange,
  /** Flush interval for `periodically` / `continuously`. */
  flushIntervalMs: { min: 1, max: 15 * 60 * 1000, default: 1000 } as IntRange,
  /** One export request. */
  sinkTimeoutMs: { min: 1, max: 60000, default: 5000 } as IntRange,
  /**
   * The OTLP receiver's port: the OpenTelemetry SDKs' default OTLP/HTTP port. Same bounds as the
   * listener's; never equal to the listener's port.
   */
  otlpReceiverPort: { min: 1024, max: 65535, default: 4318 } as IntRange,
} as const;

/** Defaults of the values that are not integer ranges (those are in {@link LIMITS}). */
export const DEFAULTS = {
  types: ['platform'] as readonly TelemetryTypeName[],
  flushStrategy: 'adaptive' as FlushStrategyName,
  sink: 'stdout' as SinkKind,
  protocol: 'http/protobuf' as OtlpProtocolName,
  compression: 'gzip' as CompressionName,
} as const;

/**
 * Header names that look like credentials. Such headers must come from `headersSecret`, never
 * from plaintext configuration (they would sit in the function's environment and template).
 */
export const CREDENTIAL_HEADER_PATTERN = /(authori[sz]ation|api[-_]?key|token|secret|password|passwd|credential|cookie|signature|session)/i;

/** RFC 9110 token: what an HTTP header name may contain. */
export const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Is `name` a valid HTTP header name? */
export function isHeaderName(name: string): boolean {
  return HEADER_NAME_PATTERN.test(name);
}

/** Does the header name look like a credential (which must come from the headers secret)? */
export function isCredentialHeaderName(name: string): boolean {
  return CREDENTIAL_HEADER_PATTERN.test(name);
}

/** What a header value may not contain (it would split or end the request head). */
export const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

/** What is wrong with `text` as an export endpoint, or undefined when it is fine. */
export type UrlProblem = 'not-http-url' | 'credentials';

/**
 * Checks an export endpoint: an absolute `http://` or `https://` URL with a host and no
 * `user:password@` (credentials belong in the headers secret, never in the environment).
 */
export function httpUrlProblem(text: string): UrlProblem | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not-http-url';
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return 'not-http-url';
  if (url.username !== '' || url.password !== '') return 'credentials';
  return undefined;
}

/** Hides `user:password@` in a URL-like text before it goes into a message. */
export function redactUserInfo(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

/** A Secrets Manager secret ARN (partition, region, 12-digit account, secret name with its suffix). */
export const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Is `text` a Secrets Manager secret ARN? */
export function isSecretArn(text: string): boolean {
  return SECRET_ARN_PATTERN.test(text);
}

/** Is `value` an integer within `range`? */
export function inRange(value: number, range: IntRange): boolean {
  return Number.isInteger(value) && value >= range.min && value <= range.max;
}

/** The name of the extension: the launcher's file name in `/opt/extensions`. */
export const EXTENSION_NAME = 'telemetry-extension';
