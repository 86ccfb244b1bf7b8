import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ENV, LIMITS } from './contract';
import {
  durationMillis,
  sizeBytes,
  validateHeaders,
  validateIntInRange,
  validatePort,
  validateServiceName,
  validateUrl,
} from './validate';
import { TelemetryBuffering } from '../buffering';
import { FlushStrategy } from '../flush-strategy';
import { TelemetryQueueLimits } from '../queue-limits';
import type { TelemetryExtensionLayerProps } from '../telemetry-extension-layer';
import { TelemetrySink } from '../telemetry-sink';
import { TelemetryType } from '../telemetry-type';

/** The props that become the extension's configuration (the writer side of the contract). */
export type ExtensionSettings = Pick<TelemetryExtensionLayerProps, 'port' | 'types' | 'buffering' | 'queue' | 'sink' | 'flushStrategy'>;

/**
 * Validates the settings and returns the environment variables that configure the extension.
 * Defaults are written explicitly so that a template says what the extension will do.
 */
export function extensionEnvironment(scope: IConstruct, settings: ExtensionSettings): { [key: string]: string } {
  const port = settings.port ?? LIMITS.port.default;
  validatePort(port);

  const types = settings.types ?? [TelemetryType.PLATFORM];
  if (types.length === 0) {
    throw new Error('types must name at least one of platform, function, extension, got []');
  }
  const duplicate = types.find((t, i) => types.indexOf(t) !== i);
  if (duplicate !== undefined) {
    throw new Error(`types must not repeat a type, got ${JSON.stringify(types)} ("${duplicate}" twice)`);
  }

  const env: { [key: string]: string } = {
    [ENV.CONFIGURED]: '1',
    [ENV.PORT]: numberString(port),
    [ENV.TYPES]: types.join(','),
    ...bufferingEnvironment(settings.buffering ?? {}),
    ...queueEnvironment(settings.queue ?? {}),
    ...flushEnvironment(settings.flushStrategy ?? FlushStrategy.adaptive()),
    ...sinkEnvironment(scope, settings.sink ?? TelemetrySink.stdout()),
  };
  return env;
}

function bufferingEnvironment(buffering: TelemetryBuffering): { [key: string]: string } {
  const maxItems = buffering.maxItems ?? LIMITS.bufferingMaxItems.default;
  validateIntInRange('buffering.maxItems', maxItems, LIMITS.bufferingMaxItems);
  const maxBytes = buffering.maxBytes
    ? sizeBytes('buffering.maxBytes', buffering.maxBytes, LIMITS.bufferingMaxBytes) ?? buffering.maxBytes.toBytes()
    : LIMITS.bufferingMaxBytes.default;
  const timeoutMs = buffering.timeout
    ? durationMillis('buffering.timeout', buffering.timeout, LIMITS.bufferingTimeoutMs) ?? buffering.timeout.toMilliseconds()
    : LIMITS.bufferingTimeoutMs.default;
  return {
    [ENV.BUFFERING_MAX_ITEMS]: numberString(maxItems),
    [ENV.BUFFERING_MAX_BYTES]: numberString(maxBytes),
    [ENV.BUFFERING_TIMEOUT_MS]: numberString(timeoutMs),
  };
}

function queueEnvironment(queue: TelemetryQueueLimits): { [key: string]: string } {
  const maxItems = queue.maxItems ?? LIMITS.queueMaxItems.default;
  validateIntInRange('queue.maxItems', maxItems, LIMITS.queueMaxItems);
  const maxBytes = queue.maxBytes
    ? sizeBytes('queue.maxBytes', queue.maxBytes, LIMITS.queueMaxBytes) ?? queue.maxBytes.toBytes()
    : LIMITS.queueMaxBytes.default;
  return {
    [ENV.QUEUE_MAX_ITEMS]: numberString(maxItems),
    [ENV.QUEUE_MAX_BYTES]: numberString(maxBytes),
  };
}

function flushEnvironment(strategy: FlushStrategy): { [key: string]: string } {
  const env: { [key: string]: string } = { [ENV.FLUSH_STRATEGY]: strategy.name };
  if (strategy.interval) {
    const ms =
      durationMillis(`flushStrategy ${strategy.name} interval`, strategy.interval, LIMITS.flushIntervalMs) ??
      strategy.interval.toMilliseconds();
    env[ENV.FLUSH_INTERVAL_MS] = numberString(ms);
  }
  return env;
}

function sinkEnvironment(scope: IConstruct, sink: TelemetrySink): { [key: string]: string } {
  const s = sink._settings;
  const env: { [key: string]: string } = { [ENV.SINK]: sink.kind };
  if (sink.kind === 'stdout') return env;

  const endpointProp = sink.kind === 'otlp' ? 'sink endpoint' : 'sink url';
  validateUrl(endpointProp, s.endpoint ?? '');
  env[ENV.SINK_ENDPOINT] = s.endpoint!;
  if (s.protocol) env[ENV.SINK_PROTOCOL] = s.protocol;
  if (s.compression) env[ENV.SINK_COMPRESSION] = s.compression;
  if (s.headers && Object.keys(s.headers).length > 0) {
    validateHeaders('sink headers', s.headers);
    env[ENV.SINK_HEADERS] = Stack.of(scope).toJsonString(s.headers);
  }
  if (s.headersSecret) env[ENV.SINK_HEADERS_SECRET_ARN] = s.headersSecret.secretArn;
  const timeout = s.timeout
    ? durationMillis('sink timeout', s.timeout, LIMITS.sinkTimeoutMs) ?? s.timeout.toMilliseconds()
    : LIMITS.sinkTimeoutMs.default;
  env[ENV.SINK_TIMEOUT_MS] = numberString(timeout);
  if (s.serviceName !== undefined) {
    validateServiceName(s.serviceName);
    env[ENV.SERVICE_NAME] = s.serviceName;
  }
  return env;
}

/** A number as an environment value; tokens (deploy-time numbers) are kept as string tokens. */
function numberString(value: number): string {
  return Token.isUnresolved(value) ? Token.asString(value) : String(value);
}
