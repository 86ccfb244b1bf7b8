/**
 * Init: read the configuration, register, create the sink, start the listener and (when
 * `TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT` is set) the OTLP receiver of the function's own
 * telemetry, subscribe, choose the flush strategy. Every failure after `register` is reported
 * with `init/error`.
 *
 * Nothing slow runs before `register` (reading the environment only), so Lambda can start the
 * runtime as early as possible.
 */
import { ERROR_TYPES, errorMessage } from './errors';
import { DEFAULT_TIMING, type Timing } from './timing';
import { ConfigError, readConfig } from '../config/read-config';
import type { ExtensionConfig, SinkConfig } from '../config/types';
import { effectiveStrategy } from '../flush/effective-strategy';
import { createFlushStrategy, type FlushStrategy } from '../flush/strategy';
import { ExtensionsApiClient, registrationEvents, type Registration } from '../lambda/extensions-api';
import { subscribe, telemetrySchemaVersion, type SubscribeResult } from '../lambda/telemetry-api';
import { resolveListenAddress, startListener, type Lookup, type RunningListener } from '../listener/server';
import { log, RateLimitedLog } from '../log';
import { ExportLoop } from '../pipeline/export-loop';
import { acceptFunctionTelemetry, countRefusedOnly } from '../pipeline/function-source';
import { Ingest } from '../pipeline/ingest';
import { InvocationTracker } from '../pipeline/invocation-tracker';
import type { PipelineItem } from '../pipeline/items';
import { telemetryApiSource } from '../pipeline/telemetry-api-source';
import { BoundedQueue } from '../queue/bounded-queue';
import type { RunningReceiver } from '../receiver/server';
import { createSink as defaultCreateSink, type SinkContext } from '../sinks/create-sink';
import type { Sink } from '../sinks/sink';
import { Counters } from '../stats/counters';

export type CreateSink = (config: SinkConfig, context: SinkContext) => Promise<Sink>;

export interface RunDeps {
  /** Default: ../sinks/create-sink. */
  readonly createSink?: CreateSink;
  /** Bind the listener here instead of resolving sandbox.localdomain (tests: 127.0.0.1). */
  readonly listenAddress?: string;
  /** Listen on this port instead of the configured one (tests: 0, a random port). */
  readonly listenPort?: number;
  /** Start the OTLP receiver on this port instead of the configured one, when one is configured (tests: 0). */
  readonly receiverPort?: number;
  readonly lookup?: Lookup;
  readonly now?: () => number;
  readonly timing?: Partial<Timing>;
}

/** Everything the `next` loop works with, once init succeeded. */
export interface RunningExtension {
  readonly api: ExtensionsApiClient;
  readonly sink: Sink;
  /** The one queue: the Telemetry API's events and the function's OTLP items. */
  readonly queue: BoundedQueue<PipelineItem>;
  readonly tracker: InvocationTracker;
  readonly loop: ExportLoop;
  readonly counters: Counters;
  readonly listener: RunningListener;
  /** The OTLP receiver of the function's own telemetry, when configured. */
  readonly receiver?: RunningReceiver;
  readonly strategy: FlushStrategy;
  readonly timing: Timing;
  readonly now: () => number;
  readonly subscribed: boolean;
  /** Registered for INVOKE (not on managed instances, where Lambda refuses it). */
  readonly invokeEvents: boolean;
  /** Subscribed to `platform` events (the init and invocation reports). */
  readonly platformEvents: boolean;
  /** The subscription's buffering timeout: Lambda may hold an event this long before sending it. */
  readonly bufferingTimeoutMs: number;
}

/** Init, up to a running listener and subscription; or the exit status when init failed. */
export async function initialize(env: NodeJS.ProcessEnv, deps: RunDeps = {}): Promise<RunningExtension | number> {
  const timing: Timing = { ...DEFAULT_TIMING, ...deps.timing };
  const now = deps.now ?? Date.now;

  const runtimeApi = env.AWS_LAMBDA_RUNTIME_API;
  if (!runtimeApi) {
    log.error('AWS_LAMBDA_RUNTIME_API is not set: not running as a Lambda extension');
    return 1;
  }

  // Read the environment before registering (cheap); report a bad value once registered.
  let config: ExtensionConfig | undefined;
  let configError: ConfigError | undefined;
  try {
    config = readConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error;
  }

  // Look the listener's address up while registering (the lookup never rejects; it falls back).
  const listenAddress = deps.listenAddress !== undefined ? Promise.resolve(deps.listenAddress) : resolveListenAddress(deps.lookup);

  const api = new ExtensionsApiClient({ runtimeApi });
  const events = registrationEvents(env);
  let registration: Registration;
  try {
    registration = await api.register(events);
  } catch (error) {
    log.error('cannot register with the Extensions API', { error: errorMessage(error) });
    return 1;
  }

  const initFailed = async (errorType: string, message: string, cleanup?: () => Promise<void>): Promise<number> => {
    log.error(`init failed: ${message}`, { errorType });
    await cleanup?.().catch(() => undefined);
    await api.initError(errorType, message).catch((error: unknown) => {
      log.error('cannot report the init error', { error: errorMessage(error) });
    });
    return 1;
  };

  if (configError || !config) {
    return initFailed(ERROR_TYPES.configInvalid, configError?.message ?? 'no configuration');
  }
  if (!config.configured) {
    log.info('TELEMETRY_EXTENSION_CONFIGURED is not set (layer added without attachTo): running with defaults', {
      sink: config.sink.kind,
      types: config.types.join(','),
    });
  }

  const counters = new Counters();
  const warnings = new RateLimitedLog(5, 60_000);
  const queue = new BoundedQueue<PipelineItem>(config.queue);
  const tracker = new InvocationTracker(queue);
  const ingest = new Ingest<PipelineItem>({ queue, counters, warnings });

  let sink: Sink;
  try {
    sink = await (deps.createSink ?? defaultCreateSink)(config.sink, {
      counters,
      env,
      functionName: registration.functionName ?? env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: registration.functionVersion ?? env.AWS_LAMBDA_FUNCTION_VERSION,
    });
  } catch (error) {
    // SinkInitError carries its own errorType (Extension.ConfigInvalid, Extension.SecretUnavailable).
    const errorType = (error as { errorType?: unknown }).errorType;
    return initFailed(typeof errorType === 'string' ? errorType : ERROR_TYPES.sinkFailed, `cannot create the ${config.sink.kind} sink: ${errorMessage(error)}`);
  }

  let listener: RunningListener;
  try {
    // Koa, the router and the event schemas load only now, after register: Lambda starts the
    // runtime once every extension has registered, so nothing heavy runs before it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bodyLimitFor, createListenerApp } = require('../listener/app') as typeof import('../listener/app');
    const source = telemetryApiSource({ minLogLevel: config.minLogLevel });
    const app = createListenerApp({ ingest, maxBodyBytes: bodyLimitFor(config.buffering), warnings, now, source });
    listener = await startListener(app, deps.listenPort ?? config.port, { address: await listenAddress });
  } catch (error) {
    return initFailed(ERROR_TYPES.listenerFailed, errorMessage(error));
  }

  let receiver: RunningReceiver | undefined;
  if (config.receiverPort !== undefined) {
    try {
      // The receiver loads after register too (protobufjs only at its first request).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createReceiverApp, startReceiver } = require('../receiver') as typeof import('../receiver');
      // Its own rate limit: a misbehaving SDK must not silence the listener's warnings.
      const app = createReceiverApp({
        accept: acceptFunctionTelemetry(ingest),
        refusedOnly: countRefusedOnly(ingest),
        warnings: new RateLimitedLog(5, 60_000),
        now,
      });
      receiver = await startReceiver(app, deps.receiverPort ?? config.receiverPort);
    } catch (error) {
      return initFailed(ERROR_TYPES.listenerFailed, errorMessage(error), () => listener.close());
    }
  }
  const closeListeners = async () => {
    await Promise.all([listener.close(), receiver?.close()]);
  };

  let subscription: SubscribeResult;
  try {
    subscription = await subscribe({
      runtimeApi,
      extensionId: registration.extensionId,
      schemaVersion: telemetrySchemaVersion(env),
      types: config.types,
      buffering: config.buffering,
      port: listener.port,
    });
  } catch (error) {
    return initFailed(ERROR_TYPES.subscribeFailed, errorMessage(error), closeListeners);
  }

  const chosen = effectiveStrategy(config, env);
  if (chosen.why) log.warn(`flush strategy ${config.flush.strategy} cannot work here (${chosen.why}): using ${chosen.name}`);
  const strategy = createFlushStrategy(chosen.name, {
    intervalMs: config.flush.intervalMs,
    deadlineMarginMs: timing.invokeMarginMs,
    flushReserveMs: timing.invokeFlushReserveMs,
    maxBlockingFlushMs: timing.maxBlockingFlushMs,
  });
  // Its own rate limit: a burst of invalid input must not silence the report of dropped events.
  const loop = new ExportLoop({ queue, sink, counters, warnings: new RateLimitedLog(5, 60_000), now });
  log.info('started', {
    sink: sink.name,
    strategy: strategy.name,
    port: listener.port,
    ...(receiver ? { otlpReceiverPort: receiver.port } : {}),
    types: config.types.join(','),
    subscription,
    ...(config.minLogLevel ? { minLogLevel: config.minLogLevel } : {}),
  });
  return {
    api,
    sink,
    queue,
    tracker,
    loop,
    counters,
    listener,
    ...(receiver ? { receiver } : {}),
    strategy,
    timing,
    now,
    subscribed: subscription === 'subscribed',
    invokeEvents: events.includes('INVOKE'),
    platformEvents: subscription === 'subscribed' && config.types.includes('platform'),
    bufferingTimeoutMs: config.buffering.timeoutMs,
  };
}
