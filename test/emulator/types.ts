/** Public types of the emulator's programmatic API. */
import type { ExtensionErrorReport } from './extensions-api';
import type { InitPhase, PhaseStatus } from './platform-events';

export type LogFormat = 'Text' | 'JSON';
export type ShutdownReason = 'spindown' | 'timeout' | 'failure';
export type InvokeStatus = 'success' | 'error' | 'timeout' | 'failure';
/** `AWS_LAMBDA_INITIALIZATION_TYPE` and `initializationType` of the init events. */
export type InitializationType = 'on-demand' | 'provisioned-concurrency' | 'snap-start' | 'lambda-managed-instances';

export interface EmulatorOptions {
  /** The folder that plays `/opt`: every regular file in its `extensions/` is launched. Omit for no layer. */
  readonly layerDir?: string;
  /** The folder that plays `/var/task` (`LAMBDA_TASK_ROOT`). */
  readonly handlerDir: string;
  /** `_HANDLER`. @default 'index.handler' */
  readonly handler?: string;
  /** The function's own environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default 'emulated-function' */
  readonly functionName?: string;
  /** @default '$LATEST' */
  readonly functionVersion?: string;
  /** @default 128 */
  readonly memorySizeMB?: number;
  /** Invocation timeout (runtime plus extensions' post-processing). @default 3000 */
  readonly timeoutMs?: number;
  /** Init limit (extensions + runtime + function init). @default 10000 */
  readonly initTimeoutMs?: number;
  /** Sets `AWS_LAMBDA_LOG_FORMAT=JSON` and turns JSON lines into object records. @default 'Text' */
  readonly logFormat?: LogFormat;
  /** `AWS_LAMBDA_LOG_LEVEL` (JSON format only). @default - unset */
  readonly logLevel?: string;
  /** Whole SHUTDOWN phase; extensions get `deadlineMs` = shutdown start + this. @default 2000 */
  readonly shutdownBudgetMs?: number;
  /** The runtime's share: SIGTERM, then SIGKILL after this. @default 300 */
  readonly runtimeShutdownBudgetMs?: number;
  /** Replaces PATH of every process (e.g. to hide `node`, as in non-Node runtimes). */
  readonly path?: string;
  /** Answer subscriptions 202 "not supported", as AWS's Runtime Interface Emulator does. @default false */
  readonly telemetryNotSupported?: boolean;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Runtime process command. @default [node, runtime/node-runtime.cjs] */
  readonly runtimeCommand?: readonly string[];
  /** `AWS_EXECUTION_ENV`. @default 'AWS_Lambda_nodejs20.x' */
  readonly executionEnv?: string;
  /** Per-subscriber buffer bound; beyond it events are dropped (then `platform.logsDropped`). */
  readonly telemetryBuffer?: { readonly maxItems?: number; readonly maxBytes?: number };
  /**
   * How Lambda runs the function (README "Modes"): `provisioned-concurrency` (Init at `start()`,
   * long before the first invoke, which is not a cold start), `snap-start` (Init creates a
   * snapshot, every new environment is a restore), `lambda-managed-instances` (concurrent
   * invocations, SHUTDOWN-only extensions, schema 2025-01-29, never frozen). @default 'on-demand'
   */
  readonly initializationType?: InitializationType;
  /** Managed instances: `AWS_LAMBDA_MAX_CONCURRENCY`, invocations one environment runs at once. @default 4 */
  readonly maxConcurrency?: number;
  /** SnapStart: limit for loading the runtime and the after-restore hooks. @default 10000 */
  readonly restoreTimeoutMs?: number;
  /**
   * Kill the runtime with `Runtime.OutOfMemory` when the environment's processes together use more
   * resident memory than `memorySizeMB` (sampled every 10 ms during an invoke). @default false
   */
  readonly enforceMemoryLimit?: boolean;
  /**
   * The function's runtime (`Runtime` of the template, e.g. `nodejs22.x`, `python3.13`): selects the
   * runtime loop (`runtime/node-runtime.cjs`, `runtime/python-runtime.py`) and `AWS_EXECUTION_ENV`.
   * Ignored when `runtimeCommand` is given. @default 'nodejs20.x'
   */
  readonly runtime?: string;
  /** Delivery retries per batch. */
  readonly telemetryRetry?: {
    readonly maxAttempts?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number; readonly attemptTimeoutMs?: number;
  };
}

export interface InvokeOptions {
  /** `X-Amzn-Trace-Id` value; adds `tracing` to INVOKE and platform events. */
  readonly traceHeader?: string;
}

/** One SnapStart restore. */
export interface RestoreRecord {
  readonly status: 'success' | 'error' | 'failure' | 'timeout';
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** Epoch ms; `snapshotAt` is when the snapshot the restore came from was taken. */
  readonly snapshotAt: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  /** The new environment's `instanceId`. */
  readonly instanceId: string;
}

/** One Init attempt. */
export interface InitRecord {
  readonly phase: InitPhase;
  readonly initializationType: InitializationType;
  readonly status: PhaseStatus;
  readonly errorType?: string;
  readonly errorMessage?: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
}

export interface InvokeDurations {
  /** As in `platform.report`: from start until every extension called `next` (or the failure). */
  readonly durationMs: number;
  readonly billedDurationMs: number;
  readonly maxMemoryUsedMB: number;
  /** Present when this invocation came with an Init (cold start or suppressed init). */
  readonly initDurationMs?: number;
  /** SnapStart: the restore this invocation came with (`platform.report` `restoreDurationMs`). */
  readonly restoreDurationMs?: number;
  /** Start until the runtime's response was complete. */
  readonly runtimeMs?: number;
  /** Response complete until the last extension called `next` (`PostRuntimeExtensionsDuration`). */
  readonly postRuntimeExtensionsMs?: number;
}

export interface InvokeResult {
  readonly requestId: string;
  /** Outcome of the invoke phase, as in `platform.report`. */
  readonly status: InvokeStatus;
  /** The runtime's response, parsed as JSON when possible. */
  readonly response?: unknown;
  /** The runtime's error body, or the platform's error for timeout / failure. */
  readonly error?: { readonly errorType?: string; readonly errorMessage?: string; readonly [key: string]: unknown };
  /** Epoch ms timestamps. */
  readonly startedAt: number;
  readonly runtimeResponseAt?: number;
  /** When the runtime called `next` after answering. */
  readonly runtimeDoneAt?: number;
  /** When each extension (registered for INVOKE) called `next` for this invocation. */
  readonly extensionsNextAt: Readonly<Record<string, number>>;
  readonly endedAt: number;
  readonly durations: InvokeDurations;
  /** The Init this invocation had to run first, if any. */
  readonly init?: InitRecord;
}

/** How one process ended during a SHUTDOWN. */
export interface ProcessExitRecord {
  readonly name: string;
  readonly pid?: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Epoch ms. */
  readonly exitedAt: number;
  /** From the SHUTDOWN event (runtime: SIGTERM; others: shutdown start) to exit. */
  readonly exitAfterMs: number;
  /** Set when the emulator had to SIGKILL it. */
  readonly killed?: 'at-deadline' | 'not-registered-for-shutdown' | 'runtime-budget';
}

export interface ExtensionExitRecord extends ProcessExitRecord {
  readonly registered: boolean;
  readonly events: readonly string[];
  /** Epoch ms when SHUTDOWN was written to its `next` (absent: it never asked). */
  readonly shutdownDeliveredAt?: number;
}

export interface ShutdownRecord {
  readonly reason: ShutdownReason;
  readonly startedAt: number;
  /** `deadlineMs` of the SHUTDOWN event. */
  readonly deadlineMs: number;
  readonly endedAt: number;
  readonly runtime?: ProcessExitRecord;
  readonly extensions: readonly ExtensionExitRecord[];
}

/** An `init/error` / `exit/error` call, and whether the emulator accepted it. */
export interface ExtensionErrorRecord extends ExtensionErrorReport {
  readonly accepted: boolean;
}
