import { ENV, DEFAULTS, LIMITS } from './contract';
import { numberString, sizeBytes, durationMillis, validateIntInRange, validatePort } from './validate';
import type { Environment } from '../bindings';
import { TelemetryBuffering } from '../buffering';
import { TelemetryQueueLimits } from '../queue-limits';
import { TelemetryType } from '../telemetry-type';

/** The props that configure the listener, the subscription and the queue (sink and flush strategy bind themselves). */
export interface ListenerSettings {
  readonly port?: number;
  readonly types?: TelemetryType[];
  readonly buffering?: TelemetryBuffering;
  readonly queue?: TelemetryQueueLimits;
}

/**
 * Validates the settings and returns the environment variables of the listener, the Telemetry
 * API subscription and the queue. Defaults (from the contract's LIMITS and DEFAULTS) are written
 * explicitly so that a template says what the extension will do.
 */
export function listenerEnvironment(settings: ListenerSettings): Environment {
  const port = settings.port ?? LIMITS.port.default;
  validatePort(port);

  const types: readonly string[] = settings.types ?? DEFAULTS.types;
  if (types.length === 0) {
    throw new Error('types must name at least one of platform, function, extension, got []');
  }
  const duplicate = types.find((t, i) => types.indexOf(t) !== i);
  if (duplicate !== undefined) {
    throw new Error(`types must not repeat a type, got ${JSON.stringify(types)} ("${duplicate}" twice)`);
  }

  return {
    [ENV.CONFIGURED]: '1',
    [ENV.PORT]: numberString(port),
    [ENV.TYPES]: types.join(','),
    ...bufferingEnvironment(settings.buffering ?? {}),
    ...queueEnvironment(settings.queue ?? {}),
  };
}

function bufferingEnvironment(buffering: TelemetryBuffering): Environment {
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

function queueEnvironment(queue: TelemetryQueueLimits): Environment {
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

