/**
 * LambdaEmulator: a local, faithful stand-in for one Lambda function's execution environment,
 * with real processes and real HTTP (see README.md in this folder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Invocation } from './invocation';
import { Notifier, type NotYet } from './notifier';
import {
  billedDurationMs, logRecord, roundMs, type InitPhase, type TelemetryEvent,
} from './platform-events';
import { readProcStat, type OutputLine, type ProcessKind } from './processes';
import { Sandbox, type SandboxConfig } from './sandbox';
import { startApiServer, type ApiHost, type ApiServer } from './server';
import type { SubscriberRecord } from './telemetry-hub';
import { TelemetryHub } from './telemetry-hub';
import type {
  EmulatorOptions, ExtensionErrorRecord, InitRecord, InitializationType, InvokeOptions, InvokeResult, RestoreRecord,
  ShutdownReason, ShutdownRecord,
} from './types';

export * from './types';
export type { TelemetryEvent } from './platform-events';
export type { SubscriberRecord } from './telemetry-hub';
export type { DeliveryRecord, DeliveryAttempt } from './telemetry-dispatcher';
export type { OutputLine } from './processes';

export const NODE_RUNTIME_SCRIPT = path.join(__dirname, 'runtime', 'node-runtime.cjs');
export const PYTHON_RUNTIME_SCRIPT = path.join(__dirname, 'runtime', 'python-runtime.py');

/**
 * The runtime loop for a function's `Runtime`: `python*` runs `runtime/python-runtime.py` (when
 * that file exists) with `python3`, everything else the Node.js loop.
 */
export function runtimeCommandFor(runtime: string | undefined): string[] {
  if (runtime?.startsWith('python') && fs.existsSync(PYTHON_RUNTIME_SCRIPT)) return ['python3', PYTHON_RUNTIME_SCRIPT];
  return [process.execPath, NODE_RUNTIME_SCRIPT];
}

/** Thrown by `invoke` on managed instances when every runtime worker is busy (Lambda rejects it). */
export class TooManyRequestsError extends Error {
  public constructor(maxConcurrency: number) {
    super(`TooManyRequestsException: all ${maxConcurrency} runtime workers of the environment are busy`);
    this.name = 'TooManyRequestsException';
  }
}
const DEFAULT_WAIT_MS = 10_000;
const DEFAULT_MAX_CONCURRENCY = 4;
/** Init limit with provisioned concurrency, SnapStart and managed instances: max(130 s, timeout). */
const LONG_INIT_MIN_MS = 130_000;

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly description?: string;
}

/** A live process of the current environment. */
export interface ProcessInfo {
  readonly name: string;
  readonly kind: ProcessKind;
  readonly pid: number;
  /** `/proc/<pid>/stat` state: `T` when frozen. */
  readonly state: string | undefined;
}

export class LambdaEmulator {
  /** Starts the API server and runs Init (a failed Init is recorded; the next invoke retries it). */
  public static async start(options: EmulatorOptions): Promise<LambdaEmulator> {
    const emulator = new LambdaEmulator(options);
    emulator.server = await startApiServer(emulator.createHost());
    emulator.sandbox = emulator.newSandbox();
    await emulator.runInit('init');
    return emulator;
  }

  /** Every `init/error` and `exit/error` call. */
  public readonly extensionErrors: ExtensionErrorRecord[] = [];
  /** Every line any process wrote, in arrival order. */
  public readonly output: OutputLine[] = [];
  public readonly inits: InitRecord[] = [];
  public readonly invocations: InvokeResult[] = [];
  public readonly shutdowns: ShutdownRecord[] = [];
  /** SnapStart restores, in order. */
  public readonly restores: RestoreRecord[] = [];

  private readonly notifier = new Notifier();
  private readonly hub: TelemetryHub;
  private readonly subscribedBefore = new Set<string>();
  private server!: ApiServer;
  private sandbox!: Sandbox;
  private nextInitPhase: InitPhase = 'init';
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly killOnExit: () => void;

  private constructor(private readonly options: EmulatorOptions) {
    this.hub = new TelemetryHub({
      bufferLimit: { maxItems: options.telemetryBuffer?.maxItems ?? 50_000, maxBytes: options.telemetryBuffer?.maxBytes ?? 16 * 1024 * 1024 },
      retry: {
        maxAttempts: options.telemetryRetry?.maxAttempts ?? 5,
        baseDelayMs: options.telemetryRetry?.baseDelayMs ?? 100,
        maxDelayMs: options.telemetryRetry?.maxDelayMs ?? 2000,
        attemptTimeoutMs: options.telemetryRetry?.attemptTimeoutMs ?? 10_000,
      },
      onChange: () => this.notifier.notify(),
    });
    this.killOnExit = () => this.sandbox?.dispose();
    process.on('exit', this.killOnExit);
  }

  /** `AWS_LAMBDA_RUNTIME_API` of the environment: `127.0.0.1:<port>`. */
  public get runtimeApi(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  /** Every telemetry event generated, in generation order (all types, all subscribers). */
  public get telemetry(): readonly TelemetryEvent[] {
    return this.hub.events;
  }

  /** Every subscription so far, with its delivery records. */
  public get subscribers(): readonly SubscriberRecord[] {
    return this.hub.subscriberRecords;
  }

  /** Events that reached a listener (2xx), in delivery order; optionally of one extension only. */
  public delivered(extensionName?: string): TelemetryEvent[] {
    return this.subscribers
      .filter((s) => extensionName === undefined || s.extensionName === extensionName)
      .flatMap((s) => s.deliveries.filter((d) => d.outcome === 'delivered').flatMap((d) => d.events));
  }

  /** Lines written by one process (extension file name, or `runtime`). */
  public linesOf(processName: string): string[] {
    return this.output.filter((line) => line.process === processName).map((line) => line.line);
  }

  /** The live processes of the current environment. */
  public processes(): ProcessInfo[] {
    return this.sandbox.processes().map((p) => ({
      name: p.name, kind: p.kind, pid: p.pid as number, state: readProcStat(p.pid as number)?.state,
    }));
  }

  /** Registered extensions of the current environment. */
  public extensions(): { name: string; id: string; events: readonly string[]; state: string }[] {
    return this.sandbox.registry.agents.map((a) => ({ name: a.name, id: a.id, events: a.events, state: a.state }));
  }

  /** Is the environment frozen (every process SIGSTOPped)? */
  public get frozen(): boolean {
    return this.sandbox.frozen;
  }

  /** How this function runs (`initializationType` option). */
  public get initializationType(): InitializationType {
    return this.options.initializationType ?? 'on-demand';
  }

  /** Request ids of the invocations in flight (managed instances). */
  public get inflight(): string[] {
    return [...this.sandbox.inflight.keys()];
  }

  /**
   * Invokes the function once. On-demand, provisioned concurrency and SnapStart: invocations are
   * serialized, as in one execution environment. Managed instances: up to `maxConcurrency` run at
   * once; one more is refused with `TooManyRequestsError`.
   */
  public invoke(payload: unknown = {}, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.initializationType === 'lambda-managed-instances') return this.runManagedInvoke(payload, options);
    return this.serial(() => this.runInvoke(payload, options));
  }

  /** Shuts the environment down (SIGTERM runtime, SHUTDOWN to extensions, SIGKILL at the deadline). */
  public shutdown(reason: ShutdownReason = 'spindown'): Promise<ShutdownRecord> {
    return this.serial(() => this.runShutdown(reason));
  }

  private async runShutdown(reason: ShutdownReason): Promise<ShutdownRecord> {
    const record = await this.sandbox.shutdown(reason);
    if (!this.shutdowns.includes(record)) this.shutdowns.push(record);
    this.nextInitPhase = reason === 'spindown' || this.initializationType === 'snap-start' ? 'init' : 'invoke';
    this.notifier.notify();
    return record;
  }

  /** Resolves with the first truthy value of `predicate`, re-checked on every emulator event. */
  public waitFor<T>(predicate: (emulator: LambdaEmulator) => T | NotYet, options: WaitOptions = {}): Promise<T> {
    return this.notifier.until(() => predicate(this), {
      timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS,
      description: options.description ?? 'a condition',
    });
  }

  /** Resolves with the first generated event of `type` (matching `filter`), past or future. */
  public waitForEvent(
    type: string, filter: (record: any, event: TelemetryEvent) => boolean = () => true, options: WaitOptions = {},
  ): Promise<TelemetryEvent> {
    return this.waitFor(() => this.telemetry.find((e) => e.type === type && filter(e.record, e)), {
      description: `a ${type} event`, ...options,
    });
  }

  /** Kills every process at once and closes the server. */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sandbox?.dispose();
    this.hub.closeSubscribers();
    this.notifier.close(new Error('The emulator was closed'));
    process.removeListener('exit', this.killOnExit);
    await this.server?.close();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The emulator was closed'));
    const result = this.chain.then(task);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async runInit(phase: InitPhase): Promise<InitRecord> {
    const init = await this.sandbox.init(phase);
    this.inits.push(init);
    if (init.status !== 'success') {
      this.shutdowns.push(await this.sandbox.shutdown('failure'));
      this.nextInitPhase = this.initializationType === 'snap-start' ? 'init' : 'invoke';
    }
    return init;
  }

  /** A new environment when the last one is gone (a reset); SnapStart: its restore. */
  private async prepareEnvironment(): Promise<{ init?: InitRecord; restore?: RestoreRecord } | { failed: InitRecord | RestoreRecord }> {
    if (this.sandbox.broken) await this.runShutdown('failure');
    let init: InitRecord | undefined;
    if (this.sandbox.phase === 'dead') {
      this.sandbox = this.newSandbox();
      init = await this.runInit(this.nextInitPhase);
      if (init.status !== 'success') return { failed: init };
    }
    let restore: RestoreRecord | undefined;
    if (this.sandbox.snapshotAt !== undefined) {
      restore = await this.sandbox.restore();
      this.restores.push(restore);
      if (restore.status !== 'success') {
        this.shutdowns.push(await this.sandbox.shutdown(restore.status === 'timeout' ? 'timeout' : 'failure'));
        return { failed: restore };
      }
    }
    return { init, restore };
  }

  private failedBefore(inv: Invocation, failed: InitRecord | RestoreRecord): InvokeResult {
    const result: InvokeResult = {
      requestId: inv.requestId,
      status: failed.status === 'timeout' ? 'timeout' : 'failure',
      error: { errorType: failed.errorType, errorMessage: failed.errorMessage },
      startedAt: failed.startedAt,
      extensionsNextAt: {},
      endedAt: failed.endedAt,
      durations: {
        durationMs: 0,
        billedDurationMs: 0,
        maxMemoryUsedMB: 0,
        ...('phase' in failed ? { initDurationMs: roundMs(failed.durationMs) } : { restoreDurationMs: roundMs(failed.durationMs) }),
      },
      init: 'phase' in failed ? failed : undefined,
    };
    this.invocations.push(result);
    return result;
  }

  private async runManagedInvoke(payload: unknown, options: InvokeOptions): Promise<InvokeResult> {
    const inv = new Invocation(JSON.stringify(payload ?? null), options.traceHeader);
    const prepared = await this.serial(() => this.prepareEnvironment());
    if ('failed' in prepared) return this.failedBefore(inv, prepared.failed);
    const maxConcurrency = this.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (this.sandbox.inflight.size >= maxConcurrency) throw new TooManyRequestsError(maxConcurrency);
    const measures = await this.sandbox.invokeManaged(inv);
    const responseAt = inv.outcome?.lastByteAt;
    const body = inv.parsedBody;
    const durationMs = roundMs(measures.durationMs);
    const result: InvokeResult = {
      requestId: inv.requestId,
      status: inv.runtimeStatus.status,
      response: inv.outcome?.kind === 'response' ? body : undefined,
      error: inv.failure
        ? { errorType: inv.failure.errorType, errorMessage: inv.failure.errorMessage }
        : inv.outcome?.kind === 'error'
          ? (typeof body === 'object' && body !== null ? body as Record<string, unknown> : { errorMessage: String(body) })
          : undefined,
      startedAt: inv.started.epoch,
      runtimeResponseAt: responseAt,
      extensionsNextAt: {},
      endedAt: measures.ended.epoch,
      durations: {
        durationMs,
        billedDurationMs: billedDurationMs(durationMs),
        maxMemoryUsedMB: measures.maxMemoryUsedMB,
        runtimeMs: responseAt === undefined ? undefined : responseAt - inv.started.epoch,
      },
      init: prepared.init,
    };
    this.invocations.push(result);
    return result;
  }

  private async runInvoke(payload: unknown, options: InvokeOptions): Promise<InvokeResult> {
    const inv = new Invocation(JSON.stringify(payload ?? null), options.traceHeader);
    const prepared = await this.prepareEnvironment();
    if ('failed' in prepared) return this.failedBefore(inv, prepared.failed);
    const init = prepared.init;
    const measures = await this.sandbox.invoke(inv);
    if (inv.failure) {
      this.shutdowns.push(await this.sandbox.shutdown(inv.failure.status === 'timeout' ? 'timeout' : 'failure'));
      this.nextInitPhase = this.initializationType === 'snap-start' ? 'init' : 'invoke';
    }
    const responseAt = inv.outcome?.lastByteAt;
    const nextTimes = Object.values(inv.extensionsNextAt);
    const body = inv.parsedBody;
    const durationMs = roundMs(measures.durationMs);
    const result: InvokeResult = {
      requestId: inv.requestId,
      status: inv.runtimeStatus.status,
      response: inv.outcome?.kind === 'response' ? body : undefined,
      error: inv.failure
        ? { errorType: inv.failure.errorType, errorMessage: inv.failure.errorMessage }
        : inv.outcome?.kind === 'error'
          ? (typeof body === 'object' && body !== null ? body as Record<string, unknown> : { errorMessage: String(body) })
          : undefined,
      startedAt: inv.started.epoch,
      runtimeResponseAt: responseAt,
      runtimeDoneAt: inv.runtimeDone?.epoch,
      extensionsNextAt: { ...inv.extensionsNextAt },
      endedAt: measures.ended.epoch,
      durations: {
        durationMs,
        billedDurationMs: billedDurationMs(durationMs),
        maxMemoryUsedMB: measures.maxMemoryUsedMB,
        initDurationMs: measures.initDurationMs === undefined ? undefined : roundMs(measures.initDurationMs),
        restoreDurationMs: measures.restoreDurationMs === undefined ? undefined : roundMs(measures.restoreDurationMs),
        runtimeMs: responseAt === undefined ? undefined : responseAt - inv.started.epoch,
        postRuntimeExtensionsMs: responseAt === undefined || nextTimes.length === 0 ? undefined : Math.max(0, Math.max(...nextTimes) - responseAt),
      },
      init,
    };
    this.invocations.push(result);
    return result;
  }

  private newSandbox(): Sandbox {
    const sandbox: Sandbox = new Sandbox(this.sandboxConfig(), {
      // Managed instances replace an unhealthy environment at once (SHUTDOWN failure), not at the next invoke.
      onUnhealthy: () => {
        if (this.closed) return;
        void this.serial(async () => {
          if (this.sandbox === sandbox && sandbox.broken && sandbox.phase !== 'dead') await this.runShutdown('failure');
        }).catch(() => undefined);
      },
      hub: this.hub,
      notifier: this.notifier,
      subscribedBefore: this.subscribedBefore,
      onLine: (line) => this.onLine(line),
      onExtensionError: (record) => {
        this.extensionErrors.push(record);
        this.notifier.notify();
      },
    });
    return sandbox;
  }

  private onLine(line: OutputLine): void {
    this.output.push(line);
    if (line.line.length > 0) {
      this.hub.emit(line.kind === 'runtime' ? 'function' : 'extension', logRecord(line.line, this.options.logFormat === 'JSON'), line.line);
    } else {
      this.notifier.notify();
    }
  }

  private sandboxConfig(): SandboxConfig {
    const o = this.options;
    const functionName = o.functionName ?? 'emulated-function';
    const functionVersion = o.functionVersion ?? '$LATEST';
    const memorySizeMB = o.memorySizeMB ?? 128;
    const region = o.region ?? 'us-east-1';
    const initializationType = this.initializationType;
    const timeoutMs = o.timeoutMs ?? 3000;
    const runtimeCommand = o.runtimeCommand ?? runtimeCommandFor(o.runtime);
    const reserved: Record<string, string> = {
      PATH: o.path ?? [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin', ...(o.layerDir ? [path.join(o.layerDir, 'bin')] : [])].join(':'),
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: o.executionEnv ?? `AWS_Lambda_${o.runtime ?? 'nodejs20.x'}`,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: functionVersion,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySizeMB),
      AWS_LAMBDA_INITIALIZATION_TYPE: initializationType,
      // SnapStart functions have no log group / stream variables (snapstart-monitoring).
      ...(initializationType === 'snap-start' ? {} : {
        AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[${functionVersion}]emulated`,
      }),
      ...(initializationType === 'lambda-managed-instances'
        ? { AWS_LAMBDA_MAX_CONCURRENCY: String(o.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY) }
        : {}),
      AWS_LAMBDA_RUNTIME_API: this.runtimeApi,
      ...(o.logFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON' } : {}),
      ...(o.logFormat === 'JSON' && o.logLevel !== undefined ? { AWS_LAMBDA_LOG_LEVEL: o.logLevel } : {}),
    };
    const extensionEnv = { ...o.env, ...reserved };
    return {
      layerDir: o.layerDir,
      handlerDir: o.handlerDir,
      functionName,
      functionVersion,
      memorySizeMB,
      timeoutMs,
      initTimeoutMs: o.initTimeoutMs ?? (initializationType === 'on-demand' ? 10_000 : Math.max(LONG_INIT_MIN_MS, timeoutMs)),
      shutdownBudgetMs: o.shutdownBudgetMs ?? 2000,
      runtimeShutdownBudgetMs: o.runtimeShutdownBudgetMs ?? 300,
      runtimeCommand,
      initializationType,
      maxConcurrency: o.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      restoreTimeoutMs: o.restoreTimeoutMs ?? 10_000,
      enforceMemoryLimit: o.enforceMemoryLimit ?? false,
      extensionEnv,
      runtimeEnv: {
        ...extensionEnv,
        _HANDLER: o.handler ?? 'index.handler',
        LAMBDA_TASK_ROOT: o.handlerDir,
        LAMBDA_RUNTIME_DIR: path.dirname(NODE_RUNTIME_SCRIPT),
        ...(initializationType === 'snap-start' ? {} : { AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}` }),
      },
      invokedFunctionArn: `arn:aws:lambda:${region}:${o.accountId ?? '123456789012'}:function:${functionName}`,
    };
  }

  private createHost(): ApiHost {
    const o = this.options;
    return {
      functionMetadata: {
        functionName: o.functionName ?? 'emulated-function',
        functionVersion: o.functionVersion ?? '$LATEST',
        handler: o.handler ?? 'index.handler',
        accountId: o.accountId ?? '123456789012',
      },
      telemetryNotSupported: o.telemetryNotSupported ?? false,
      findAgent: (id) => this.sandbox.findAgent(id),
      register: (name, events) => this.sandbox.register(name, events),
      next: (agent, res) => this.sandbox.extensionNext(agent, res),
      reportError: (agent, report) => this.sandbox.reportError(agent, report),
      subscriptionOpen: () => this.sandbox.subscriptionOpen(),
      subscribe: (agent, subscription) => this.sandbox.subscribe(agent, subscription),
      runtimeNext: (res) => this.sandbox.runtimeNext(res),
      runtimeOutcome: (requestId, outcome) => this.sandbox.runtimeOutcome(requestId, outcome),
      runtimeInitError: (errorType, body) => this.sandbox.runtimeInitError(errorType, body),
      runtimeRestoreNext: (res) => this.sandbox.runtimeRestoreNext(res),
      runtimeRestoreError: (errorType, body) => this.sandbox.runtimeRestoreError(errorType, body),
      refuseSubscription: (subscription) => this.sandbox.refuseSubscription(subscription),
    };
  }
}
