/**
 * SnapStart (AWS: "Lambda execution environment lifecycle" Init with SnapStart, "Monitoring for
 * Lambda SnapStart", "Lambda SnapStart runtime hooks", "Implementing SnapStart hooks for container
 * images" restore/next) and provisioned concurrency ("Configuring provisioned concurrency").
 */
import { closeAll, FIXTURES, makeLayer, probes, startEmulator } from './helpers';
import type { TelemetryEvent } from '../emulator/emulator';

afterEach(closeAll);

const SNAP = { initializationType: 'snap-start' as const, handlerDir: FIXTURES, handler: 'snapstart-handlers.handler' };
const recordOf = (e: TelemetryEvent | undefined) => e?.record as Record<string, any>;
const platformTypes = (events: readonly TelemetryEvent[]) => events.filter((e) => e.type.startsWith('platform.')).map((e) => e.type);

describe('SnapStart', () => {
  test('Init creates the snapshot (frozen); the first invoke restores it with restore events and restoreDurationMs', async () => {
    const emu = await startEmulator({ ...SNAP, layerDir: makeLayer({ sub: { subscribe: { types: ['platform', 'function'] } } }) });
    const pidsAtSnapshot = emu.processes().map((p) => p.pid);
    expect(emu.frozen).toBe(true);
    expect(emu.inits[0]).toMatchObject({ phase: 'init', initializationType: 'snap-start', status: 'success' });

    const result = await emu.invoke({});

    // THEN the init events describe the snapshot's creation, the restore events this start
    expect(platformTypes(emu.telemetry)).toEqual([
      'platform.initStart', 'platform.telemetrySubscription', 'platform.initRuntimeDone', 'platform.extension', 'platform.initReport',
      'platform.restoreStart', 'platform.restoreRuntimeDone', 'platform.restoreReport',
      'platform.start', 'platform.runtimeDone', 'platform.report',
    ]);
    const find = (type: string) => emu.telemetry.find((e) => e.type === type);
    expect(recordOf(find('platform.initStart'))).toMatchObject({ initializationType: 'snap-start', phase: 'init' });
    expect(recordOf(find('platform.initReport'))).toMatchObject({ initializationType: 'snap-start', status: 'success' });
    expect(recordOf(find('platform.restoreRuntimeDone'))).toEqual({ status: 'success' });
    const restore = emu.restores[0];
    expect(recordOf(find('platform.restoreReport'))).toEqual({ status: 'success', metrics: { durationMs: expect.any(Number) } });
    expect(Date.parse(find('platform.restoreStart')?.time as string)).toBeGreaterThanOrEqual(restore.snapshotAt);
    // a new environment: new instanceId, but the same processes (restored from the snapshot)
    expect(recordOf(find('platform.restoreStart')).instanceId).toBe(restore.instanceId);
    expect(restore.instanceId).not.toBe(recordOf(find('platform.initStart')).instanceId);
    expect(emu.processes().map((p) => p.pid)).toEqual(pidsAtSnapshot);
    // the report: restoreDurationMs, no initDurationMs
    const report = recordOf(find('platform.report'));
    expect(report.metrics.restoreDurationMs).toBe(result.durations.restoreDurationMs);
    expect(report.metrics.initDurationMs).toBeUndefined();
    expect(result.durations.initDurationMs).toBeUndefined();
    // the after-restore hook ran after the snapshot; state from Init (ids) is the snapshot's
    expect(emu.linesOf('runtime').some((l) => l.includes('after restore: ok'))).toBe(true);
    const body = result.response as { createdAt: number; restoredAt: number };
    expect(body.createdAt).toBeLessThanOrEqual(restore.snapshotAt);
    expect(body.restoredAt).toBeGreaterThanOrEqual(restore.startedAt);
    // the second invoke is warm: no restore
    const second = await emu.invoke({});
    expect(second.durations.restoreDurationMs).toBeUndefined();
    expect(emu.restores).toHaveLength(1);
  });

  test('SnapStart functions have no AWS_LAMBDA_LOG_GROUP_NAME / AWS_LAMBDA_LOG_STREAM_NAME', async () => {
    const emu = await startEmulator({
      ...SNAP, layerDir: makeLayer({ env: { probeEnv: ['AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_LAMBDA_INITIALIZATION_TYPE'] } }),
    });

    expect(probes(emu, 'env', 'env')[0].values).toEqual({ AWS_LAMBDA_LOG_STREAM_NAME: null, AWS_LAMBDA_INITIALIZATION_TYPE: 'snap-start' });
  });

  test('an after-restore hook that fails: restore failure, the invoke fails, the next one restores a new snapshot', async () => {
    const emu = await startEmulator({ ...SNAP, env: { AFTER_RESTORE: 'fail' } });

    const failed = await emu.invoke({});

    expect(failed).toMatchObject({ status: 'failure', error: { errorType: 'Error' } });
    expect(recordOf(emu.telemetry.find((e) => e.type === 'platform.restoreRuntimeDone'))).toEqual({ status: 'failure', errorType: 'Error' });
    expect(recordOf(emu.telemetry.find((e) => e.type === 'platform.restoreReport'))).toMatchObject({ status: 'failure', errorType: 'Error' });
    expect(emu.shutdowns.map((s) => s.reason)).toEqual(['failure']);
    expect(emu.telemetry.some((e) => e.type === 'platform.start')).toBe(false);
    await emu.invoke({});
    expect(emu.inits.map((i) => i.phase)).toEqual(['init', 'init']);
    expect(emu.restores).toHaveLength(2);
  });

  test('the restore is limited in time (restoreTimeoutMs): a hook that hangs times the restore out', async () => {
    const emu = await startEmulator({ ...SNAP, env: { AFTER_RESTORE: 'hang' }, restoreTimeoutMs: 300 });

    const failed = await emu.invoke({});

    expect(failed).toMatchObject({ status: 'timeout', error: { errorType: 'Sandbox.Timeout' } });
    expect(emu.restores[0]).toMatchObject({ status: 'timeout' });
    expect(emu.restores[0].durationMs).toBeGreaterThanOrEqual(299);
    expect(emu.shutdowns.map((s) => s.reason)).toEqual(['timeout']);
  });
});

test('SnapStart: an extension that crashes during the restore fails it (Extension.Crash)', async () => {
  const emu = await startEmulator({
    ...SNAP,
    env: { AFTER_RESTORE: 'slow' },
    layerDir: makeLayer({ sub: { subscribe: { types: ['platform'], crashOnType: 'platform.restoreStart' } } }),
  });

  const failed = await emu.invoke({});

  expect(failed).toMatchObject({ status: 'failure', error: { errorType: 'Extension.Crash' } });
  expect(recordOf(emu.telemetry.find((e) => e.type === 'platform.restoreReport'))).toMatchObject({ status: 'failure', errorType: 'Extension.Crash' });
  expect(emu.shutdowns.map((s) => s.reason)).toEqual(['failure']);
});

describe('provisioned concurrency', () => {
  test('Init runs at start with initializationType provisioned-concurrency; the first invoke is not a cold start', async () => {
    const emu = await startEmulator({
      initializationType: 'provisioned-concurrency', layerDir: makeLayer({ sub: { subscribe: { types: ['platform'] } } }),
    });
    const initEnded = emu.inits[0].endedAt;
    expect(emu.frozen).toBe(true);

    const first = await emu.invoke({});

    expect(first.startedAt).toBeGreaterThanOrEqual(initEnded);
    expect(first.init).toBeUndefined();
    expect(first.durations.initDurationMs).toBeUndefined();
    const report = recordOf(emu.telemetry.find((e) => e.type === 'platform.report'));
    expect(report.metrics.initDurationMs).toBeUndefined();
    for (const type of ['platform.initStart', 'platform.initRuntimeDone', 'platform.initReport']) {
      expect(recordOf(emu.telemetry.find((e) => e.type === type))).toMatchObject({ initializationType: 'provisioned-concurrency', phase: 'init' });
    }
  });
});
