/**
 * What each variant class contributes when the construct binds it (the `_bind` pattern of
 * aws-cdk-lib): internal types, never part of the jsii API.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
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

/** One `Allow` statement every attached function's role gets. */
export interface SinkGrant {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** What a sink contributes. */
export interface SinkBinding {
  readonly environment: Environment;
  /** A secret every attached function's role must be able to read. */
  readonly headersSecret?: secretsmanager.ISecret;
  /** Further statements every attached function's role gets (least privilege, one per need). */
  readonly grants?: readonly SinkGrant[];
  /** The log group the sink writes OTLP log records to (the CloudWatch sink with logs). */
  readonly otlpLogGroup?: logs.ILogGroup;
  /** Does the sink write into the function's own log group (stdout)? */
  readonly writesToFunctionLogGroup?: boolean;
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
