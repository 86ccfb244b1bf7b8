/**
 * Invocations that die, through cdk.out, on demand: out of memory, the runtime exiting, a timeout
 * before and after the response, another extension crashing. Two invocations before, one after
 * the reset that follows. Each death must stay visible (its span with the platform's error type,
 * its logs, its report figures) and nothing of the invocations around it may be lost.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { durationMs, runModes, serverSpans, type ModesRun, type ModesRunOptions } from './modes-app';
import type { InvokeResult, InvokeStatus, ShutdownReason, TelemetryEvent } from '../../emulator/emulator';

interface Death {
  readonly name: string;
  readonly options: ModesRunOptions;
  readonly payload: Record<string, unknown>;
  /** Files the companion extension acts on during the death's invoke. */
  readonly companionFiles?: Readonly<Record<string, string>>;
  readonly status: InvokeStatus;
  readonly errorType: string;
  readonly reason: ShutdownReason;
  /**
   * Whether the invocation's span carries the error. A timeout after the response: the runtime's
   * `platform.runtimeDone` said success and closed the span before the report said timeout; the
   * timeout is an ERROR `postRuntime` child span, the report's log record and the timeouts metric.
   */
  readonly spanError: boolean;
}

const DEATHS: Death[] = [
  { name: 'out of memory', options: { memorySizeMB: 512, emulator: { enforceMemoryLimit: true } }, payload: { grow: 800 }, status: 'error', errorType: 'Runtime.OutOfMemory', reason: 'failure', spanError: true },
  { name: 'runtime exit', options: {}, payload: { crash: true }, status: 'failure', errorType: 'Runtime.ExitError', reason: 'failure', spanError: true },
  { name: 'timeout during the response', options: { timeout: Duration.seconds(1) }, payload: { hang: true }, status: 'timeout', errorType: 'Sandbox.Timeout', reason: 'timeout', spanError: true },
  { name: 'timeout after the response', options: { timeout: Duration.seconds(1), companion: true }, payload: {}, companionFiles: { delay: '1500' }, status: 'timeout', errorType: 'Sandbox.Timeout', reason: 'timeout', spanError: false },
  // The handler works 300 ms: the companion crashes while it runs (if the runtime answered first,
  // runtimeDone would say success and only the report the crash, as after a timeout after the response).
  { name: 'extension crash', options: { companion: true }, payload: { ms: 300 }, companionFiles: { crash: '' }, status: 'failure', errorType: 'Extension.Crash', reason: 'failure', spanError: true },
];

describe.each(DEATHS)('an invocation that dies: $name', (death) => {
  let run: ModesRun;
  let results: InvokeResult[];
  const recordOf = (type: string, id: string): TelemetryEvent | undefined =>
    run.emulator.telemetry.find((e) => e.type === type && (e.record as { requestId?: string }).requestId === id);
  const bodies = (id: string) => run.receiver.logs().filter((l) => l.attributes['faas.invocation_id'] === id).map((l) => String(l.body).trim());

  beforeAll(async () => {
    run = await runModes(death.options);
    const emu = run.emulator;
    results = [await emu.invoke({ n: 0 }), await emu.invoke({ n: 1 })];
    for (const [file, content] of Object.entries(death.companionFiles ?? {})) fs.writeFileSync(path.join(run.companionDir, file), content);
    results.push(await emu.invoke({ n: 2, ...death.payload }));
    for (const file of Object.keys(death.companionFiles ?? {})) fs.rmSync(path.join(run.companionDir, file));
    results.push(await emu.invoke({ n: 3 }));
    await emu.shutdown();
  }, 120_000);

  afterAll(() => run?.close());

  test('the platform reports the death and resets the environment', () => {
    expect(results.map((r) => r.status)).toEqual(['success', 'success', death.status, 'success']);
    const report = recordOf('platform.report', results[2].requestId)!.record as { status: string; errorType?: string };
    expect(report).toMatchObject({ status: death.status, errorType: death.errorType });
    expect(run.emulator.shutdowns.map((s) => s.reason)).toEqual([death.reason, 'spindown']);
    expect(results[3].init).toBeDefined();
  });

  test('its span: the platform\'s error type, its own duration, not incomplete', () => {
    const spans = serverSpans(run.receiver);
    expect([...spans.keys()].sort()).toEqual(results.map((r) => r.requestId).sort());
    const span = spans.get(results[2].requestId)!;
    if (death.spanError) expect(span.status).toEqual({ code: 'STATUS_CODE_ERROR', message: death.errorType });
    // A death after the response: an ERROR `postRuntime` child from the span's end to the report.
    const postRuntime = run.receiver.spans().filter((s) => s.name === 'postRuntime' && s.parentSpanId === span.spanId);
    if (death.spanError) {
      expect(postRuntime).toEqual([]);
    } else {
      expect(postRuntime).toHaveLength(1);
      expect(postRuntime[0].status).toEqual({ code: 'STATUS_CODE_ERROR', message: death.errorType });
      expect(postRuntime[0].traceId).toBe(span.traceId);
      expect(postRuntime[0].attributes['error.type']).toBe(death.errorType);
    }
    expect(span.attributes['telemetry_extension.incomplete']).toBeUndefined();
    const closing = (recordOf('platform.runtimeDone', results[2].requestId) ?? recordOf('platform.report', results[2].requestId))!;
    const closingMs = (closing.record as { metrics?: { durationMs?: number } }).metrics?.durationMs;
    expect(closingMs).toBeDefined();
    expect(durationMs(span)).toBeCloseTo(closingMs!, 0);
    for (const r of [results[0], results[1], results[3]]) expect(spans.get(r.requestId)!.status.code).toBeUndefined();
  });

  test('its logs and its report figures, in its trace', () => {
    const id = results[2].requestId;
    const span = serverSpans(run.receiver).get(id)!;
    expect(bodies(id)).toContain('begin 2');
    const report = run.receiver.logs().find((l) => String(l.body).startsWith(`REPORT RequestId: ${id}`))!;
    const figures = (recordOf('platform.report', id)!.record as { metrics: { durationMs: number; billedDurationMs?: number; maxMemoryUsedMB?: number } }).metrics;
    expect(report.severityText).toBe('ERROR');
    expect(report.attributes).toMatchObject({
      'aws.lambda.invocation.status': death.status,
      'error.type': death.errorType,
      'aws.lambda.duration_ms': figures.durationMs,
    });
    if (figures.billedDurationMs !== undefined) expect(report.attributes['aws.lambda.billed_duration_ms']).toBe(figures.billedDurationMs);
    if (figures.maxMemoryUsedMB !== undefined) expect(report.attributes['aws.lambda.max_memory_used_mb']).toBe(figures.maxMemoryUsedMB);
    expect(report.traceId).toBe(span.traceId);
    const counted = run.receiver.metrics().filter((m) => m.name === (death.status === 'timeout' ? 'faas.timeouts' : 'faas.errors')).flatMap((m) => m.dataPoints);
    expect(counted.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(1);
  });

  test('nothing of the invocations around it is lost across the reset', () => {
    for (const n of [0, 1, 3]) {
      expect(bodies(results[n].requestId)).toEqual(expect.arrayContaining([`begin ${n}`, `end ${n}`]));
      expect(run.receiver.logs().some((l) => String(l.body).startsWith(`REPORT RequestId: ${results[n].requestId}`))).toBe(true);
    }
    const points = run.receiver.metrics().filter((m) => m.name === 'faas.invoke_duration').flatMap((m) => m.dataPoints);
    expect(points.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(4);
  });

  test('at the reset and at the end the extension drains everything and exits by itself before the deadline', () => {
    for (const shutdown of run.emulator.shutdowns) {
      const ext = shutdown.extensions.find((e) => e.name === 'telemetry-extension')!;
      expect(ext.exitCode).toBe(0);
      expect(ext.killed).toBeUndefined();
      expect(ext.exitedAt).toBeLessThan(shutdown.deadlineMs);
    }
    const summaries = run.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown'));
    expect(summaries).toHaveLength(2);
    for (const summary of summaries) {
      expect(summary).toMatch(/ dropped=0 .* abandoned=0 /);
      expect(summary).toMatch(/ openInvocations=0/);
      expect(Number(/ exported=(\d+)/.exec(summary)![1])).toBe(Number(/ received=(\d+)/.exec(summary)![1]));
    }
  });
});
