/**
 * Lambda Managed Instances, through cdk.out (a function with a `CapacityProviderConfig`): seven
 * concurrent invocations in one environment, their events interleaved in the same batches, no
 * INVOKE, no runtimeDone; SHUTDOWN while the last one still runs.
 */
import { durationMs, runModes, serverSpans, type ModesRun } from './modes-app';
import type { InvokeResult, ShutdownRecord, TelemetryEvent } from '../../emulator/emulator';

const DURATIONS = [120, 60, 200, 90, 150, 40];
/** Ends about 800 ms into SHUTDOWN: after the 525 ms a buffered report gets, within the 60% a running one gets. */
const LAST_MS = 1_000;

describe('managed instances: seven interleaved invocations, SHUTDOWN while one runs', () => {
  let run: ModesRun;
  let results: InvokeResult[];
  let shutdown: ShutdownRecord;
  const reportOf = (id: string) => run.emulator.telemetry.find((e) => e.type === 'platform.report' && (e.record as { requestId?: string }).requestId === id) as TelemetryEvent;

  beforeAll(async () => {
    run = await runModes({ template: 'capacity-provider', emulator: { maxConcurrency: 8 } });
    const emu = run.emulator;
    const first = DURATIONS.map((ms, n) => emu.invoke({ n, ms }));
    const last = emu.invoke({ n: 6, ms: LAST_MS });
    const done = await Promise.all(first);
    await emu.waitFor(() => emu.inflight.length === 1);
    shutdown = await emu.shutdown();
    results = [...done, await last];
  }, 120_000);

  afterAll(() => run?.close());

  test('the template made it a managed-instances function; the extension registered for SHUTDOWN only', () => {
    expect(run.fn.initializationType).toBe('lambda-managed-instances');
    expect(run.emulator.extensions().map((e) => e.events)).toEqual([['SHUTDOWN']]);
    expect(run.emulator.telemetry.some((e) => e.type === 'platform.runtimeDone')).toBe(false);
    // Several invocations' events were in one delivery.
    const idOf = (e: TelemetryEvent) => (e.record as { requestId?: string }).requestId;
    const requestIds = (events: readonly TelemetryEvent[]) => new Set(events.map(idOf).filter(Boolean));
    const mixed = run.emulator.subscribers[0].deliveries.some((d) => requestIds(d.events).size > 1);
    expect(mixed).toBe(true);
  });

  test('the last invocation was still running when SHUTDOWN came, and its report came during SHUTDOWN', () => {
    expect(results.map((r) => r.status)).toEqual(Array(7).fill('success'));
    const last = results[6];
    expect(last.startedAt).toBeLessThan(shutdown.startedAt);
    expect(Date.parse(reportOf(last.requestId).time)).toBeGreaterThanOrEqual(shutdown.startedAt);
  });

  test('each invocation has its own span, with the duration of its report, none incomplete', () => {
    const spans = serverSpans(run.receiver);
    expect([...spans.keys()].sort()).toEqual(results.map((r) => r.requestId).sort());
    for (const r of results) {
      const span = spans.get(r.requestId)!;
      const report = reportOf(r.requestId).record as { metrics: { durationMs: number } };
      expect(durationMs(span)).toBeCloseTo(report.metrics.durationMs, 0);
      expect(span.attributes['telemetry_extension.incomplete']).toBeUndefined();
      expect(span.status.code).toBeUndefined();
    }
    expect(durationMs(spans.get(results[6].requestId)!)).toBeGreaterThanOrEqual(LAST_MS);
    expect(new Set([...spans.values()].map((s) => s.spanId)).size).toBe(7);
  });

  test('each invocation\'s log lines carry its own request id and trace context', () => {
    const spans = serverSpans(run.receiver);
    const logs = run.receiver.logs();
    results.forEach((r, n) => {
      const mine = logs.filter((l) => /^(begin|end) \d$/.test(String(l.body).trim()) && l.attributes['faas.invocation_id'] === r.requestId);
      expect(mine.map((l) => String(l.body).trim()).sort()).toEqual([`begin ${n}`, `end ${n}`]);
      for (const l of mine) {
        expect(l.traceId).toBe(spans.get(r.requestId)!.traceId);
        expect(l.spanId).toBe(spans.get(r.requestId)!.spanId);
      }
    });
  });

  test('no invocation is a cold start: the environment was initialised before it took traffic', () => {
    const spans = serverSpans(run.receiver);
    for (const r of results) expect(spans.get(r.requestId)!.attributes['faas.coldstart']).toBe(false);
    const coldstarts = run.receiver.metrics().filter((m) => m.name === 'faas.coldstarts').flatMap((m) => m.dataPoints);
    expect(coldstarts.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(0);
  });

  test('each report\'s figures become invoke-duration points: seven in all', () => {
    const points = run.receiver.metrics().filter((m) => m.name === 'faas.invoke_duration').flatMap((m) => m.dataPoints);
    expect(points.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(7);
    const sum = points.reduce((n, p) => n + (p.sum ?? 0), 0);
    const reported = results.reduce((n, r) => n + (reportOf(r.requestId).record as { metrics: { durationMs: number } }).metrics.durationMs, 0);
    expect(sum).toBeCloseTo(reported / 1000, 3);
  });

  test('nothing lost, and the extension exits by itself before the deadline', () => {
    const ext = shutdown.extensions.find((e) => e.name === 'telemetry-extension')!;
    expect(ext.exitCode).toBe(0);
    expect(ext.killed).toBeUndefined();
    expect(ext.exitedAt).toBeLessThan(shutdown.deadlineMs);
    const summary = run.emulator.linesOf('telemetry-extension').find((l) => l.includes('INFO shutdown'))!;
    expect(summary).toMatch(/ dropped=0 /);
    expect(summary).toMatch(/ abandoned=0 /);
    expect(summary).toMatch(/ openInvocations=0/);
    const received = Number(/ received=(\d+)/.exec(summary)![1]);
    const exported = Number(/ exported=(\d+)/.exec(summary)![1]);
    expect(exported).toBe(received);
    // Every event delivered before exit was accepted: none left undelivered with the listener gone.
    expect(run.emulator.subscribers[0].dropped).toEqual({ records: 0, bytes: 0 });
  });
});
