import type {
  CompressionName,
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
  readonly compression: CompressionName;
  readonly timeoutMs: number;
  /** Explicit service name; the resource builder falls back to OTEL_SERVICE_NAME, then the function name. */
  readonly serviceName?: string;
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
  readonly buffering: BufferingConfig;
  readonly queue: QueueConfig;
  readonly flush: FlushConfig;
  readonly sink: SinkConfig;
}
