/**
 * One execution environment: its processes, registered extensions and runtime, and the Init,
 * Invoke, freeze / thaw and SHUTDOWN phases (lambda-apis.md §3). A reset replaces the whole
 * sandbox; the emulator keeps the telemetry stream and the history across sandboxes.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';
import {
  ExtensionRegistry, MAX_EXTENSIONS, type ExtensionAgent, type ExtensionEventType, type InvokeEvent,
} from './extension-registry';
import type { ApiError, ExtensionErrorReport } from './extensions-api';
import { Invocation, stamp, type InvokeFailure, type Stamp } from './invocation';
import type { Notifier } from './notifier';
import {
  isoTime, platform, type InitPhase, type InitializationType, type PhaseStatus,
} from './platform-events';
import {
  currentRssBytes, ManagedProcess, peakRssBytes, waitAllStopped, type ExitInfo, type OutputLine, type ProcessKind,
} from './processes';
import { invocationHeaders, writeInvocation, type RuntimeOutcome } from './runtime-api';
import { shutdownProcesses } from './shutdown';
import type { Subscription } from './telemetry-api';
import type { TelemetryHub } from './telemetry-hub';
import type {
  ExtensionErrorRecord, InitRecord, RestoreRecord, ShutdownReason, ShutdownRecord,
} from './types';

/** Schema Lambda Managed Instances require of Telemetry API subscriptions. */
export const MANAGED_INSTANCES_SCHEMA = '2025-01-29';
const MEMORY_SAMPLE_MS = 10;

export interface SandboxConfig {
  readonly layerDir?: string;
  readonly handlerDir: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memorySizeMB: number;
  readonly timeoutMs: number;
  readonly initTimeoutMs: number;
  readonly shutdownBudgetMs: number;
  readonly runtimeShutdownBudgetMs: number;
  readonly runtimeCommand: readonly string[];
  readonly extensionEnv: Record<string, string>;
  readonly runtimeEnv: Record<string, string>;
  readonly invokedFunctionArn: string;
  readonly initializationType: InitializationType;
  /** Managed instances: invocations at once. */
  readonly maxConcurrency: number;
  readonly restoreTimeoutMs: number;
  readonly enforceMemoryLimit: boolean;
}

export interface SandboxDeps {
  readonly hub: TelemetryHub;
  readonly notifier: Notifier;
  readonly onLine: (line: OutputLine) => void;
  readonly onExtensionError: (record: ExtensionErrorRecord) => void;
  /** Managed instances: the environment became unhealthy and must be replaced now. */
  readonly onUnhealthy?: () => void;
  /** Names of extensions that subscribed in an earlier environment (for `Already subscribed`). */
  readonly subscribedBefore: Set<string>;
}

export type SandboxPhase = 'new' | 'init' | 'ready' | 'invoke' | 'shutdown' | 'dead';

/** What an invoke phase measured (the emulator builds the public result from it). */
export interface InvokeMeasures {
  readonly ended: Stamp;
  readonly durationMs: number;
  readonly maxMemoryUsedMB: number;
  readonly initDurationMs?: number;
  readonly restoreDurationMs?: number;
}

interface InitFailure {
  readonly status: PhaseStatus;
  readonly errorType: string;
  readonly errorMessage: string;
}

/** Regular files directly in `<layerDir>/extensions` (symlinks to files count), sorted. */
export function listExtensionFiles(layerDir: string | undefined): string[] {
  if (layerDir === undefined) return [];
  const dir = path.join(layerDir, 'extensions');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => {
    try {
      return fs.statSync(path.join(dir, name)).isFile();
    } catch {
      return false;
    }
  }).sort();
}

/**
 * One event-loop turn: output a process wrote before its last API call is already in the pipe,
 * and is read (and logged) before the phase ends.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function describeExit(info: ExitInfo): string {
  if (info.spawnError !== undefined) return info.spawnError;
  return info.signal ? `signal: ${info.signal}` : `exit status ${info.code}`;
}

export class Sandbox {
  public phase: SandboxPhase = 'new';
  public frozen = false;
  /** A process died while the environment was idle: reset before the next invoke. */
  public broken = false;
  public instanceId = randomBytes(16).toString('hex');
  /** SnapStart: when Init ended and the environment was frozen into a snapshot (not yet restored). */
  public snapshotAt: number | undefined;
  private readonly extensionProcesses = new Map<string, ManagedProcess>();
  public readonly registry = new ExtensionRegistry(this.extensionProcesses);
  private runtimeProcess: ManagedProcess | undefined;
  private runtimeReady = false;
  private runtimePendingNext: ServerResponse | undefined;
  /** Managed instances: every worker's pending `next`, and invocations waiting for a worker. */
  private readonly runtimeWaiting: ServerResponse[] = [];
  private readonly waitingForWorker: Invocation[] = [];
  /** Managed instances: invocations in flight, by request id. */
  public readonly inflight = new Map<string, Invocation>();
  private runtimeRestorePending: ServerResponse | undefined;
  private restoreFailure: InitFailure | undefined;
  private pendingRestoreDurationMs: number | undefined;
  private restoring = false;
  private initPhase: InitPhase = 'init';
  private initFailure: InitFailure | undefined;
  private current: Invocation | undefined;
  private pendingInitDurationMs: number | undefined;
  private shutdownPromise: Promise<ShutdownRecord> | undefined;

  public constructor(private readonly config: SandboxConfig, private readonly deps: SandboxDeps) {}

  public get managed(): boolean {
    return this.config.initializationType === 'lambda-managed-instances';
  }

  public get snapStart(): boolean {
    return this.config.initializationType === 'snap-start';
  }

  /** Live processes (runtime first), for freezing and inspection. */
  public processes(): ManagedProcess[] {
    return [this.runtimeProcess, ...this.extensionProcesses.values()]
      .filter((p): p is ManagedProcess => p !== undefined && p.alive);
  }

  // ---------------------------------------------------------------- Init

  public async init(phase: InitPhase): Promise<InitRecord> {
    this.phase = 'init';
    this.initPhase = phase;
    const started = stamp();
    this.deps.hub.startEnvironment();
    const initializationType = this.config.initializationType;
    this.emit('platform.initStart', platform.initStart({
      initializationType,
      phase,
      functionName: this.config.functionName,
      functionVersion: this.config.functionVersion,
      instanceId: this.instanceId,
      instanceMaxMemory: this.config.memorySizeMB,
    }));
    for (const name of listExtensionFiles(this.config.layerDir)) {
      const file = path.join(this.config.layerDir as string, 'extensions', name);
      this.extensionProcesses.set(name, this.spawn(name, 'extension', file, [], this.config.extensionEnv));
    }
    const timer = setTimeout(() => this.failInit({
      status: 'timeout', errorType: 'Sandbox.Timeout', errorMessage: `Init timed out after ${this.config.initTimeoutMs} ms`,
    }), this.config.initTimeoutMs);
    try {
      await this.until(() => this.initFailure ?? [...this.extensionProcesses.keys()].every((name) => this.registry.byName(name)));
      if (!this.initFailure) {
        const [command, ...args] = this.config.runtimeCommand;
        this.runtimeProcess = this.spawn('runtime', 'runtime', command, args, this.config.runtimeEnv);
        await this.until(() => this.initFailure ?? (this.runtimeReady && this.registry.agents.every((a) => a.initReady)));
      }
      await settle();
    } finally {
      clearTimeout(timer);
    }
    const ended = stamp();
    const durationMs = ended.mono - started.mono;
    const failure = this.initFailure;
    if (this.runtimeProcess && !this.runtimeReady && failure) {
      this.emit('platform.initRuntimeDone', platform.initRuntimeDone({
        initializationType, phase, status: failure.status, errorType: failure.errorType,
      }));
    }
    for (const agent of this.registry.agents) {
      this.emit('platform.extension', platform.extension({
        name: agent.name,
        state: agent.state === 'InitError' ? 'InitError' : agent.initReady ? 'Ready' : agent.state,
        events: agent.events,
        errorType: agent.state === 'InitError' ? failure?.errorType : undefined,
      }));
    }
    this.emit('platform.initReport', platform.initReport({
      initializationType, phase, status: failure?.status ?? 'success', errorType: failure?.errorType, durationMs,
    }));
    const record: InitRecord = {
      phase,
      initializationType,
      status: failure?.status ?? 'success',
      errorType: failure?.errorType,
      errorMessage: failure?.errorMessage,
      startedAt: started.epoch,
      endedAt: ended.epoch,
      durationMs,
    };
    if (failure) {
      await this.shutdown(failure.status === 'timeout' ? 'timeout' : 'failure');
    } else {
      // Only an on-demand Init lies on the path of the invocation that follows (a cold start).
      if (initializationType === 'on-demand') this.pendingInitDurationMs = durationMs;
      this.phase = 'ready';
      // SnapStart: the snapshot is taken of the frozen environment. Provisioned concurrency: the
      // environment waits frozen, maybe for hours, until its first invoke.
      if (this.snapStart || initializationType === 'provisioned-concurrency') await this.freeze();
      if (this.snapStart) this.snapshotAt = Date.now();
    }
    return record;
  }

  private failInit(failure: InitFailure): void {
    if (this.phase !== 'init' || this.initFailure) return;
    this.initFailure = failure;
    this.deps.notifier.notify();
  }

  // ---------------------------------------------------------------- Restore (SnapStart)

  /**
   * Restores the snapshot into this (new) environment: a new `instanceId`, `platform.restoreStart`,
   * the frozen processes thawed, the runtime's `restore/next` answered, then the runtime must reach
   * `invocation/next` (after-restore hooks) within `restoreTimeoutMs`.
   */
  public async restore(): Promise<RestoreRecord> {
    const snapshotAt = this.snapshotAt as number;
    this.snapshotAt = undefined;
    this.instanceId = randomBytes(16).toString('hex');
    const started = stamp();
    this.phase = 'init';
    this.restoring = true;
    this.emit('platform.restoreStart', platform.restoreStart({
      functionName: this.config.functionName,
      functionVersion: this.config.functionVersion,
      instanceId: this.instanceId,
      instanceMaxMemory: this.config.memorySizeMB,
    }));
    this.thaw();
    const restoreNext = this.runtimeRestorePending;
    this.runtimeRestorePending = undefined;
    if (restoreNext && !restoreNext.destroyed) {
      restoreNext.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '0' });
      restoreNext.end();
    }
    const timer = setTimeout(() => this.failRestore({
      status: 'timeout', errorType: 'Sandbox.Timeout', errorMessage: `Restore timed out after ${this.config.restoreTimeoutMs} ms`,
    }), this.config.restoreTimeoutMs);
    try {
      await this.until(() => this.restoreFailure ?? (this.runtimePendingNext !== undefined && !this.runtimePendingNext.destroyed));
      await settle();
    } finally {
      clearTimeout(timer);
    }
    const ended = stamp();
    this.restoring = false;
    const durationMs = ended.mono - started.mono;
    const failure = this.restoreFailure;
    this.emit('platform.restoreRuntimeDone', platform.restoreRuntimeDone({ status: failure?.status ?? 'success', errorType: failure?.errorType }));
    this.emit('platform.restoreReport', platform.restoreReport({ status: failure?.status ?? 'success', errorType: failure?.errorType, durationMs }));
    const record: RestoreRecord = {
      status: failure?.status ?? 'success',
      errorType: failure?.errorType,
      errorMessage: failure?.errorMessage,
      snapshotAt,
      startedAt: started.epoch,
      endedAt: ended.epoch,
      durationMs,
      instanceId: this.instanceId,
    };
    if (failure) {
      await this.shutdown(failure.status === 'timeout' ? 'timeout' : 'failure');
    } else {
      this.pendingRestoreDurationMs = durationMs;
      this.phase = 'ready';
    }
    return record;
  }

  private failRestore(failure: InitFailure): void {
    if (!this.restoring || this.restoreFailure) return;
    this.restoreFailure = failure;
    this.deps.notifier.notify();
  }

  // ---------------------------------------------------------------- Invoke

  /** Runs one invoke phase. Ends frozen, or (with `inv.failure`) waiting for a reset. */
  public async invoke(inv: Invocation): Promise<InvokeMeasures> {
    this.phase = 'invoke';
    this.current = inv;
    if (this.frozen) this.thaw();
    inv.start(this.config.timeoutMs);
    this.emit('platform.start', platform.start({
      requestId: inv.requestId, version: this.config.functionVersion, tracing: inv.tracing,
    }));
    const event: InvokeEvent = {
      eventType: 'INVOKE',
      deadlineMs: inv.deadlineMs,
      requestId: inv.requestId,
      invokedFunctionArn: this.config.invokedFunctionArn,
      ...(inv.traceHeader === undefined ? {} : { tracing: { type: 'X-Amzn-Trace-Id' as const, value: inv.traceHeader } }),
    };
    for (const agent of this.registry.agents) {
      if (agent.wants('INVOKE')) agent.deliver(event);
    }
    this.deliverToRuntime();
    const sampler = this.watchMemory(() => this.failInvoke(inv, {
      status: 'error',
      errorType: 'Runtime.OutOfMemory',
      errorMessage: `RequestId: ${inv.requestId} Error: Runtime exited with error: signal: killed`,
    }));
    const timer = setTimeout(() => this.failInvoke(inv, {
      status: 'timeout',
      errorType: 'Sandbox.Timeout',
      errorMessage: `${isoTime(Date.now())} ${inv.requestId} Task timed out after ${(this.config.timeoutMs / 1000).toFixed(2)} seconds`,
    }), this.config.timeoutMs);
    try {
      await this.until(() => inv.failure ?? (inv.runtimeDoneEmitted && this.extensionsDone(inv)));
      await settle();
    } finally {
      clearTimeout(timer);
      clearInterval(sampler);
    }
    const ended = stamp();
    if (!inv.runtimeDoneEmitted) this.emitRuntimeDone(inv, ended);
    const maxMemoryUsedMB = this.maxMemoryUsedMB();
    if (!inv.failure) await this.freeze();
    const { status, errorType } = inv.runtimeStatus;
    const durationMs = ended.mono - inv.started.mono;
    const initDurationMs = this.pendingInitDurationMs;
    this.pendingInitDurationMs = undefined;
    const restoreDurationMs = this.pendingRestoreDurationMs;
    this.pendingRestoreDurationMs = undefined;
    this.emit('platform.report', platform.report({
      requestId: inv.requestId,
      status,
      errorType,
      durationMs,
      memorySizeMB: this.config.memorySizeMB,
      maxMemoryUsedMB,
      initDurationMs,
      restoreDurationMs,
      tracing: inv.tracing,
    }));
    this.current = undefined;
    if (!inv.failure) this.phase = 'ready';
    return { ended, durationMs, maxMemoryUsedMB, initDurationMs, restoreDurationMs };
  }

  /**
   * Managed instances: one of several concurrent invocations. No INVOKE to extensions, no
   * `platform.runtimeDone`, no freeze; `platform.report` (only `metrics.durationMs`, with the
   * response spans) as soon as the runtime answered. A timeout fails this invocation only: its
   * code keeps running (Lambda does not enforce the timeout there).
   */
  public async invokeManaged(inv: Invocation): Promise<InvokeMeasures> {
    inv.start(this.config.timeoutMs);
    this.inflight.set(inv.requestId, inv);
    this.emit('platform.start', platform.start({
      requestId: inv.requestId, version: this.config.functionVersion, tracing: inv.tracing,
    }));
    this.waitingForWorker.push(inv);
    this.deliverToWorkers();
    const timer = setTimeout(() => this.failManaged(inv, {
      status: 'timeout',
      errorType: 'Sandbox.Timeout',
      errorMessage: `${isoTime(Date.now())} ${inv.requestId} Task timed out after ${(this.config.timeoutMs / 1000).toFixed(2)} seconds`,
    }), this.config.timeoutMs);
    try {
      await this.until(() => inv.failure ?? inv.outcome);
      await settle();
    } finally {
      clearTimeout(timer);
    }
    const ended = stamp();
    const durationMs = ended.mono - inv.started.mono;
    const { status, errorType } = inv.runtimeStatus;
    this.emit('platform.report', platform.managedReport({
      requestId: inv.requestId,
      status,
      errorType,
      durationMs,
      spans: inv.outcome ? inv.spans() : undefined,
      tracing: inv.tracing,
    }));
    this.inflight.delete(inv.requestId);
    const index = this.waitingForWorker.indexOf(inv);
    if (index >= 0) this.waitingForWorker.splice(index, 1);
    return { ended, durationMs, maxMemoryUsedMB: this.maxMemoryUsedMB() };
  }

  private failManaged(inv: Invocation, failure: InvokeFailure): void {
    if (!this.inflight.has(inv.requestId) || inv.failure || inv.outcome) return;
    inv.failure = failure;
    this.deps.notifier.notify();
  }

  private deliverToWorkers(): void {
    while (this.waitingForWorker.length > 0) {
      const res = this.runtimeWaiting.shift();
      if (!res) return;
      if (res.destroyed) continue;
      const inv = this.waitingForWorker.shift() as Invocation;
      inv.deliveredToRuntime = true;
      writeInvocation(res, invocationHeaders({
        requestId: inv.requestId,
        deadlineMs: inv.deadlineMs,
        invokedFunctionArn: this.config.invokedFunctionArn,
        traceHeader: inv.traceHeader,
      }), inv.payload);
    }
  }

  /** With `enforceMemoryLimit`: SIGKILLs the runtime once the environment's resident memory passes the limit. */
  private watchMemory(onExceeded: () => void): NodeJS.Timeout | undefined {
    if (!this.config.enforceMemoryLimit) return undefined;
    const limit = this.config.memorySizeMB * 1024 * 1024;
    const sampler = setInterval(() => {
      const used = this.processes().flatMap((p) => p.groupPids()).reduce((sum, pid) => sum + currentRssBytes(pid), 0);
      if (used <= limit) return;
      clearInterval(sampler);
      onExceeded();
      this.runtimeProcess?.signal('SIGKILL');
    }, MEMORY_SAMPLE_MS);
    return sampler;
  }

  private extensionsDone(inv: Invocation): boolean {
    return this.registry.agents.every((agent) => !agent.wants('INVOKE') || inv.extensionsNextAt[agent.name] !== undefined);
  }

  private failInvoke(inv: Invocation, failure: InvokeFailure): void {
    if (this.current !== inv || inv.failure) return;
    inv.failure = failure;
    this.deps.notifier.notify();
  }

  private emitRuntimeDone(inv: Invocation, at: Stamp): void {
    inv.runtimeDoneEmitted = true;
    const { status, errorType } = inv.runtimeStatus;
    this.emit('platform.runtimeDone', platform.runtimeDone({
      requestId: inv.requestId,
      status,
      errorType,
      durationMs: at.mono - inv.started.mono,
      producedBytes: inv.outcome?.body.length,
      spans: inv.outcome ? inv.spans() : undefined,
      tracing: inv.tracing,
    }));
  }

  private deliverToRuntime(): void {
    const inv = this.current;
    const res = this.runtimePendingNext;
    if (!inv || inv.deliveredToRuntime || !res || res.destroyed) return;
    this.runtimePendingNext = undefined;
    inv.deliveredToRuntime = true;
    writeInvocation(res, invocationHeaders({
      requestId: inv.requestId,
      deadlineMs: inv.deadlineMs,
      invokedFunctionArn: this.config.invokedFunctionArn,
      traceHeader: inv.traceHeader,
    }), inv.payload);
  }

  /** Sum of the peak RSS of every process of the environment, in MB. */
  private maxMemoryUsedMB(): number {
    const bytes = this.processes().flatMap((p) => p.groupPids()).reduce((sum, pid) => sum + peakRssBytes(pid), 0);
    return Math.ceil(bytes / (1024 * 1024));
  }

  // ---------------------------------------------------------------- Freeze

  private async freeze(): Promise<void> {
    this.deps.hub.freeze();
    const processes = this.processes();
    for (const p of processes) p.signal('SIGSTOP');
    this.frozen = true;
    await waitAllStopped(processes.flatMap((p) => p.groupPids()));
    this.deps.notifier.notify();
  }

  private thaw(): void {
    for (const p of this.processes()) p.signal('SIGCONT');
    this.frozen = false;
    this.deps.hub.thaw();
    this.deps.notifier.notify();
  }

  // ---------------------------------------------------------------- Shutdown

  /** SHUTDOWN (or reset): runtime SIGTERM, then SHUTDOWN events, SIGKILL at the deadline. */
  public shutdown(reason: ShutdownReason): Promise<ShutdownRecord> {
    this.shutdownPromise ??= this.runShutdown(reason);
    return this.shutdownPromise;
  }

  private async runShutdown(reason: ShutdownReason): Promise<ShutdownRecord> {
    this.phase = 'shutdown';
    const startedAt = Date.now();
    if (this.frozen) this.thaw();
    const record = await shutdownProcesses({
      startedAt,
      reason,
      runtime: this.runtimeProcess,
      extensions: this.extensionProcesses,
      registry: this.registry,
      budgetMs: this.config.shutdownBudgetMs,
      runtimeBudgetMs: this.config.runtimeShutdownBudgetMs,
      runtimeAlongside: this.managed,
    });
    this.failInflight('Runtime.ExitError', 'the environment was shut down before the runtime answered');
    await settle();
    this.deps.hub.closeSubscribers();
    this.phase = 'dead';
    this.deps.notifier.notify();
    return record;
  }

  /** Kills everything at once (emulator close). */
  public dispose(): void {
    for (const p of [this.runtimeProcess, ...this.extensionProcesses.values()]) p?.signal('SIGKILL');
    this.phase = 'dead';
  }

  // ---------------------------------------------------------------- Processes

  private spawn(name: string, kind: ProcessKind, command: string, args: readonly string[], env: Record<string, string>): ManagedProcess {
    return new ManagedProcess({
      name,
      kind,
      command,
      args,
      env,
      cwd: this.config.handlerDir,
      onLine: this.deps.onLine,
      onExit: (proc, info) => this.onExit(proc, info),
    });
  }

  /** Managed instances: every invocation in flight fails (the runtime or the environment is gone). */
  private failInflight(errorType: string, why: string): void {
    for (const inv of this.inflight.values()) {
      this.failManaged(inv, { status: 'failure', errorType, errorMessage: `RequestId: ${inv.requestId} Error: ${why}` });
    }
  }

  private onExit(proc: ManagedProcess, info: ExitInfo): void {
    const what = describeExit(info);
    if (this.managed && this.phase !== 'init') {
      // All workers live in the one runtime process: its exit fails every invocation in flight.
      // An extension crash makes the whole environment unhealthy (reset before the next invoke).
      if (proc.kind === 'runtime') this.failInflight('Runtime.ExitError', `Runtime exited with error: ${what}`);
      else if (this.phase !== 'shutdown') this.failInflight('Extension.Crash', `Extension ${proc.name} exited with error: ${what}`);
      if (this.phase !== 'shutdown' && !this.broken) {
        this.broken = true;
        this.deps.onUnhealthy?.();
      }
      this.deps.notifier.notify();
      return;
    }
    if (this.restoring) {
      this.failRestore(proc.kind === 'runtime'
        ? { status: 'failure', errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${what}` }
        : { status: 'failure', errorType: 'Extension.Crash', errorMessage: `Extension ${proc.name} exited with error: ${what}` });
    } else if (this.phase === 'init') {
      this.failInit(proc.kind === 'runtime'
        ? { status: 'failure', errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${what}` }
        : info.spawnError !== undefined
          ? { status: 'failure', errorType: 'Extension.LaunchError', errorMessage: `Extension ${proc.name} could not be launched: ${what}` }
          : { status: 'failure', errorType: 'Extension.Crash', errorMessage: `Extension ${proc.name} exited with error: ${what}` });
    } else if (this.phase === 'invoke' && this.current) {
      const id = this.current.requestId;
      this.failInvoke(this.current, proc.kind === 'runtime'
        ? { status: 'failure', errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited with error: ${what}` }
        : { status: 'failure', errorType: 'Extension.Crash', errorMessage: `RequestId: ${id} Error: Extension ${proc.name} exited with error: ${what}` });
    } else if (this.phase === 'ready') {
      this.broken = true;
    }
    this.deps.notifier.notify();
  }

  // ---------------------------------------------------------------- API hooks: extensions

  public findAgent(id: string): ExtensionAgent | undefined {
    return this.registry.byId(id);
  }

  public register(name: string, events: readonly ExtensionEventType[]): ExtensionAgent | ApiError {
    if (this.registry.byName(name)) {
      return {
        errorType: 'Extension.InvalidExtensionState',
        errorMessage: `State transition from Registered to Registered failed for extension ${name}. Error: State transition is not allowed`,
      };
    }
    if (this.phase !== 'init' || this.runtimeProcess !== undefined) {
      return { errorType: 'Extension.RegistrationClosed', errorMessage: 'Extension registration closed already' };
    }
    if (this.managed && events.includes('INVOKE')) {
      return { errorType: 'Extension.InvalidEventType', errorMessage: 'INVOKE: ErrorInvalidEventType (Lambda Managed Instances deliver SHUTDOWN only)' };
    }
    if (!this.extensionProcesses.has(name)) {
      const known = [...this.extensionProcesses.keys()].join(', ') || 'none';
      return {
        errorType: 'Extension.InvalidExtensionName',
        errorMessage: `Unknown extension name ${name}: it must equal a file name in /opt/extensions (${known})`,
      };
    }
    if (this.registry.agents.length >= MAX_EXTENSIONS) {
      return { errorType: 'Extension.TooManyExtensions', errorMessage: `Extension limit (${MAX_EXTENSIONS}) reached` };
    }
    const agent = this.registry.add(name, events);
    this.deps.notifier.notify();
    return agent;
  }

  public extensionNext(agent: ExtensionAgent, res: ServerResponse): ApiError | undefined {
    if (agent.state === 'InitError' || agent.state === 'ExitError' || agent.waiting) {
      return {
        errorType: 'Extension.InvalidExtensionState',
        errorMessage: `State transition from ${agent.state} to Ready failed for extension ${agent.id}. Error: State transition is not allowed`,
      };
    }
    const inv = this.current;
    if (inv && agent.workingOn === inv.requestId) inv.extensionsNextAt[agent.name] = Date.now();
    agent.waitNext(res);
    this.deps.notifier.notify();
    return undefined;
  }

  public reportError(agent: ExtensionAgent, report: ExtensionErrorReport): ApiError | undefined {
    const refuse = (target: string): ApiError => ({
      errorType: 'Extension.InvalidExtensionState',
      errorMessage: `State transition from ${agent.state} to ${target} failed for extension ${agent.id}. Error: State transition is not allowed`,
    });
    let error: ApiError | undefined;
    if (agent.state === 'InitError' || agent.state === 'ExitError') {
      error = refuse(report.kind === 'init' ? 'InitError' : 'ExitError');
    } else if (report.kind === 'init' && this.phase !== 'init') {
      error = refuse('InitError');
    }
    this.deps.onExtensionError({ ...report, accepted: error === undefined });
    if (error) return error;
    agent.state = report.kind === 'init' ? 'InitError' : 'ExitError';
    if (report.kind === 'init') {
      const body = report.body as { errorMessage?: unknown } | undefined;
      this.failInit({
        status: 'error',
        errorType: report.functionErrorType,
        errorMessage: typeof body?.errorMessage === 'string' ? body.errorMessage : `Extension ${agent.name} reported an init error`,
      });
    }
    this.deps.notifier.notify();
    return undefined;
  }

  public refuseSubscription(subscription: Subscription): string | undefined {
    if (!this.managed || subscription.schemaVersion === MANAGED_INSTANCES_SCHEMA) return undefined;
    return `schemaVersion should be ${MANAGED_INSTANCES_SCHEMA} on Lambda Managed Instances (got ${JSON.stringify(subscription.schemaVersion)})`;
  }

  public subscriptionOpen(): boolean {
    return this.phase === 'init' && !this.restoring;
  }

  public subscribe(agent: ExtensionAgent, subscription: Subscription): void {
    this.deps.hub.subscribe({
      extensionName: agent.name,
      extensionId: agent.id,
      subscription,
      alreadySubscribed: this.initPhase === 'invoke' && this.deps.subscribedBefore.has(agent.name),
    });
    this.deps.subscribedBefore.add(agent.name);
  }

  // ---------------------------------------------------------------- API hooks: runtime

  private markRuntimeReady(): void {
    this.runtimeReady = true;
    this.emit('platform.initRuntimeDone', platform.initRuntimeDone({
      initializationType: this.config.initializationType, phase: this.initPhase, status: 'success',
    }));
  }

  private runtimeNextManaged(res: ServerResponse): ApiError | undefined {
    if (this.phase === 'init' && !this.runtimeReady) this.markRuntimeReady();
    this.runtimeWaiting.push(res);
    this.deliverToWorkers();
    this.deps.notifier.notify();
    return undefined;
  }

  public runtimeRestoreNext(res: ServerResponse): ApiError | undefined {
    if (!this.snapStart || this.phase !== 'init' || this.runtimeReady) {
      return {
        errorType: 'InvalidStateTransition',
        errorMessage: 'State transition from Ready to RestoreReady failed for runtime. Error: State transition is not allowed',
      };
    }
    this.markRuntimeReady();
    this.runtimeRestorePending = res;
    this.deps.notifier.notify();
    return undefined;
  }

  public runtimeRestoreError(errorType: string | undefined, body: unknown): ApiError | undefined {
    if (!this.restoring) {
      return {
        errorType: 'InvalidStateTransition',
        errorMessage: 'State transition from Ready to RestoreError failed for runtime. Error: State transition is not allowed',
      };
    }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as { errorType?: unknown; errorMessage?: unknown };
    this.failRestore({
      status: 'failure',
      errorType: errorType ?? (typeof fields.errorType === 'string' ? fields.errorType : 'Runtime.Unknown'),
      errorMessage: typeof fields.errorMessage === 'string' ? fields.errorMessage : 'Runtime reported a restore error',
    });
    return undefined;
  }

  public runtimeNext(res: ServerResponse): ApiError | undefined {
    if (this.managed) return this.runtimeNextManaged(res);
    const inv = this.current;
    if (this.runtimePendingNext && !this.runtimePendingNext.destroyed) {
      return {
        errorType: 'InvalidStateTransition',
        errorMessage: 'State transition from Ready to Ready failed for runtime. Error: State transition is not allowed',
      };
    }
    if (this.phase === 'init' && !this.runtimeReady) {
      this.markRuntimeReady();
    } else if (this.phase === 'invoke' && inv) {
      if (inv.deliveredToRuntime && !inv.outcome) {
        return {
          errorType: 'InvalidStateTransition',
          errorMessage: 'State transition from Running to Ready failed for runtime. Error: State transition is not allowed',
        };
      }
      if (inv.outcome && !inv.runtimeDone) {
        const done = stamp();
        inv.runtimeDone = done;
        // One turn later, so that output the runtime wrote before asking is read (and logged) first.
        setImmediate(() => {
          if (!inv.runtimeDoneEmitted && !inv.failure) this.emitRuntimeDone(inv, done);
          this.deps.notifier.notify();
        });
      }
    }
    this.runtimePendingNext = res;
    res.once('close', () => {
      if (this.runtimePendingNext === res) this.runtimePendingNext = undefined;
    });
    this.deliverToRuntime();
    this.deps.notifier.notify();
    return undefined;
  }

  public runtimeOutcome(requestId: string, outcome: RuntimeOutcome): boolean {
    if (this.managed) {
      const running = this.inflight.get(requestId);
      if (!running || !running.deliveredToRuntime || running.outcome || running.failure) return false;
      running.outcome = outcome;
      this.deps.notifier.notify();
      return true;
    }
    const inv = this.current;
    if (this.phase !== 'invoke' || !inv || inv.requestId !== requestId || !inv.deliveredToRuntime || inv.outcome || inv.failure) {
      return false;
    }
    inv.outcome = outcome;
    this.deps.notifier.notify();
    return true;
  }

  public runtimeInitError(errorType: string | undefined, body: unknown): ApiError | undefined {
    if (this.phase !== 'init' || this.runtimeReady) {
      return {
        errorType: 'InvalidStateTransition',
        errorMessage: 'State transition from Ready to InitError failed for runtime. Error: State transition is not allowed',
      };
    }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as { errorType?: unknown; errorMessage?: unknown };
    this.failInit({
      status: 'error',
      errorType: errorType ?? (typeof fields.errorType === 'string' ? fields.errorType : 'Runtime.Unknown'),
      errorMessage: typeof fields.errorMessage === 'string' ? fields.errorMessage : 'Runtime reported an init error',
    });
    return undefined;
  }

  // ---------------------------------------------------------------- helpers

  private emit(type: string, record: unknown): void {
    this.deps.hub.emit(type, record);
  }

  private until<T>(predicate: () => T | undefined | null | false): Promise<T> {
    return this.deps.notifier.until(predicate);
  }
}
