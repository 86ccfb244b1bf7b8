import { closeAll, makeLayer, startEmulator } from './helpers';
import type { LambdaEmulator, TelemetryEvent } from '../emulator/emulator';
import { OVERFLOW_REASON } from '../emulator/telemetry-dispatcher';

afterEach(closeAll);

// The fake extensions hold `next` until their listener answered what the test needs (as a real
// telemetry extension waits for platform.runtimeDone), so deliveries happen before the freeze;
// the emulator may read the last answer just after it.

const deliveredBatches = (emu: LambdaEmulator, name: string): TelemetryEvent[][] =>
  emu.subscribers.filter((s) => s.extensionName === name)
    .flatMap((s) => s.deliveries.filter((d) => d.outcome === 'delivered').map((d) => [...d.events]));

describe('telemetry delivery (end to end)', () => {
  test('events produced before the subscription are replayed to it', async () => {
    const emu = await startEmulator({
      layerDir: makeLayer({ sub: { subscribe: { types: ['platform', 'function'] }, holdNext: { runtimeDone: true } } }),
    });

    await emu.invoke({});

    const events = await emu.waitFor(() => emu.delivered('sub').some((e) => e.type === 'platform.runtimeDone') && emu.delivered('sub'));
    expect(events[0].type).toBe('platform.initStart');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['platform.telemetrySubscription', 'platform.start', 'platform.runtimeDone']));
    expect(events.some((e) => e.type === 'function' && String(e.record).includes('cold start'))).toBe(true);
  });

  test('types filter what a subscriber receives', async () => {
    const emu = await startEmulator({
      handler: 'handlers.logs',
      layerDir: makeLayer({
        'platform-only': { subscribe: { types: ['platform'] }, holdNext: { runtimeDone: true }, logOnInvoke: 'extension line' },
        'with-function': { subscribe: { types: ['platform', 'function'] }, holdNext: { runtimeDone: true } },
      }),
    });

    await emu.invoke({});
    await emu.waitFor(() => ['platform-only', 'with-function'].every((n) => emu.delivered(n).some((e) => e.type === 'platform.runtimeDone')));

    expect(new Set(emu.delivered('platform-only').map((e) => e.type.split('.')[0]))).toEqual(new Set(['platform']));
    expect(new Set(emu.delivered('with-function').map((e) => e.type.split('.')[0]))).toEqual(new Set(['platform', 'function']));
    expect(emu.telemetry.some((e) => e.type === 'extension' && e.record === 'extension line')).toBe(true);
  });

  test('batches hold at most maxItems events (real limits: 1000)', async () => {
    const emu = await startEmulator({
      handler: 'handlers.manyLogs',
      layerDir: makeLayer({
        sub: { subscribe: { types: ['function'], buffering: { maxItems: 1000, maxBytes: 1048576, timeoutMs: 30000 } }, holdNext: { batches: 2 } },
      }),
    });

    await emu.invoke({ count: 2500 });

    const batches = await emu.waitFor(() => deliveredBatches(emu, 'sub').length === 2 && deliveredBatches(emu, 'sub'));
    expect(batches.map((b) => b.length)).toEqual([1000, 1000]);
    expect(batches[1][0].record).toMatch(/\tline 999 $/);
  });

  test('a batch is sent once it reaches maxBytes (real limits: 262144)', async () => {
    const emu = await startEmulator({
      handler: 'handlers.manyLogs',
      layerDir: makeLayer({
        sub: { subscribe: { types: ['platform', 'function'], buffering: { maxItems: 10000, maxBytes: 262144, timeoutMs: 30000 } }, holdNext: { batches: 1 } },
      }),
    });

    await emu.invoke({ count: 600, pad: 1000 });

    const delivery = await emu.waitFor(() => emu.subscribers[0].deliveries.find((d) => d.outcome === 'delivered'));
    const lastEventBytes = Buffer.byteLength(JSON.stringify(delivery.events[delivery.events.length - 1]));
    expect(delivery.outcome).toBe('delivered');
    expect(delivery.bytes).toBeGreaterThanOrEqual(262144);
    expect(delivery.bytes - lastEventBytes).toBeLessThan(262144);
  });

  test('a listener answering 500 gets the same batch again after a backoff, then it counts as delivered', async () => {
    const emu = await startEmulator({
      layerDir: makeLayer({ sub: { subscribe: { types: ['platform'], answers: [500, 500, 200] }, holdNext: { runtimeDone: true } } }),
      telemetryRetry: { baseDelayMs: 10 },
    });

    await emu.invoke({});

    const first = await emu.waitFor(() => emu.subscribers[0].deliveries[0]?.outcome === 'delivered' && emu.subscribers[0].deliveries[0]);
    expect(first.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(first.outcome).toBe('delivered');
    expect(emu.delivered('sub').filter((e) => e.type === 'platform.initStart')).toHaveLength(1);
  });

  test('a slow listener makes its buffer overflow: events are dropped, then platform.logsDropped is delivered', async () => {
    const emu = await startEmulator({
      handler: 'handlers.manyLogs',
      telemetryBuffer: { maxItems: 100 },
      layerDir: makeLayer({
        sub: { subscribe: { types: ['platform', 'function'], answerDelayMs: 300 }, holdNext: { type: 'platform.logsDropped' } },
      }),
    });

    await emu.invoke({ count: 1000 });

    const dropped = await emu.waitFor(() => emu.delivered('sub').find((e) => e.type === 'platform.logsDropped'));
    expect(dropped?.record).toEqual({ droppedRecords: expect.any(Number), droppedBytes: expect.any(Number), reason: OVERFLOW_REASON });
    expect((dropped?.record as { droppedRecords: number }).droppedRecords).toBeGreaterThan(0);
    expect(emu.subscribers[0].dropped.records).toBeGreaterThan(0);
  });

  test('with the JSON log format, 2022-12-13 subscribers get objects and 2022-07-01 subscribers get the lines as strings', async () => {
    const emu = await startEmulator({
      logFormat: 'JSON',
      layerDir: makeLayer({
        modern: { subscribe: { types: ['platform', 'function'], schemaVersion: '2022-12-13' }, holdNext: { runtimeDone: true } },
        legacy: { subscribe: { types: ['platform', 'function'], schemaVersion: '2022-07-01' }, holdNext: { runtimeDone: true } },
      }),
    });

    await emu.invoke({});
    await emu.waitFor(() => ['modern', 'legacy'].every((n) => emu.delivered(n).some((e) => e.type === 'platform.runtimeDone')));

    const firstFunction = (name: string) => emu.delivered(name).find((e) => e.type === 'function')?.record;
    expect(firstFunction('modern')).toMatchObject({ level: 'INFO', message: 'cold start of handlers.cjs' });
    expect(typeof firstFunction('legacy')).toBe('string');
    expect(JSON.parse(firstFunction('legacy') as string)).toMatchObject({ message: 'cold start of handlers.cjs' });
  });
});
