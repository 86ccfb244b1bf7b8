/**
 * Issue 10, item 7 (schema side): numbers JSON turns into Infinity, negative counts and durations,
 * and JSON log records of any shape. Every body is JSON text, parsed as the listener parses it.
 */
import { createListenerApp } from '../../extension-src/listener/app';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import { Counters } from '../../extension-src/stats/counters';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { request, serve } from '../listener/http-helpers';

const time = '2024-08-01T00:00:00.000Z';
const span = (durationMs: unknown) => ({ name: 'responseLatency', start: time, durationMs });
const PLACEHOLDER = '__NUMBER__';

/** Every numeric field of every event type, in an otherwise valid event. */
const NUMERIC_FIELDS: ReadonlyArray<readonly [string, (n: unknown) => unknown]> = [
  ['platform.initStart record.instanceMaxMemory', (n) => ({ time, type: 'platform.initStart', record: { initializationType: 'on-demand', phase: 'init', instanceMaxMemory: n } })],
  ['platform.initRuntimeDone record.spans.0.durationMs', (n) => ({ time, type: 'platform.initRuntimeDone', record: { initializationType: 'on-demand', status: 'success', spans: [span(n)] } })],
  ['platform.initReport record.metrics.durationMs', (n) => ({ time, type: 'platform.initReport', record: { initializationType: 'on-demand', phase: 'init', metrics: { durationMs: n } } })],
  ['platform.initReport record.spans.0.durationMs', (n) => ({ time, type: 'platform.initReport', record: { initializationType: 'on-demand', phase: 'init', metrics: { durationMs: 1 }, spans: [span(n)] } })],
  ['platform.runtimeDone record.metrics.durationMs', (n) => ({ time, type: 'platform.runtimeDone', record: { requestId: 'r', status: 'success', metrics: { durationMs: n } } })],
  ['platform.runtimeDone record.metrics.producedBytes', (n) => ({ time, type: 'platform.runtimeDone', record: { requestId: 'r', status: 'success', metrics: { durationMs: 1, producedBytes: n } } })],
  ['platform.runtimeDone record.spans.0.durationMs', (n) => ({ time, type: 'platform.runtimeDone', record: { requestId: 'r', status: 'success', spans: [span(n)] } })],
  ...['durationMs', 'billedDurationMs', 'memorySizeMB', 'maxMemoryUsedMB', 'initDurationMs', 'restoreDurationMs'].map((field) => [
    `platform.report record.metrics.${field}`,
    (n: unknown) => ({ time, type: 'platform.report', record: { requestId: 'r', metrics: { durationMs: 1, [field]: n } } }),
  ] as const),
  ['platform.report record.spans.0.durationMs', (n) => ({ time, type: 'platform.report', record: { requestId: 'r', metrics: { durationMs: 1 }, spans: [span(n)] } })],
  ['platform.restoreStart record.instanceMaxMemory', (n) => ({ time, type: 'platform.restoreStart', record: { instanceMaxMemory: n } })],
  ['platform.restoreRuntimeDone record.spans.0.durationMs', (n) => ({ time, type: 'platform.restoreRuntimeDone', record: { status: 'success', spans: [span(n)] } })],
  ['platform.restoreReport record.metrics.durationMs', (n) => ({ time, type: 'platform.restoreReport', record: { status: 'success', metrics: { durationMs: n } } })],
  ['platform.restoreReport record.spans.0.durationMs', (n) => ({ time, type: 'platform.restoreReport', record: { status: 'success', spans: [span(n)] } })],
  ['platform.logsDropped record.droppedBytes', (n) => ({ time, type: 'platform.logsDropped', record: { droppedBytes: n, droppedRecords: 1, reason: 'x' } })],
  ['platform.logsDropped record.droppedRecords', (n) => ({ time, type: 'platform.logsDropped', record: { droppedBytes: 1, droppedRecords: n, reason: 'x' } })],
];

/** JSON text of `event` with `literal` (e.g. `1e400`) as the number. */
function withNumber(make: (n: unknown) => unknown, literal: string): string {
  return JSON.stringify(make(PLACEHOLDER)).replace(`"${PLACEHOLDER}"`, literal);
}

const neighbour = (id: string) => ({ time, type: 'platform.start', record: { requestId: id } });

describe('every numeric field is finite and not negative', () => {
  const cases = NUMERIC_FIELDS.flatMap(([name, make]) => ['1e400', '-1e400', '-1', '-0.5'].map((literal) => [name, literal, make] as const));

  test.each(cases)('%s = %s: that event is invalid, its neighbours are kept', (name, literal, make) => {
    const body = `[${JSON.stringify(neighbour('before'))},${withNumber(make, literal)},${JSON.stringify(neighbour('after'))}]`;
    const { events, invalid } = parseBatch(JSON.parse(body), 0);
    expect(events.map((e) => (e.record as { requestId?: string }).requestId)).toEqual(['before', 'after']);
    expect(invalid).toEqual([{ index: 1, type: name.split(' ')[0], reason: expect.stringContaining(name.split(' ')[1]) }]);
  });

  test.each(NUMERIC_FIELDS)('%s: zero and fractions are fine', (_name, make) => {
    for (const literal of ['0', '12.5', '1e3']) {
      const { events, invalid } = parseBatch(JSON.parse(`[${withNumber(make, literal)}]`), 0);
      expect(invalid).toEqual([]);
      expect(events).toHaveLength(1);
    }
  });
});

describe('hostile numbers never reach a counter', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  test('platform.logsDropped with 1e400, -1e400 or negative counts: invalid and counted as such; the counters keep the good ones only', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const counters = new Counters();
    const app = createListenerApp({ queue, counters, maxBodyBytes: 1024 * 1024, warnings: { warn: () => undefined } });
    const server = await serve(app.callback());
    close = server.close;
    const dropped = (records: string, bytes: string) => `{"time":"${time}","type":"platform.logsDropped","record":{"droppedRecords":${records},"droppedBytes":${bytes},"reason":"Some logs were dropped"}}`;
    const body = `[${[dropped('5', '500'), dropped('1e400', '1'), dropped('1', '-1e400'), dropped('-3', '-300'), dropped('2', '200')].join(',')}]`;
    const reply = await request(server.port, 'POST', '/', body, { 'content-type': 'application/json' });
    expect(reply.status).toBe(200);
    expect(counters.snapshot()).toMatchObject({ received: 5, invalid: 3, platformDroppedRecords: 7, platformDroppedBytes: 700 });
    expect(Number.isFinite(counters.platformDroppedRecords) && Number.isFinite(counters.platformDroppedBytes)).toBe(true);
    expect(queue.size).toBe(2);
  });
});

describe('JSON log records of any shape are kept', () => {
  const SHAPES: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
    ['message only', { message: 'hello' }],
    ['level and message, no timestamp', { level: 'INFO', message: 'hello' }],
    ['pino / bunyan', { msg: 'hello', level: 30, time: 1764590000000, pid: 8, hostname: 'h' }],
    ['bunyan with name and v', { name: 'app', hostname: 'h', pid: 8, level: 50, msg: 'boom', time: '2025-12-01T12:00:00.000Z', v: 0 }],
    ['no message at all', { event: 'checkout', amountCents: 1200, nested: { ok: true } }],
    ['Lambda\'s own JSON format', { timestamp: time, level: 'INFO', requestId: 'r-1', message: 'hello' }],
    ['an empty object', {}],
  ];

  test.each(SHAPES.flatMap(([name, record]) => (['function', 'extension'] as const).map((type) => [type, name, record] as const)))(
    '%s record, %s: kept as sent',
    (type, _name, record) => {
      const { events, invalid } = parseBatch(JSON.parse(JSON.stringify([{ time, type, record }])), 0);
      expect(invalid).toEqual([]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type, record });
      expect(events[0].record).toEqual(record);
    },
  );

  test.each([['an array', '["a"]'], ['a number', '42'], ['null', 'null'], ['a boolean', 'true']])('a function record that is %s is invalid', (_name, literal) => {
    const { events, invalid } = parseBatch(JSON.parse(`[{"time":"${time}","type":"function","record":${literal}}]`), 0);
    expect(events).toEqual([]);
    expect(invalid).toEqual([{ index: 0, type: 'function', reason: expect.stringContaining('expected a text line or a JSON object') }]);
  });
});
