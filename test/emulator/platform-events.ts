/**
 * Builders for Telemetry API records, with the wire shapes of schema 2022-12-13 (lambda-apis.md §6),
 * and the conversion of captured output lines into `function` / `extension` records.
 */
import { randomBytes } from 'node:crypto';

/** One Telemetry API event, exactly as a listener receives it inside a batch. */
export interface TelemetryEvent {
  readonly time: string;
  readonly type: string;
  readonly record: unknown;
}

export type TelemetryCategory = 'platform' | 'function' | 'extension';
export type InitPhase = 'init' | 'invoke';
export type InitializationType = 'on-demand' | 'provisioned-concurrency' | 'snap-start' | 'lambda-managed-instances';
export type PhaseStatus = 'success' | 'error' | 'failure' | 'timeout';

export interface Tracing {
  readonly type: 'X-Amzn-Trace-Id';
  readonly value: string;
  readonly spanId?: string;
}

export interface Span {
  readonly name: string;
  readonly start: string;
  readonly durationMs: number;
}

/** The category a subscription's `types` must contain for an event to be delivered. */
export function categoryOf(type: string): TelemetryCategory {
  if (type === 'function') return 'function';
  if (type === 'extension') return 'extension';
  return 'platform';
}

/** Milliseconds with the two decimals Lambda prints (e.g. `693.92`). */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Tracing block for a trace header, with a fresh segment id as Lambda adds one. */
export function tracingFor(traceHeader: string | undefined): Tracing | undefined {
  return traceHeader === undefined
    ? undefined
    : { spanId: randomBytes(8).toString('hex'), type: 'X-Amzn-Trace-Id', value: traceHeader };
}

/** `record` plus the optional fields that are defined. */
function withOptional(record: Record<string, unknown>, optional: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export const platform = {
  initStart(args: {
    initializationType: InitializationType;
    phase: InitPhase;
    functionName: string;
    functionVersion: string;
    instanceId: string;
    instanceMaxMemory: number;
  }): Record<string, unknown> {
    return {
      initializationType: args.initializationType,
      phase: args.phase,
      functionName: args.functionName,
      functionVersion: args.functionVersion,
      instanceId: args.instanceId,
      instanceMaxMemory: args.instanceMaxMemory,
    };
  },

  initRuntimeDone(args: {
    initializationType: InitializationType; phase: InitPhase; status: PhaseStatus; errorType?: string;
  }): Record<string, unknown> {
    return withOptional({ initializationType: args.initializationType, phase: args.phase, status: args.status }, { errorType: args.errorType });
  },

  initReport(args: {
    initializationType: InitializationType; phase: InitPhase; status: PhaseStatus; errorType?: string; durationMs: number;
  }): Record<string, unknown> {
    return withOptional({
      initializationType: args.initializationType,
      phase: args.phase,
      status: args.status,
      metrics: { durationMs: roundMs(args.durationMs) },
    }, { errorType: args.errorType });
  },

  start(args: { requestId: string; version: string; tracing?: Tracing }): Record<string, unknown> {
    return withOptional({ requestId: args.requestId, version: args.version }, { tracing: args.tracing });
  },

  runtimeDone(args: {
    requestId: string;
    status: PhaseStatus;
    errorType?: string;
    durationMs: number;
    producedBytes?: number;
    spans?: readonly Span[];
    tracing?: Tracing;
  }): Record<string, unknown> {
    return withOptional({
      requestId: args.requestId,
      status: args.status,
      metrics: withOptional({ durationMs: roundMs(args.durationMs) }, { producedBytes: args.producedBytes }),
    }, { errorType: args.errorType, spans: args.spans, tracing: args.tracing });
  },

  report(args: {
    requestId: string;
    status: PhaseStatus;
    errorType?: string;
    durationMs: number;
    memorySizeMB: number;
    maxMemoryUsedMB: number;
    initDurationMs?: number;
    restoreDurationMs?: number;
    tracing?: Tracing;
  }): Record<string, unknown> {
    const durationMs = roundMs(args.durationMs);
    return withOptional({
      requestId: args.requestId,
      status: args.status,
      metrics: withOptional({
        durationMs,
        billedDurationMs: billedDurationMs(durationMs),
        memorySizeMB: args.memorySizeMB,
        maxMemoryUsedMB: args.maxMemoryUsedMB,
      }, {
        initDurationMs: args.initDurationMs === undefined ? undefined : roundMs(args.initDurationMs),
        restoreDurationMs: args.restoreDurationMs === undefined ? undefined : roundMs(args.restoreDurationMs),
      }),
    }, { errorType: args.errorType, tracing: args.tracing });
  },

  /** Managed instances: `metrics` has only `durationMs`; the response spans come with the report. */
  managedReport(args: {
    requestId: string; status: PhaseStatus; errorType?: string; durationMs: number; spans?: readonly Span[]; tracing?: Tracing;
  }): Record<string, unknown> {
    return withOptional({
      requestId: args.requestId,
      status: args.status,
      metrics: { durationMs: roundMs(args.durationMs) },
    }, { errorType: args.errorType, spans: args.spans, tracing: args.tracing });
  },

  restoreStart(args: { functionName: string; functionVersion: string; instanceId: string; instanceMaxMemory: number }): Record<string, unknown> {
    return { ...args };
  },

  restoreRuntimeDone(args: { status: PhaseStatus; errorType?: string }): Record<string, unknown> {
    return withOptional({ status: args.status }, { errorType: args.errorType });
  },

  restoreReport(args: { status: PhaseStatus; errorType?: string; durationMs: number }): Record<string, unknown> {
    return withOptional({ status: args.status, metrics: { durationMs: roundMs(args.durationMs) } }, { errorType: args.errorType });
  },

  extension(args: { name: string; state: string; events: readonly string[]; errorType?: string }): Record<string, unknown> {
    return withOptional({ name: args.name, state: args.state, events: [...args.events] }, { errorType: args.errorType });
  },

  telemetrySubscription(args: { name: string; state: 'Subscribed' | 'Already subscribed'; types: readonly string[] }): Record<string, unknown> {
    return { name: args.name, state: args.state, types: [...args.types] };
  },

  logsDropped(args: { droppedRecords: number; droppedBytes: number; reason: string }): Record<string, unknown> {
    return { droppedBytes: args.droppedBytes, droppedRecords: args.droppedRecords, reason: args.reason };
  },
};

/** Duration rounded up to the next whole millisecond. */
export function billedDurationMs(durationMs: number): number {
  return Math.ceil(durationMs);
}

/**
 * The record of a `function` or `extension` event for one captured line: the line itself
 * (text format), or the parsed object when the JSON log format is on and the line is a JSON object.
 */
export function logRecord(line: string, jsonFormat: boolean): unknown {
  if (jsonFormat && line.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    } catch {
      // not JSON: keep the text
    }
  }
  return line;
}
