/**
 * A death on managed instances, through cdk.out: the runtime process exits while three
 * invocations run in it (every worker lives in that process), so all three fail; the environment
 * is replaced at once. Each must stay visible, and nothing of what ran before may be lost.
 */
import { runModes, serverSpans, type ModesRun } from './modes-app';
import type { InvokeResult, TelemetryEvent } from '../../emulator/emulator';

describe('managed instances: the runtime exits with three invocations in flight', () => {
  let run: ModesRun;
  let before: InvokeResult[];
  let dying: InvokeResult[];
  let after: InvokeResult;
  const reportOf = (id: string): TelemetryEvent | undefined =>
    run.emulator.telemetry.find((e) => e.type === 'platform.report' && (e.record as { requestId?: string }).requestId === id);
  const bodies = (id: string) => run.receiver.logs().filter((l) => l.attributes['faas.invocation_id'] === id).map((l) => String(l.body).trim());

  beforeAll(async () => {
    run = await runModes({ template: 'capacity-provider', emulator: { maxConcurrency: 8 } });
    const emu = run.emulator;
    before = await Promise.all([emu.invoke({ n: 0, ms: 20 }), emu.invoke({ n: 1, ms: 40 })]);
    const sleepers = [emu.invoke({ n: 2, ms: 5_000 }), emu.invoke({ n: 3, ms: 5_000 })];
    await emu.waitFor(() => emu.inflight.length === 2);
    dying = await Promise.all([...sleepers, emu.invoke({ n: 4, crash: true })]);
    after = await emu.invoke({ n: 5 });
    await emu.shutdown();
  }, 120_000);

  afterAll(() => run?.close());

  test('all three fail with Runtime.ExitError and the environment is replaced', () => {
    expect(before.map((r) => r.status)).toEqual(['success', 'success']);
    expect(dying.map((r) => r.status)).toEqual(['failure', 'failure', 'failure']);
    for (const r of dying) expect(reportOf(r.requestId)!.record).toMatchObject({ status: 'failure', errorType: 'Runtime.ExitError' });
    expect(after.status).toBe('success');
    expect(after.init).toBeDefined();
    expect(run.emulator.shutdowns.map((s) => s.reason)).toEqual(['failure', 'spindown']);
  });

  test('each dead invocation: an ERROR span with the platform\'s error type, its logs, its report record', () => {
    const spans = serverSpans(run.receiver);
    expect([...spans.keys()].sort()).toEqual([...before, ...dying, after].map((r) => r.requestId).sort());
    dying.forEach((r, i) => {
      const span = spans.get(r.requestId)!;
      expect(span.status).toEqual({ code: 'STATUS_CODE_ERROR', message: 'Runtime.ExitError' });
      expect(span.attributes['telemetry_extension.incomplete']).toBeUndefined();
      expect(bodies(r.requestId)).toContain(`begin ${i + 2}`);
      const report = run.receiver.logs().find((l) => String(l.body).startsWith(`REPORT RequestId: ${r.requestId}`))!;
      const figures = (reportOf(r.requestId)!.record as { metrics: { durationMs: number } }).metrics;
      expect(report.attributes).toMatchObject({ 'error.type': 'Runtime.ExitError', 'aws.lambda.duration_ms': figures.durationMs });
      expect(report.traceId).toBe(span.traceId);
    });
    expect(bodies(dying[2].requestId)).toContain('crashing 4');
  });

  test('nothing of the invocations before and after is lost; the extension exits by itself each time', () => {
    [...before, after].forEach((r) => {
      const n = r === after ? 5 : before.indexOf(r);
      expect(bodies(r.requestId)).toEqual(expect.arrayContaining([`begin ${n}`, `end ${n}`]));
    });
    for (const shutdown of run.emulator.shutdowns) {
      const ext = shutdown.extensions.find((e) => e.name === 'telemetry-extension')!;
      expect(ext.exitCode).toBe(0);
      expect(ext.exitedAt).toBeLessThan(shutdown.deadlineMs);
    }
    const summaries = run.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown'));
    expect(summaries).toHaveLength(2);
    for (const summary of summaries) expect(summary).toMatch(/ dropped=0 .* abandoned=0 .*openInvocations=0/);
  });
});
