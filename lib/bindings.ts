/**
 * What each variant class contributes when the construct binds it (the `_bind` pattern of
 * aws-cdk-lib): internal types, never part of the jsii API.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Environment entries the extension reads. */
export type Environment = { [key: string]: string };

/** A synth-time warning (Annotations `addWarningV2`). */
export interface BindWarning {
  readonly id: string;
  readonly message: string;
}

/** What the construct tells a sink when binding it. */
export interface SinkBindContext {
  /** The telemetry types the extension subscribes to. */
  readonly types: readonly string[];
}

/** What a sink contributes. */
export interface SinkBinding {
  readonly environment: Environment;
  /** A secret every attached function's role must be able to read. */
  readonly headersSecret?: secretsmanager.ISecret;
  /**
   * Does the sink send OpenTelemetry data (OTLP) on? Then the OTLP receiver for the function's
   * own telemetry is on by default.
   */
  readonly forwardsOtlp: boolean;
  readonly warnings: readonly BindWarning[];
}

/** What the construct tells a flush strategy when binding it. */
export interface FlushBindContext {
  /** The Telemetry API's buffering timeout, when set. */
  readonly bufferingTimeout?: Duration;
}

/** What a flush strategy contributes. */
export interface FlushBinding {
  readonly environment: Environment;
  /** Does the strategy hold an invocation's end until it has exported (billed time)? */
  readonly blocksInvocations: boolean;
  readonly warnings: readonly BindWarning[];
}

/** What the construct tells an OTLP receiver when binding it. */
export interface OtlpReceiverBindContext {
  /** The Telemetry API listener's port (a token when unresolved), which the receiver must not share. */
  readonly listenerPort: number;
}

/** What an OTLP receiver contributes. */
export interface OtlpReceiverBinding {
  /** What the extension reads (the receiver's port; empty when disabled). */
  readonly environment: Environment;
  /**
   * What the function's OpenTelemetry SDK reads to export to the receiver
   * (`OTEL_EXPORTER_OTLP_*`; empty when disabled). The function's own values win.
   */
  readonly sdkEnvironment: Environment;
}

/** A layer folder to publish, for one architecture or all. */
export interface LayerAsset {
  /** The LayerVersion's construct id. */
  readonly id: string;
  readonly dir: string;
  /** The architectures this asset serves: all of the layer's, or exactly one. */
  readonly architectures: readonly lambda.Architecture[];
  /** Appended to the layer's description. */
  readonly descriptionSuffix: string;
  /** Appended to `layerVersionName`. */
  readonly nameSuffix: string;
  /** An informational note for the synth output. */
  readonly note?: string;
}

/** What a Node.js source contributes. */
export interface NodeJsBinding {
  /** The key of the layer `architecture` uses: one for all architectures, or one each. */
  layerKey(architecture: lambda.Architecture): string;
  /** Builds (stages) the layer folder for `architecture`. */
  layerAsset(architecture: lambda.Architecture, architectures: readonly lambda.Architecture[]): LayerAsset;
  /** Why this Node.js cannot run the extension on `runtime`, or undefined. */
  runtimeIncompatibility(runtime: lambda.Runtime): string | undefined;
}
