/**
 * Test-only: the contract's environment of the cloudwatch sink (lib/config/contract.ts), for a
 * function wired by hand with the layer's own `environment` (until TelemetrySink.cloudWatch lands).
 */
import { ENV, type CloudWatchSignalName, type LogLevelName } from '../../../lib/config/contract';

export interface CloudWatchEnvOptions {
  readonly signals?: readonly CloudWatchSignalName[];
  readonly logGroup?: string;
  readonly logStreamPrefix?: string;
  readonly endpoint?: string;
  readonly minLogLevel?: LogLevelName;
}

export function cloudWatchEnvironment(options: CloudWatchEnvOptions): Record<string, string> {
  return {
    [ENV.SINK]: 'cloudwatch',
    ...(options.signals ? { [ENV.CLOUDWATCH_SIGNALS]: options.signals.join(',') } : {}),
    ...(options.logGroup !== undefined ? { [ENV.CLOUDWATCH_LOG_GROUP]: options.logGroup } : {}),
    ...(options.logStreamPrefix !== undefined ? { [ENV.CLOUDWATCH_LOG_STREAM_PREFIX]: options.logStreamPrefix } : {}),
    ...(options.endpoint !== undefined ? { [ENV.CLOUDWATCH_ENDPOINT]: options.endpoint } : {}),
    ...(options.minLogLevel !== undefined ? { [ENV.MIN_LOG_LEVEL]: options.minLogLevel } : {}),
  };
}
