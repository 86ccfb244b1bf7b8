/**
 * The extension's lifecycle: init (config, register, sink, listener, subscribe), the `next` loop
 * (INVOKE: apply the flush strategy; SHUTDOWN: drain and exit) and its error paths.
 *
 * Exit status: 0 after a SHUTDOWN; 1 after an init error (reported with `init/error` when the
 * extension could register), or a fatal error later (reported with `exit/error`).
 *
 * Nothing happens at import time; nothing slow runs before `register` (reading the environment
 * only), so Lambda can start the runtime as early as possible.
 */
import { ConfigError, readConfig } from './config/read-config';
import type { ExtensionConfig, SinkConfig } from './config/types';
import { FlushTimer } from './flush/flush-timer';
import { blockingFlushDeadline, createFlushStrategy, type FlushStrategy } from './flush/strategy';
import {
  ExtensionsApiClient,
  isManagedInstances,
  registrationEvents,
  type InvokeEvent,
  type Registration,
  type ShutdownEvent,
} from './lambda/extensions-api';
import { subscribe, telemetrySchemaVersion, type SubscribeResult } from './lambda/telemetry-api';
import { resolveListenAddress, startListener, type Lookup, type RunningListener } from './listener/server';
import { log, RateLimitedLog } from './log';
import { ExportLoop } from './pipeline/export-loop';
import { InvocationTracker } from './pipeline/invocation-tracker';
import { BoundedQueue } from './queue/bounded-queue';
import { createSink as defaultCreateSink, type SinkContext } from './sinks/create-sink';
import type { Sink } from './sinks/sink';
import { Counters } from './stats/counters';
import type { ParsedEvent } from './telemetry/schemas';
import type { FlushStrategyName } from '../lib/config/contract';

export type CreateSink = (config: SinkConfig, context: SinkContext) => Promise<Sink>;

/** Time budgets, in ms. */
export interface Timing {
  /** Blocking work ends this long before an invocation's deadline. */
  readonly invokeMarginMs: number;
  /** Waiting for a late runtimeDone ends this long before that, to flush what arrived. */
  readonly invokeFlushReserveMs: number;
  /** New export attempts of a blocking (end-of-invocation) flush start within this long. */
  readonly maxBlockingFlushMs: number;
  /** After that, wait at most this long for the attempt in flight before calling `next`. */
  readonly blockingFlushGraceMs: number;
  /** Everything of SHUTDOWN ends this long before its `deadlineMs` (SIGKILL follows). */
  readonly shutdownMarginMs: number;
  /** The sink's shutdown must end this long before that, so that what it gives up on is counted before the summary. */
  readonly sinkSettleMs: number;
  /** Longest wait at SHUTDOWN for the last invocation's `platform.report`, on top of the buffering timeout. */
  readonly finalReportWaitMs: number;
}

export const DEFAULT_TIMING: Timing = {
  invokeMarginMs: 250,
  invokeFlushReserveMs: 250,
  maxBlockingFlushMs: 2_000,
  blockingFlushGraceMs: 1_000,
  shutdownMarginMs: 150,
  sinkSettleMs: 50,
  finalReportWaitMs: 500,
};

export interface RunDeps {
  /** Default: ./sinks/create-sink. */
  readonly createSink?: CreateSink;
  /** Bind the listener here instead of resolving sandbox.localdomain (tests: 127.0.0.1). */
  readonly listenAddress?: string;
  /** Listen on this port instead of the configured one (tests: 0, a random port). */
  readonly listenPort?: number;
  readonly lookup?: Lookup;
  readonly now?: () => number;
  readonly timing?: Partial<Timing>;
}

/** errorType values reported through init/error and exit/error. */
export const ERROR_TYPES = {
  configInvalid: 'Extension.ConfigInvalid',
  sinkFailed: 'Extension.SinkFailed',
  listenerFailed: 'Extension.ListenerFailed',
  subscribeFailed: 'Extension.SubscribeFailed',
  fatal: 'Extension.Fatal',
} as const;

/** Resolves after `ms` (or at once if not positive) unless cancelled; never keeps the process alive. */
function deadlineSignal(ms: number): { signal: AbortSignal; cancel: () => void } {
  const controller = new AbortController();
  if (ms <= 0) {
    controller.abort();
    return { signal: controller.signal, cancel: () => undefined };
  }
  const timer = setTimeout(() => controller.abort(), ms);
  timer.unref();
  return { signal: controller.signal, cancel: () => clearTimeout(timer) };
}

/** `promise`, or undefined once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  const { signal, cancel } = deadlineSignal(ms);
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        if (signal.aborted) resolve(undefined);
        signal.addEventListener('abort', () => resolve(undefined), { once: true });
      }),
    ]);
  } finally {
    cancel();
  }
}

/**
 * The strategy that can work here. Without INVOKE events (managed instances) or without
 * `platform` events (no `runtimeDone` to wait for), only a timer can drive flushes.
 */
function effectiveStrategy(config: ExtensionConfig, env: NodeJS.ProcessEnv): { name: FlushStrategyName; why?: string } {
  const wanted = config.flush.strategy;
  if (isManagedInstances(env) && wanted !== 'continuously') {
    return { name: 'continuously', why: 'managed instances send no INVOKE events' };
  }
  if (!config.types.includes('platform') && (wanted === 'end-of-invocation' || wanted === 'adaptive')) {
    return { name: 'continuously', why: 'without platform events there is no platform.runtimeDone to wait for' };
  }
  return { name: wanted };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Run the extension until SHUTDOWN or a fatal error. Resolves with the process exit status. */
export async function run(env: NodeJS.ProcessEnv, deps: RunDeps = {}): Promise<number> {
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
  let registration: Registration;
  try {
    registration = await api.register(registrationEvents(env));
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
  const queue = new BoundedQueue<ParsedEvent>(config.queue);
  const tracker = new InvocationTracker(queue);

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
    const { bodyLimitFor, createListenerApp } = require('./listener/app') as typeof import('./listener/app');
    const app = createListenerApp({ queue, counters, maxBodyBytes: bodyLimitFor(config.buffering), warnings, now });
    listener = await startListener(app, deps.listenPort ?? config.port, { address: await listenAddress });
  } catch (error) {
    return initFailed(ERROR_TYPES.listenerFailed, errorMessage(error));
  }

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
    return initFailed(ERROR_TYPES.subscribeFailed, errorMessage(error), () => listener.close());
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
  const lifecycle = new Lifecycle({
    api,
    sink,
    queue,
    tracker,
    loop,
    counters,
    listener,
    strategy,
    timing,
    now,
    subscribed: subscription === 'subscribed',
    platformEvents: subscription === 'subscribed' && config.types.includes('platform'),
    bufferingTimeoutMs: config.buffering.timeoutMs,
  });
  log.info('started', { sink: sink.name, strategy: strategy.name, port: listener.port, types: config.types.join(','), subscription });
  return lifecycle.loop();
}

interface LifecycleParts {
  readonly api: ExtensionsApiClient;
  readonly sink: Sink;
  readonly queue: BoundedQueue<ParsedEvent>;
  readonly tracker: InvocationTracker;
  readonly loop: ExportLoop;
  readonly counters: Counters;
  readonly listener: RunningListener;
  readonly strategy: FlushStrategy;
  readonly timing: Timing;
  readonly now: () => number;
  readonly subscribed: boolean;
  /** Subscribed to `platform` events (the init and invocation reports). */
  readonly platformEvents: boolean;
  /** The subscription's buffering timeout: Lambda may hold an event this long before sending it. */
  readonly bufferingTimeoutMs: number;
}

/**
 * A queue this full (of its item or byte limit) is flushed in the background, whatever the
 * strategy: waiting for the next timer tick or boundary would only make the listener refuse
 * deliveries (503) that Lambda then resends. With the default 1 s interval, `continuously` moved
 * at most one queue (20,000 events) per second and refused the rest.
 */
export const PRESSURE_FLUSH_RATIO = 0.5;

/** The `next` loop, after a successful init. */
class Lifecycle {
  private readonly timer: FlushTimer;
  private lastRequestId: string | undefined;
  private readonly stopPressureWatch: () => void;
  private pressureCheckScheduled = false;
  private stopping = false;

  constructor(private readonly p: LifecycleParts) {
    this.timer = new FlushTimer(() => {
      if (this.p.queue.size > 0 && !this.p.loop.busy) this.backgroundFlush();
    });
    this.timer.set(p.strategy.timerIntervalMs());
    this.stopPressureWatch = p.queue.onOffer(() => this.schedulePressureCheck());
  }

  async loop(): Promise<number> {
    try {
      for (;;) {
        const event = await this.p.api.next();
        if (event.eventType === 'SHUTDOWN') return await this.shutdown(event);
        await this.invoke(event);
      }
    } catch (error) {
      return this.fatal(error);
    }
  }

  private async invoke(event: InvokeEvent): Promise<void> {
    const { strategy, tracker, loop, timing, now } = this.p;
    this.lastRequestId = event.requestId;
    const decision = strategy.onInvoke({ requestId: event.requestId, deadlineMs: event.deadlineMs }, now());
    this.timer.set(strategy.timerIntervalMs());
    if (decision.action === 'flush-in-background') {
      this.backgroundFlush();
    } else if (decision.action === 'flush-then-next') {
      if (!this.p.subscribed) return;
      const wait = deadlineSignal(decision.waitUntil - now());
      await tracker.waitForRuntimeDone(event.requestId, wait.signal);
      wait.cancel();
      const deadline = blockingFlushDeadline(decision, now(), timing.maxBlockingFlushMs);
      const stop = deadlineSignal(Math.min(decision.hardDeadline, deadline + timing.blockingFlushGraceMs) - now());
      await loop.flush(deadline, stop.signal);
      stop.cancel();
      strategy.onFlushed(now());
    }
  }

  private backgroundFlush(): void {
    void this.p.loop.flushInBackground().then(() => {
      this.p.strategy.onFlushed(this.p.now());
      this.schedulePressureCheck();
    });
  }

  /** After the listener has answered (next turn), flush if the queue is under pressure. */
  private schedulePressureCheck(): void {
    if (this.pressureCheckScheduled || this.stopping) return;
    this.pressureCheckScheduled = true;
    setImmediate(() => {
      this.pressureCheckScheduled = false;
      const { queue, loop } = this.p;
      const pressed = queue.size >= queue.limits.maxItems * PRESSURE_FLUSH_RATIO || queue.bytes >= queue.limits.maxBytes * PRESSURE_FLUSH_RATIO;
      if (pressed && !this.stopping && !loop.busy) this.backgroundFlush();
    });
  }

  private async shutdown(event: ShutdownEvent): Promise<number> {
    const { tracker, loop, counters, timing, now, queue } = this.p;
    this.timer.stop();
    this.stopping = true;
    this.stopPressureWatch();
    queue.acceptEverything();
    const reason = (event.shutdownReason ?? 'unknown').toLowerCase();
    const start = now();
    const hardEnd = event.deadlineMs - timing.shutdownMarginMs;

    // 1. The last invocation's platform.report is only produced after it ended, and may sit in
    //    Lambda's buffer for up to the buffering timeout: give it a moment, at most 30% of the budget.
    //    Without any invocation (a failed init, or a spindown before the first invoke), the same holds
    //    for the init's own report, and the init events with it.
    const lastRequestId = this.lastRequestId;
    const waitMs = Math.min(timing.finalReportWaitMs + this.p.bufferingTimeoutMs, (hardEnd - start) * 0.3);
    if (this.p.subscribed && lastRequestId !== undefined && !tracker.hasReport(lastRequestId)) {
      const wait = deadlineSignal(waitMs);
      await tracker.waitForReport(lastRequestId, wait.signal);
      wait.cancel();
    } else if (this.p.platformEvents && lastRequestId === undefined && !tracker.hasPhaseReport()) {
      const wait = deadlineSignal(waitMs);
      await tracker.waitForPhaseReport(wait.signal);
      wait.cancel();
    }

    // 2. Hand everything over; new attempts stop at 60% of what is left, waiting stops at 70%.
    const left = hardEnd - now();
    const flushDeadline = now() + left * 0.6;
    const stop = deadlineSignal(left * 0.7);
    await loop.flush(flushDeadline, stop.signal);
    stop.cancel();

    // 3. Let the sink emit what it still holds, bounded even if it hangs.
    const shutdownOutcome = await within(loop.shutdownSink(hardEnd - timing.sinkSettleMs), hardEnd - now());

    // 4. Whatever is still queued or in flight could not be sent.
    const abandoned = loop.abandon();
    const inFlight = loop.inFlight;
    tracker.dispose();
    log.info('shutdown', {
      reason,
      ...counters.snapshot(),
      unsent: counters.dropped + inFlight,
      abandoned,
      inFlight,
      sinkShutdown: shutdownOutcome ? 'done' : 'timed out',
      tookMs: now() - start,
    });
    await within(this.p.listener.close(), 50);
    return 0;
  }

  private async fatal(error: unknown): Promise<number> {
    this.timer.stop();
    this.stopping = true;
    this.stopPressureWatch();
    const message = errorMessage(error);
    log.error('fatal error, exiting', { error: message, ...this.p.counters.snapshot() });
    await this.p.api.exitError(ERROR_TYPES.fatal, message).catch((reportError: unknown) => {
      log.error('cannot report the fatal error', { error: errorMessage(reportError) });
    });
    this.p.tracker.dispose();
    await within(this.p.listener.close(), 50);
    return 1;
  }
}
