import { readFileSync } from 'node:fs';
import { request, serve } from './http-helpers';
import { bodyLimitFor, createListenerApp } from '../../extension-src/listener/app';
import { LOG_MARKER, STDOUT_SINK_LINE_PREFIX } from '../../extension-src/log';
import { BoundedQueue, type QueueLimits } from '../../extension-src/queue/bounded-queue';
import { Counters } from '../../extension-src/stats/counters';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { sharedFixtures } from '../support/shared-fixtures';

const FIXTURES = sharedFixtures('telemetry');
const RECEIVED_AT = Date.UTC(2030, 0, 1);
const JSON_HEADERS = { 'content-type': 'application/json' };

async function setup(options: { limits?: Partial<QueueLimits>; maxBodyBytes?: number } = {}) {
  const queue = new BoundedQueue<ParsedEvent>(options.limits);
  const counters = new Counters();
  const warnings = { warn: jest.fn() };
  const app = createListenerApp({ queue, counters, maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024, warnings, now: () => RECEIVED_AT });
  const server = await serve(app.callback());
  const post = (body: string | Buffer, path = '/') => request(server.port, 'POST', path, body, JSON_HEADERS);
  return { queue, counters, warnings, server, post };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('listener app', () => {
  test('accepts a real batch: 200, events queued in order, counted', async () => {
    const s = await setup();
    close = s.server.close;
    const body = readFileSync(`${FIXTURES}/02-rust-runtime-invoke-success.json`);
    const reply = await s.post(body);
    expect(reply.status).toBe(200);
    expect(s.queue.drain().map((e) => e.type)).toEqual(['platform.start', 'platform.runtimeDone', 'platform.report']);
    expect(s.counters.snapshot()).toMatchObject({ received: 3, invalid: 0, unknown: 0, rejected: 0 });
    expect(s.warnings.warn).not.toHaveBeenCalled();
  });

  test('estimates bytes from the raw body length', async () => {
    const s = await setup();
    close = s.server.close;
    const body = readFileSync(`${FIXTURES}/01-rust-runtime-cold-start-init-events.json`);
    await s.post(body);
    expect(s.queue.bytes).toBeCloseTo(body.length, 6);
  });

  test('an empty array is fine', async () => {
    const s = await setup();
    close = s.server.close;
    expect((await s.post('[]')).status).toBe(200);
    expect(s.queue.size).toBe(0);
  });

  test('invalid JSON: 400 with a clear message, nothing counted', async () => {
    const s = await setup();
    close = s.server.close;
    const reply = await s.post('[{"time":');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/^body is not valid JSON: /);
    expect(s.counters.received).toBe(0);
  });

  test('a JSON body that is not an array: 400', async () => {
    const s = await setup();
    close = s.server.close;
    const reply = await s.post('{"time":"2024-01-01T00:00:00Z","type":"function","record":"x"}');
    expect(reply.status).toBe(400);
    expect(reply.body).toBe('expected a JSON array of events, got an object');
  });

  test('a body over the limit: 413, with or without content-length', async () => {
    const s = await setup({ maxBodyBytes: 100 });
    close = s.server.close;
    const big = JSON.stringify([{ time: '2024-01-01T00:00:00Z', type: 'function', record: 'x'.repeat(200) }]);
    const withLength = await request(s.server.port, 'POST', '/', big, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(big) });
    expect(withLength.status).toBe(413);
    expect(withLength.body).toBe('body exceeds 100 bytes');
    const chunked = await request(s.server.port, 'POST', '/', big, { ...JSON_HEADERS, 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(413);
    expect(s.queue.size).toBe(0);
  });

  test('bodyLimitFor allows two full buffers plus slack', () => {
    expect(bodyLimitFor({ maxBytes: 262144 })).toBe(2 * 262144 + 64 * 1024);
  });

  test('invalid events are dropped and counted, the valid ones kept, one warning per batch', async () => {
    const s = await setup();
    close = s.server.close;
    const reply = await s.post(readFileSync(`${__dirname}/../fixtures/telemetry/17-invalid-events-mixed-with-valid.json`));
    expect(reply.status).toBe(200);
    expect(s.queue.size).toBe(2);
    expect(s.counters.snapshot()).toMatchObject({ received: 16, invalid: 14 });
    expect(s.warnings.warn).toHaveBeenCalledTimes(1);
    expect(s.warnings.warn).toHaveBeenCalledWith('invalid telemetry events dropped', { count: 14, first: expect.stringContaining('#1 (platform.start): record.requestId') });
  });

  test('unknown types are queued and counted', async () => {
    const s = await setup();
    close = s.server.close;
    await s.post(readFileSync(`${__dirname}/../fixtures/telemetry/14-unknown-types.json`));
    expect(s.counters.snapshot()).toMatchObject({ received: 6, unknown: 4 });
    expect(s.queue.size).toBe(6);
  });

  test('platform.logsDropped adds to the platform-dropped counters', async () => {
    const s = await setup();
    close = s.server.close;
    await s.post(readFileSync(`${__dirname}/../fixtures/telemetry/13-logs-dropped.json`));
    expect(s.counters.snapshot()).toMatchObject({ platformDroppedRecords: 124, platformDroppedBytes: 45777 });
  });

  test('the extension\'s own output is dropped (text and JSON), other extensions\' lines kept', async () => {
    const s = await setup();
    close = s.server.close;
    const time = '2024-01-01T00:00:00.000Z';
    const body = JSON.stringify([
      { time, type: 'extension', record: `${LOG_MARKER} INFO started\n` },
      { time, type: 'extension', record: `${STDOUT_SINK_LINE_PREFIX},"type":"function"}` },
      { time, type: 'extension', record: { timestamp: time, level: 'INFO', message: `${LOG_MARKER} WARN x` } },
      { time, type: 'extension', record: '[other-extension] hello' },
      { time, type: 'function', record: `${LOG_MARKER} a function may print this` },
    ]);
    expect((await s.post(body)).status).toBe(200);
    expect(s.queue.drain().map((e) => e.record)).toEqual(['[other-extension] hello', `${LOG_MARKER} a function may print this`]);
    expect(s.counters.received).toBe(2);
  });

  test('queue full: 503, nothing of the batch kept, counted as rejected; accepted again once drained', async () => {
    const s = await setup({ limits: { maxItems: 4 } });
    close = s.server.close;
    const body = readFileSync(`${FIXTURES}/02-rust-runtime-invoke-success.json`);
    expect((await s.post(body)).status).toBe(200);
    const full = await s.post(body);
    expect(full.status).toBe(503);
    expect(s.queue.size).toBe(3);
    expect(s.counters.snapshot()).toMatchObject({ received: 3, rejected: 3 });
    s.queue.drain();
    expect((await s.post(body)).status).toBe(200);
    expect(s.counters.received).toBe(6);
  });

  test.each(['GET', 'PUT', 'DELETE'])('%s / is 405 with Allow: POST', async (method) => {
    const s = await setup();
    close = s.server.close;
    const reply = await request(s.server.port, method, '/');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toContain('POST');
  });

  test('other paths are 404', async () => {
    const s = await setup();
    close = s.server.close;
    expect((await s.post('[]', '/telemetry')).status).toBe(404);
    expect((await request(s.server.port, 'GET', '/x')).status).toBe(404);
  });
});
