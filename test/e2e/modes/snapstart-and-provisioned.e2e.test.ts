/**
 * SnapStart (a function with `SnapStart.ApplyOn: PublishedVersions` in cdk.out) and provisioned
 * concurrency: the init runs long before the first invoke; the telemetry of that invoke must
 * describe this start (the restore), not the snapshot's creation, and a provisioned init is not a
 * cold start of the invocation that follows.
 */
import { durationMs, runModes, serverSpans, type ModesRun } from './modes-app';
import type { InvokeResult, TelemetryEvent } from '../../emulator/emulator';

const recordOf = (run: ModesRun, type: string): TelemetryEvent => run.emulator.telemetry.find((e) => e.type === type)!;
const reportLog = (run: ModesRun, id: string) => run.receiver.logs().find((l) => String(l.body).startsWith(`REPORT RequestId: ${id}`));

describe('SnapStart: the first invoke restores the snapshot', () => {
  let run: ModesRun;
  let results: InvokeResult[];

  beforeAll(async () => {
    run = await runModes({ template: 'snap-start' });
    results = [await run.emulator.invoke({ n: 0 }), await run.emulator.invoke({ n: 1 })];
    await run.emulator.shutdown();
  }, 120_000);

  afterAll(() => run?.close());

  test('the template made it a SnapStart function; one snapshot, one restore, both invocations succeed', () => {
    expect(run.fn.initializationType).toBe('snap-start');
    expect(run.emulator.restores).toHaveLength(1);
    expect(run.emulator.restores[0].status).toBe('success');
    expect(results.map((r) => r.status)).toEqual(['success', 'success']);
    expect(results[0].durations.restoreDurationMs).toBeDefined();
  });

  test('the first invocation is the cold start, with the restore as its child span, of the restore\'s duration', () => {
    const spans = serverSpans(run.receiver);
    const first = spans.get(results[0].requestId)!;
    expect(first.attributes['faas.coldstart']).toBe(true);
    expect(spans.get(results[1].requestId)!.attributes['faas.coldstart']).toBe(false);
    const restore = run.receiver.spans().filter((s) => s.name === 'restore');
    expect(restore).toHaveLength(1);
    expect(restore[0].parentSpanId).toBe(first.spanId);
    expect(restore[0].traceId).toBe(first.traceId);
    expect(restore[0].status.code).toBeUndefined();
    const report = recordOf(run, 'platform.restoreReport').record as { metrics: { durationMs: number } };
    expect(durationMs(restore[0])).toBeCloseTo(report.metrics.durationMs, 0);
    expect(Number(restore[0].startTimeUnixNano / 1_000_000n)).toBeGreaterThanOrEqual(run.emulator.restores[0].snapshotAt);
  });

  test('the snapshot\'s init is its own root span, before the snapshot, not part of the restored invocation', () => {
    const init = run.receiver.spans().filter((s) => s.name === 'init');
    expect(init).toHaveLength(1);
    expect(init[0].parentSpanId).toBeUndefined();
    expect(init[0].attributes['aws.lambda.initialization_type']).toBe('snap-start');
    const first = serverSpans(run.receiver).get(results[0].requestId)!;
    expect(init[0].traceId).not.toBe(first.traceId);
    expect(Number(init[0].endTimeUnixNano / 1_000_000n)).toBeLessThanOrEqual(run.emulator.restores[0].snapshotAt);
  });

  test('the restore\'s figures: its duration metric and the report\'s Restore Duration, no Init Duration', () => {
    const points = run.receiver.metrics().filter((m) => m.name === 'aws.lambda.restore_duration').flatMap((m) => m.dataPoints);
    expect(points.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(1);
    const log = reportLog(run, results[0].requestId)!;
    expect(log.attributes['aws.lambda.restore_duration_ms']).toBe(results[0].durations.restoreDurationMs);
    expect(log.attributes['aws.lambda.init_duration_ms']).toBeUndefined();
    expect(run.receiver.logs().some((l) => String(l.body).trim() === 'after restore')).toBe(true);
  });

  test('nothing lost; the extension exits by itself', () => {
    const shutdown = run.emulator.shutdowns.at(-1)!;
    const ext = shutdown.extensions.find((e) => e.name === 'telemetry-extension')!;
    expect(ext.exitCode).toBe(0);
    expect(ext.exitedAt).toBeLessThan(shutdown.deadlineMs);
    const summary = run.emulator.linesOf('telemetry-extension').find((l) => l.includes('INFO shutdown'))!;
    expect(summary).toMatch(/ dropped=0 .* abandoned=0 /);
  });
});

describe('provisioned concurrency: init long before the first invoke', () => {
  let run: ModesRun;
  let results: InvokeResult[];

  beforeAll(async () => {
    run = await runModes({ emulator: { initializationType: 'provisioned-concurrency' } });
    results = [await run.emulator.invoke({ n: 0 }), await run.emulator.invoke({ n: 1 })];
    await run.emulator.shutdown();
  }, 120_000);

  afterAll(() => run?.close());

  test('the first invocation is not a cold start; no cold-start count', () => {
    const spans = serverSpans(run.receiver);
    expect([...spans.keys()].sort()).toEqual(results.map((r) => r.requestId).sort());
    for (const r of results) expect(spans.get(r.requestId)!.attributes['faas.coldstart']).toBe(false);
    const coldstarts = run.receiver.metrics().filter((m) => m.name === 'faas.coldstarts').flatMap((m) => m.dataPoints);
    expect(coldstarts.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(0);
    expect(reportLog(run, results[0].requestId)!.attributes['aws.lambda.init_duration_ms']).toBeUndefined();
  });

  test('the init span is present, a root of its own, with the init\'s duration and type', () => {
    const init = run.receiver.spans().filter((s) => s.name === 'init');
    expect(init).toHaveLength(1);
    expect(init[0].parentSpanId).toBeUndefined();
    expect(init[0].attributes['aws.lambda.initialization_type']).toBe('provisioned-concurrency');
    const report = recordOf(run, 'platform.initReport').record as { metrics: { durationMs: number } };
    expect(durationMs(init[0])).toBeCloseTo(report.metrics.durationMs, 0);
    const first = serverSpans(run.receiver).get(results[0].requestId)!;
    expect(init[0].traceId).not.toBe(first.traceId);
  });

  test('nothing lost; the extension exits by itself', () => {
    const summary = run.emulator.linesOf('telemetry-extension').find((l) => l.includes('INFO shutdown'))!;
    expect(summary).toMatch(/ dropped=0 .* abandoned=0 /);
    expect(run.emulator.shutdowns.at(-1)!.extensions[0].exitCode).toBe(0);
  });
});
