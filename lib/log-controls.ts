/**
 * The layer's two log props, `minLogLevel` and `cloudWatchLogsIngestion`: checked once when the
 * layer is built (`bindLogControls`), applied to each function it is attached to
 * (`applyLogControls`).
 */
import { IConstruct } from 'constructs';
import type { Environment, SinkBinding } from './bindings';
import { checkLogsIngestion, CloudWatchLogsIngestion, stopLogsIngestion } from './cloudwatch/logs-ingestion';
import { DEFAULTS } from './config/contract';
import { checkApplicationLogLevel, LogLevel, minLogLevelEnvironment } from './log-level';
import type { AttachableFunction } from './runtime-compatibility';

/** The log props as the layer holds them. */
export interface LogControlProps {
  readonly types?: readonly string[];
  readonly minLogLevel?: LogLevel;
  readonly cloudWatchLogsIngestion?: CloudWatchLogsIngestion;
}

/** The log controls of a layer, checked. */
export interface LogControls {
  /** Entries for the layer's `environment`. */
  readonly environment: Environment;
  readonly minLogLevel?: LogLevel;
  readonly stopIngestion: boolean;
  readonly sink: SinkBinding;
}

/** Validates the log props against the rest of the layer (warnings go on `scope`). */
export function bindLogControls(scope: IConstruct, props: LogControlProps, sink: SinkBinding): LogControls {
  const environment = minLogLevelEnvironment(props.minLogLevel);
  checkLogsIngestion(scope, props.cloudWatchLogsIngestion, props.types ?? DEFAULTS.types, sink);
  return {
    environment,
    minLogLevel: props.minLogLevel,
    stopIngestion: props.cloudWatchLogsIngestion === CloudWatchLogsIngestion.STOP,
    sink,
  };
}

/** What attaching the layer does to `fn` for the log props. */
export function applyLogControls(fn: AttachableFunction, controls: LogControls): void {
  checkApplicationLogLevel(fn, controls.minLogLevel);
  if (controls.stopIngestion) stopLogsIngestion(fn, controls.sink);
}
