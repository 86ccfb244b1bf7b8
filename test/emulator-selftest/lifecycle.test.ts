import * as fs from 'node:fs';
import {
  closeAll, makeLayer, probes, startEmulator, waitProbe,
} from './helpers';
import type { TelemetryEvent } from '../emulator/emulator';

afterEach(closeAll);

function procState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

const isReportOf = (requestId: string) => (e: TelemetryEvent): boolean =>
  e.type === 'platform.report' && (e.record as { requestId: string }).requestId === requestId;

describe('lifecycle', () => {
  test('a cold start produces the documented platform event order', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ sub: { subscribe: { types: ['platform'] } } }) });

    const { requestId } = await emu.invoke({});

    const platform = emu.telemetry.filter((e) => e.type.startsWith('platform.')).map((e) => e.type);
    expect(platform).toEqual([
      'platform.initStart', 'platform.telemetrySubscription', 'platform.initRuntimeDone', 'platform.extension',
      'platform.initReport', 'platform.start', 'platform.runtimeDone', 'platform.report',
    ]);
    const runtimeDone = emu.telemetry.find((e) => e.type === 'platform.runtimeDone')?.record as Record<string, any>;
    expect(runtimeDone).toMatchObject({ requestId, status: 'success', metrics: { durationMs: expect.any(Number), producedBytes: expect.any(Number) } });
    expect(runtimeDone.spans.map((s: { name: string }) => s.name)).toEqual(['responseLatency', 'responseDuration', 'runtimeOverhead']);
  });

  test('after an invoke every process is stopped (T); the next invoke thaws them', async () => {
    // GIVEN
    const emu = await startEmulator({ layerDir: makeLayer({ worker: { delayNextMs: 300 } }) });
    await emu.invoke({});

    // THEN frozen
    const pids = emu.processes().map((p) => p.pid);
    expect(pids).toHaveLength(2);
    expect(pids.map(procState)).toEqual(['T', 'T']);
    expect(emu.frozen).toBe(true);

    // WHEN invoked again, the extension runs (it receives INVOKE and is not stopped while it works)
    const second = emu.invoke({});
    const invokeProbes = () => probes(emu, 'worker', 'event').length;
    await emu.waitFor(() => invokeProbes() === 2);
    expect(procState(emu.processes().find((p) => p.name === 'worker')?.pid as number)).not.toBe('T');
    await second;
    expect(pids.map(procState)).toEqual(['T', 'T']);
  });

  test('the invoke phase lasts until every extension called next; report comes after the freeze', async () => {
    // GIVEN an extension that works 200 ms after each INVOKE and a subscriber
    const emu = await startEmulator({
      layerDir: makeLayer({ slow: { delayNextMs: 200 }, sub: { subscribe: { types: ['platform'] } } }),
    });

    // WHEN
    const first = await emu.invoke({});

    // THEN next was delayed, and the phase (and the billed duration) includes that delay
    expect(first.extensionsNextAt.slow - first.startedAt).toBeGreaterThanOrEqual(200);
    expect(first.extensionsNextAt.sub).toBeLessThan(first.extensionsNextAt.slow);
    expect(first.durations.postRuntimeExtensionsMs).toBe(first.extensionsNextAt.slow - (first.runtimeResponseAt as number));
    expect(first.durations.durationMs).toBeGreaterThanOrEqual(199);
    expect(first.durations.billedDurationMs).toBe(Math.ceil(first.durations.durationMs));
    expect(first.durations.initDurationMs).toBeGreaterThan(0);

    // THEN the report of invocation 1 exists but was not delivered while frozen
    const report = emu.telemetry.find(isReportOf(first.requestId));
    expect(report?.record).toMatchObject({
      status: 'success',
      metrics: {
        durationMs: first.durations.durationMs,
        billedDurationMs: first.durations.billedDurationMs,
        memorySizeMB: 128,
        maxMemoryUsedMB: first.durations.maxMemoryUsedMB,
        initDurationMs: first.durations.initDurationMs,
      },
    });
    const carriesReport = () => emu.subscribers[0].deliveries.filter((d) => d.events.some(isReportOf(first.requestId)));
    expect(carriesReport()).toEqual([]);

    // WHEN invoked again THEN the report of invocation 1 is delivered during invocation 2
    const second = emu.invoke({});
    const delivery = await emu.waitFor(() => carriesReport().find((d) => d.outcome === 'delivered'));
    const secondResult = await second;
    expect(delivery.attempts[0].startedAt).toBeGreaterThanOrEqual(secondResult.startedAt);
    expect(secondResult.durations.initDurationMs).toBeUndefined();
  });

  test('the last report is delivered during SHUTDOWN to an extension that waits for it', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ sub: { subscribe: { types: ['platform'] }, exitDelayMs: 300 } }) });
    const { requestId } = await emu.invoke({});

    const shutdown = await emu.shutdown();

    const delivered = emu.subscribers[0].deliveries.find((d) => d.outcome === 'delivered' && d.events.some(isReportOf(requestId)));
    expect(delivered?.attempts[0].startedAt).toBeGreaterThanOrEqual(shutdown.startedAt);
    expect(shutdown.extensions[0]).toMatchObject({ name: 'sub', exitCode: 0 });
    expect(shutdown.extensions[0].killed).toBeUndefined();
    expect(shutdown.extensions[0].exitAfterMs).toBeGreaterThanOrEqual(295);
  });

  test('an invocation timeout resets the environment: SHUTDOWN timeout, and the next invoke re-inits (phase invoke)', async () => {
    // GIVEN
    const emu = await startEmulator({ handler: 'handlers.sleep', timeoutMs: 200, layerDir: makeLayer({ watcher: {} }) });
    const oldPids = emu.processes().map((p) => p.pid);

    // WHEN
    const result = await emu.invoke({ ms: 5000 });

    // THEN
    expect(result.status).toBe('timeout');
    expect(result.error?.errorMessage).toMatch(new RegExp(`${result.requestId} Task timed out after 0.20 seconds$`));
    expect((await emu.waitForEvent('platform.runtimeDone')).record).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timeout' });
    expect((await emu.waitForEvent('platform.report')).record).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timeout' });
    expect(emu.shutdowns[0].reason).toBe('timeout');
    expect(emu.shutdowns[0].runtime).toMatchObject({ signal: 'SIGTERM' });
    expect(probes(emu, 'watcher', 'event').map((p) => p.event.eventType === 'SHUTDOWN' ? p.event.shutdownReason : p.event.eventType))
      .toEqual(['INVOKE', 'timeout']);
    expect(emu.processes()).toEqual([]);

    // WHEN THEN
    const again = await emu.invoke({ ms: 1 });
    expect(again).toMatchObject({ status: 'success', response: { slept: 1 }, init: { phase: 'invoke', status: 'success' } });
    expect(emu.processes().map((p) => p.pid).some((pid) => oldPids.includes(pid))).toBe(false);
  });

  test('an extension that does not call next before the deadline times the invocation out', async () => {
    const emu = await startEmulator({ timeoutMs: 300, shutdownBudgetMs: 300, layerDir: makeLayer({ late: { delayNextMs: 5000 } }) });

    const result = await emu.invoke({ x: 1 });

    expect(result.status).toBe('timeout');
    expect(result.response).toMatchObject({ event: { x: 1 } });
    expect(result.extensionsNextAt).toEqual({});
  });

  test('SHUTDOWN: an extension that ignores it is SIGKILLed at deadlineMs; the runtime gets SIGTERM first', async () => {
    // GIVEN
    const emu = await startEmulator({
      shutdownBudgetMs: 400,
      layerDir: makeLayer({ stubborn: { onShutdown: 'ignore' }, polite: {} }),
    });

    // WHEN
    const shutdown = await emu.shutdown();

    // THEN
    const stubborn = shutdown.extensions.find((e) => e.name === 'stubborn');
    const polite = shutdown.extensions.find((e) => e.name === 'polite');
    expect(stubborn).toMatchObject({ signal: 'SIGKILL', killed: 'at-deadline', registered: true });
    expect(stubborn?.exitedAt).toBeGreaterThanOrEqual(shutdown.deadlineMs);
    expect(polite).toMatchObject({ exitCode: 0, signal: null });
    expect(polite?.killed).toBeUndefined();
    expect(shutdown.runtime).toMatchObject({ signal: 'SIGTERM' });
    expect(shutdown.runtime?.exitedAt).toBeLessThanOrEqual(stubborn?.shutdownDeliveredAt as number);
    expect(shutdown.deadlineMs - shutdown.startedAt).toBe(400);
    expect(emu.processes()).toEqual([]);
    await waitProbe(emu, 'stubborn', 'event', (p) => p.event.eventType === 'SHUTDOWN');
  });

  test('maxMemoryUsedMB is the peak RSS of the environment\'s processes', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ hungry: { allocateMB: 96 } }) });

    const result = await emu.invoke({});

    expect(result.durations.maxMemoryUsedMB).toBeGreaterThan(96 + 20);
    expect(result.durations.maxMemoryUsedMB).toBeLessThan(1024);
  });

  test('after a spindown shutdown the next invoke is a new cold start (phase init)', async () => {
    const emu = await startEmulator();
    await emu.invoke({});
    await emu.shutdown();

    const result = await emu.invoke({});

    expect(result.init).toMatchObject({ phase: 'init', status: 'success' });
    expect(result.durations.initDurationMs).toBeGreaterThan(0);
  });
});
