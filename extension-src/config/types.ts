import type {
  CloudWatchSignalName,
  CompressionName,
  LogLevelName,
  FlushStrategyName,
  OtlpProtocolName,
  SinkKind,
  TelemetryTypeName,
} from '../../lib/config/contract';

/** Where exported telemetry goes, as read from the environment (see lib/config/contract.ts). */
export interface SinkConfig {
  readonly kind: SinkKind;
  /** OTLP: base endpoint, signal paths are appended. HTTP: the full URL. Absent for stdout. */
  readonly endpoint?: string;
  readonly protocol: OtlpProtocolName;
  /** Plain headers from the environment. */
  readonly headers: Readonly<Record<string, string>>;
  /** Secrets Manager ARN of a JSON object of extra (credential) headers, read once at init. */
  readonly headersSecretArn?: string;
  /** SSM Parameter Store `SecureString` (name or ARN) holding the same JSON object, read once at init. */
  readonly headersParameter?: string;
  /** The CloudWatch sink's settings; present exactly when `kind` is `cloudwatch`. */
  readonly cloudWatch?: CloudWatchConfig;
  readonly compression: CompressionName;
  readonly timeoutMs: number;
  /** Explicit service name; the resource builder falls back to OTEL_SERVICE_NAME, then the function name. */
  readonly serviceName?: string;
}

/** The CloudWatch sink: AWS's OTLP endpoints of `AWS_REGION`, SigV4 with the function's credentials. */
export interface CloudWatchConfig {
  /** Signals sent, in {@link CLOUDWATCH_SIGNALS} order, no duplicates, at least one. */
  readonly signals: readonly CloudWatchSignalName[];
  /** The log group OTLP logs go to (`x-aws-log-group`); set whenever `signals` has `logs`. */
  readonly logGroup?: string;
  /** Prefix of the log stream created at init; '' when unset. */
  readonly logStreamPrefix: string;
  /** Base URL replacing every regional endpoint (signing region and names unchanged). */
  readonly endpoint?: string;
}

export interface BufferingConfig {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface QueueConfig {
  readonly maxItems: number;
  readonly maxBytes: number;
}

export interface FlushConfig {
  readonly strategy: FlushStrategyName;
  /** For `periodically` and `continuously`. */
  readonly intervalMs: number;
}

/** The extension's whole configuration, validated. */
export interface ExtensionConfig {
  /** False when no `TELEMETRY_EXTENSION_CONFIGURED` was set: the layer was added by hand. */
  readonly configured: boolean;
  readonly port: number;
  /** Port of the OTLP receiver for the function's own telemetry on 127.0.0.1; absent: no receiver. */
  readonly receiverPort?: number;
  readonly types: readonly TelemetryTypeName[];
  /** Lowest level of `function` / `extension` records kept; lower ones are counted as filtered. Absent: all. */
  readonly minLogLevel?: LogLevelName;
  readonly buffering: BufferingConfig;
  readonly queue: QueueConfig;
  readonly flush: FlushConfig;
  readonly sink: SinkConfig;
}
