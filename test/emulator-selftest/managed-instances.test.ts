/**
 * Lambda Managed Instances (AWS: "Understanding the Lambda Managed Instances execution
 * environment"; "Using the Lambda runtime API", concurrent `/next`; lambda-apis.md §9).
 */
import {
  closeAll, makeLayer, probes, startEmulator, waitProbe,
} from './helpers';
import { TooManyRequestsError, type LambdaEmulator, type TelemetryEvent } from '../emulator/emulator';

afterEach(closeAll);

const MANAGED = { initializationType: 'lambda-managed-instances' as const };
const SCHEMA = '2025-01-29';
const listener = (extra: Record<string, unknown> = {}) => ({
  events: ['SHUTDOWN'], subscribe: { schemaVersion: SCHEMA, types: ['platform', 'function'], ...extra },
});
const recordOf = (e: TelemetryEvent) => e.record as Record<string, any>;
const reportOf = (emu: LambdaEmulator, requestId: string) =>
  emu.telemetry.find((e) => e.type === 'platform.report' && recordOf(e).requestId === requestId);

describe('managed instances', () => {
  test('registering for INVOKE is refused with 403 Extension.InvalidEventType; SHUTDOWN alone is accepted', async () => {
    const refused = await startEmulator({ ...MANAGED, layerDir: makeLayer({ both: {} }) });
    const accepted = await startEmulator({ ...MANAGED, layerDir: makeLayer({ shutdownOnly: { events: ['SHUTDOWN'] } }) });

    expect(probes(refused, 'both', 'register')[0]).toMatchObject({
      status: 403, body: { errorType: 'Extension.InvalidEventType', errorMessage: expect.stringContaining('INVOKE') },
    });
    expect(refused.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.Crash' });
    expect(probes(accepted, 'shutdownOnly', 'register')[0]).toMatchObject({ status: 200 });
    expect(accepted.extensions()).toEqual([expect.objectContaining({ name: 'shutdownOnly', events: ['SHUTDOWN'] })]);
  });

  test('the Telemetry API requires schema 2025-01-29 (400 ValidationError otherwise)', async () => {
    const body = (schemaVersion: string) => ({
      schemaVersion, types: ['platform'], destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243' },
    });
    const emu = await startEmulator({
      ...MANAGED, layerDir: makeLayer({ sub: { events: ['SHUTDOWN'], subscribeBodies: [body('2022-12-13'), body(SCHEMA)] } }),
    });

    const [old, current] = probes(emu, 'sub', 'subscribe-attempt');
    expect(old).toMatchObject({ status: 400, body: { errorType: 'ValidationError', errorMessage: expect.stringContaining(SCHEMA) } });
    expect(current).toMatchObject({ status: 200, body: 'OK' });
  });

  test('the environment exposes AWS_LAMBDA_INITIALIZATION_TYPE and AWS_LAMBDA_MAX_CONCURRENCY', async () => {
    const emu = await startEmulator({
      ...MANAGED,
      maxConcurrency: 3,
      layerDir: makeLayer({ env: { events: ['SHUTDOWN'], probeEnv: ['AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_MAX_CONCURRENCY'] } }),
    });

    expect(probes(emu, 'env', 'env')[0].values).toEqual({
      AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances', AWS_LAMBDA_MAX_CONCURRENCY: '3',
    });
    expect(emu.telemetry.find((e) => e.type === 'platform.initStart')?.record).toMatchObject({ initializationType: 'lambda-managed-instances' });
  });

  test('invocations run concurrently, never frozen, events interleaved in the same batches, no runtimeDone', async () => {
    const emu = await startEmulator({
      ...MANAGED, maxConcurrency: 4, handler: 'handlers.logSleep', layerDir: makeLayer({ sub: listener({ probeBatches: true }) }),
    });

    const results = await Promise.all([0, 1, 2].map((n) => emu.invoke({ n, ms: 300 })));

    // THEN they overlapped in one environment
    const starts = results.map((r) => r.startedAt);
    const ends = results.map((r) => r.endedAt);
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
    expect(emu.inits).toHaveLength(1);
    expect(results.map((r) => r.response)).toEqual([0, 1, 2].map((n) => ({ n, requestId: results[n].requestId })));
    // never frozen
    expect(emu.frozen).toBe(false);
    expect(emu.processes().map((p) => p.state)).not.toContain('T');
    // no runtimeDone; reports with only durationMs and the response spans
    expect(emu.telemetry.filter((e) => e.type === 'platform.runtimeDone')).toEqual([]);
    for (const r of results) {
      const report = recordOf(reportOf(emu, r.requestId) as TelemetryEvent);
      expect(report).toMatchObject({ status: 'success', metrics: { durationMs: r.durations.durationMs } });
      expect(Object.keys(report.metrics)).toEqual(['durationMs']);
      expect(report.spans.map((s: { name: string }) => s.name)).toEqual(['responseLatency', 'responseDuration']);
    }
    // one delivered batch holds events of several invocations
    await emu.waitFor(() => emu.delivered('sub').filter((e) => e.type === 'platform.report').length === 3);
    const mixed = emu.subscribers[0].deliveries.find((d) => {
      const ids = new Set(d.events.filter((e) => e.type === 'platform.start').map((e) => recordOf(e).requestId));
      return ids.size > 1;
    });
    expect(mixed).toBeDefined();
    // each log line carries its own invocation's request id
    for (const r of results) {
      const n = (r.response as { n: number }).n;
      expect(emu.linesOf('runtime').filter((l) => l.includes(`\t${r.requestId}\t`)).map((l) => l.split('\t')[3])).toEqual([`begin ${n}`, `end ${n}`]);
    }
  });

  test('one invocation more than maxConcurrency is refused', async () => {
    const emu = await startEmulator({ ...MANAGED, maxConcurrency: 2, handler: 'handlers.sleep' });

    const running = [emu.invoke({ ms: 300 }), emu.invoke({ ms: 300 })];
    await emu.waitFor(() => emu.inflight.length === 2);

    await expect(emu.invoke({ ms: 1 })).rejects.toThrow(TooManyRequestsError);
    await Promise.all(running);
  });

  test('a timeout fails that invocation only: the others and the environment go on', async () => {
    const emu = await startEmulator({ ...MANAGED, timeoutMs: 300, handler: 'handlers.sleep' });

    const [slow, quick] = await Promise.all([emu.invoke({ ms: 1000 }), emu.invoke({ ms: 10 })]);

    expect(slow).toMatchObject({ status: 'timeout', error: { errorType: 'Sandbox.Timeout' } });
    expect(reportOf(emu, slow.requestId)?.record).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timeout' });
    expect(quick.status).toBe('success');
    expect(emu.shutdowns).toEqual([]);
    expect((await emu.invoke({ ms: 1 })).init).toBeUndefined();
  });

  test('SHUTDOWN while an invocation runs: SIGTERM and SHUTDOWN at once, the invocation completes and is reported', async () => {
    const emu = await startEmulator({
      ...MANAGED, handler: 'handlers.sleep', layerDir: makeLayer({ sub: { ...listener(), exitDelayMs: 600 } }),
    });
    const running = emu.invoke({ ms: 300 });
    await emu.waitFor(() => emu.inflight.length === 1);

    const shutdown = await emu.shutdown();
    const result = await running;

    expect(result.status).toBe('success');
    const sub = shutdown.extensions.find((x) => x.name === 'sub');
    expect(sub?.shutdownDeliveredAt).toBeLessThan(result.endedAt);
    expect(shutdown.runtime?.exitedAt).toBeGreaterThanOrEqual(result.endedAt);
    const report = reportOf(emu, result.requestId) as TelemetryEvent;
    expect(Date.parse(report.time)).toBeGreaterThanOrEqual(sub?.shutdownDeliveredAt as number);
    await waitProbe(emu, 'sub', 'event', (p) => p.event.eventType === 'SHUTDOWN');
  });

  test('an extension crash fails the invocations in flight (Extension.Crash) and resets the environment', async () => {
    const emu = await startEmulator({
      ...MANAGED, handler: 'handlers.sleep', layerDir: makeLayer({ sub: listener({ crashOnType: 'platform.start' }) }),
    });

    const crashed = await emu.invoke({ ms: 2000 });
    // the unhealthy environment is replaced at once, not at the next invoke (waitFor fails otherwise)
    await emu.waitFor(() => emu.shutdowns[0]);
    const next = await emu.invoke({ ms: 1 });

    expect(crashed).toMatchObject({ status: 'failure', error: { errorType: 'Extension.Crash' } });
    expect(emu.shutdowns.map((s) => s.reason)).toEqual(['failure']);
    expect(next.init).toMatchObject({ phase: 'invoke', initializationType: 'lambda-managed-instances', status: 'success' });
  });
});
