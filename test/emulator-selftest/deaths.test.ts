/**
 * Invocations that die, and what the platform reports for each (AWS: "Lambda execution
 * environment lifecycle", Invoke phase failures and Shutdown; "Telemetry API Event schema
 * reference", platform.runtimeDone / platform.report status and errorType; lambda-apis.md §3).
 */
import { closeAll, makeLayer, probes, startEmulator } from './helpers';
import type { EmulatorOptions, InvokeResult, LambdaEmulator } from '../emulator/emulator';

afterEach(closeAll);

interface Death {
  readonly name: string;
  readonly options: Partial<EmulatorOptions>;
  readonly payload: unknown;
  readonly extension?: Record<string, unknown>;
  readonly runtimeDone: Record<string, unknown>;
  readonly report: Record<string, unknown>;
  readonly reason: string;
}

const DEATHS: Death[] = [
  {
    name: 'out of memory',
    options: { handler: 'handlers.grow', memorySizeMB: 256, enforceMemoryLimit: true },
    payload: { mb: 512, holdMs: 2000 },
    runtimeDone: { status: 'error', errorType: 'Runtime.OutOfMemory' },
    report: { status: 'error', errorType: 'Runtime.OutOfMemory' },
    reason: 'failure',
  },
  {
    name: 'runtime exit',
    options: { handler: 'handlers.crash' },
    payload: {},
    runtimeDone: { status: 'failure', errorType: 'Runtime.ExitError' },
    report: { status: 'failure', errorType: 'Runtime.ExitError' },
    reason: 'failure',
  },
  {
    name: 'timeout during the response',
    options: { handler: 'handlers.sleep', timeoutMs: 300 },
    payload: { ms: 2000 },
    runtimeDone: { status: 'timeout', errorType: 'Sandbox.Timeout' },
    report: { status: 'timeout', errorType: 'Sandbox.Timeout' },
    reason: 'timeout',
  },
  {
    name: 'timeout after the response (an extension holds next)',
    options: { handler: 'handlers.echo', timeoutMs: 300 },
    payload: {},
    extension: { delayNextMs: 2000 },
    runtimeDone: { status: 'success' },
    report: { status: 'timeout', errorType: 'Sandbox.Timeout' },
    reason: 'timeout',
  },
  {
    name: 'extension crash',
    options: { handler: 'handlers.sleep' },
    payload: { ms: 500 },
    extension: { crashOnInvoke: 2 },
    runtimeDone: { status: 'failure', errorType: 'Extension.Crash' },
    report: { status: 'failure', errorType: 'Extension.Crash' },
    reason: 'failure',
  },
];

const recordOf = (emu: LambdaEmulator, type: string, requestId: string): Record<string, unknown> | undefined =>
  emu.telemetry.find((e) => e.type === type && (e.record as { requestId?: string }).requestId === requestId)?.record as Record<string, unknown>;

describe.each(DEATHS)('an invocation that dies: $name', (death) => {
  test('runtimeDone / report status and errorType, the SHUTDOWN reason, and the reset that follows', async () => {
    const emu = await startEmulator({
      ...death.options,
      layerDir: makeLayer({ watcher: { events: ['SHUTDOWN'] }, ...(death.extension ? { worker: death.extension } : {}) }),
    });
    const watcherPid = emu.processes().find((p) => p.name === 'watcher')?.pid;

    const died: InvokeResult = await emu.invoke(death.payload);

    expect(died.status).toBe(death.report.status);
    expect(died.error?.errorType).toBe(death.report.errorType);
    expect(recordOf(emu, 'platform.runtimeDone', died.requestId)).toMatchObject(death.runtimeDone);
    expect(recordOf(emu, 'platform.runtimeDone', died.requestId)?.errorType).toBe(death.runtimeDone.errorType);
    expect(recordOf(emu, 'platform.report', died.requestId)).toMatchObject(death.report);
    // the environment is reset: SHUTDOWN with the reason, to the extensions still alive
    expect(emu.shutdowns.map((s) => s.reason)).toEqual([death.reason]);
    expect(probes(emu, 'watcher', 'event').map((p) => p.event)).toEqual([expect.objectContaining({ eventType: 'SHUTDOWN', shutdownReason: death.reason })]);
    // the next invoke re-inits (phase invoke) in new processes
    const next = await emu.invoke(death.name === 'out of memory' ? { mb: 16 } : { ms: 1 });
    expect(next.init).toMatchObject({ phase: 'invoke', status: 'success' });
    expect(recordOf(emu, 'platform.report', next.requestId)).toMatchObject({ metrics: { initDurationMs: expect.any(Number) } });
    expect(emu.processes().find((p) => p.name === 'watcher')?.pid).not.toBe(watcherPid);
  });
});
