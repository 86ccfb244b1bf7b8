/**
 * The minimum log level: the record's level read as the converter reads it (runtime text formats,
 * JSON objects, pino numbers), records below the level counted as filtered at ingest, never queued.
 */
import { Ingest } from '../../extension-src/pipeline/ingest';
import { logLevelFilter } from '../../extension-src/pipeline/log-level-filter';
import { telemetryApiSource } from '../../extension-src/pipeline/telemetry-api-source';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import { Counters } from '../../extension-src/stats/counters';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';

const time = '2024-01-01T00:00:00.000Z';
const RID = '8476a536-e9f4-11e8-9739-2dfe598c3fcd';
const event = (record: unknown, type = 'function'): ParsedEvent => {
  const batch = parseBatch([{ time, type, record }], 0);
  if (batch.events.length !== 1) throw new Error(`invalid test event ${JSON.stringify(record)}`);
  return batch.events[0];
};

describe('logLevelFilter', () => {
  test('no level configured: no filter at all', () => {
    expect(logLevelFilter(undefined)).toBeUndefined();
  });

  const warnOrAbove = logLevelFilter('WARN')!;

  test.each([
    ['Node.js text', `2024-01-01T00:00:00.000Z\t${RID}\tDEBUG\tdetails`, false],
    ['Node.js text', `2024-01-01T00:00:00.000Z\t${RID}\tINFO\thandled`, false],
    ['Node.js text', `2024-01-01T00:00:00.000Z\t${RID}\tWARN\tslow`, true],
    ['Node.js text', `2024-01-01T00:00:00.000Z\t${RID}\tERROR\tfailed`, true],
    ['Python text', `[DEBUG]\t2024-01-01T00:00:00.000Z\t${RID}\tdetails`, false],
    ['Python text', `[WARNING]\t2024-01-01T00:00:00.000Z\t${RID}\tslow`, true],
    ['Python short', '[CRITICAL] disk gone', true],
    ['Java log4j2', `2024-01-01 00:00:00 ${RID} TRACE com.example.Handler - enter`, false],
    ['Java log4j2', `2024-01-01 00:00:00 ${RID} FATAL com.example.Handler - gone`, true],
    ['.NET', `2024-01-01T00:00:00.000Z\t${RID}\tdbug\tdetails`, false],
    ['.NET', `2024-01-01T00:00:00.000Z\t${RID}\tfail\tbroken`, true],
    ['a line without a level is kept', 'plain print() output', true],
    ['pino JSON written as a text line', '{"level":20,"time":1704067200000,"msg":"debug details"}', false],
    ['pino JSON written as a text line', '{"level":50,"time":1704067200000,"msg":"boom"}', true],
    ['text that only looks like JSON', '{not json} [DEBUG] x', true],
  ])('%s: %p kept=%p', (_what, record, kept) => {
    expect(warnOrAbove(event(record))).toBe(kept);
  });

  test.each([
    ['Lambda JSON format', { timestamp: time, level: 'DEBUG', requestId: RID, message: 'details' }, false],
    ['Lambda JSON format', { timestamp: time, level: 'WARN', requestId: RID, message: 'slow' }, true],
    ['lower-case text level', { level: 'info', msg: 'x' }, false],
    ['pino numbers', { level: 10, msg: 'trace' }, false],
    ['pino numbers', { level: 30, msg: 'info' }, false],
    ['pino numbers', { level: 40, msg: 'warn' }, true],
    ['bunyan in-between number', { level: 45, msg: 'between warn and error' }, true],
    ['no level key', { message: 'no level' }, true],
    ['unknown level name', { level: 'verbose', message: 'x' }, true],
    ['level of another type', { level: { name: 'DEBUG' }, message: 'x' }, true],
  ])('%s: %p kept=%p', (_what, record, kept) => {
    expect(warnOrAbove(event(record))).toBe(kept);
  });

  test('extension records are filtered too; platform events never', () => {
    expect(warnOrAbove(event('[DEBUG] extension detail', 'extension'))).toBe(false);
    expect(warnOrAbove(event({ requestId: RID, version: '$LATEST' }, 'platform.start'))).toBe(true);
  });

  test('TRACE keeps everything with a level; FATAL keeps only FATAL', () => {
    const trace = logLevelFilter('TRACE')!;
    const fatal = logLevelFilter('FATAL')!;
    expect(trace(event({ level: 1, msg: 'lowest pino' }))).toBe(true);
    expect(fatal(event({ level: 'ERROR', message: 'x' }))).toBe(false);
    expect(fatal(event({ level: 60, msg: 'x' }))).toBe(true);
  });
});

describe('ingest with a minimum log level', () => {
  test('records below it are counted received and filtered, never queued; nothing counts as dropped', () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const counters = new Counters();
    const ingest = new Ingest({ queue, counters, warnings: { warn: jest.fn() } });
    const batch = parseBatch([
      { time, type: 'platform.start', record: { requestId: RID } },
      { time, type: 'function', record: `2024-01-01T00:00:00.000Z\t${RID}\tDEBUG\tdetails` },
      { time, type: 'function', record: `2024-01-01T00:00:00.000Z\t${RID}\tINFO\thandled` },
      { time, type: 'function', record: { level: 'ERROR', message: 'failed' } },
      { time, type: 'function', record: 'no level at all' },
    ], 0);
    expect(ingest.ingest(telemetryApiSource({ minLogLevel: 'INFO' }), { items: batch.events, invalid: batch.invalid, unknown: batch.unknown, bytes: 500 })).toBe('accepted');
    expect(queue.drain().map((e) => (e.type === 'platform.start' ? e.type : JSON.stringify(e.record)))).toEqual([
      'platform.start',
      JSON.stringify(`2024-01-01T00:00:00.000Z\t${RID}\tINFO\thandled`),
      JSON.stringify({ level: 'ERROR', message: 'failed' }),
      JSON.stringify('no level at all'),
    ]);
    expect(counters.snapshot()).toMatchObject({ received: 5, filtered: 1, dropped: 0, invalid: 0 });
  });

  test('a full queue rejects the whole delivery and counts nothing as filtered (it is resent)', () => {
    const queue = new BoundedQueue<ParsedEvent>({ maxItems: 1 });
    queue.offer([event('x')], 1);
    const counters = new Counters();
    const ingest = new Ingest({ queue, counters, warnings: { warn: jest.fn() } });
    const batch = parseBatch([{ time, type: 'function', record: '[DEBUG] a' }, { time, type: 'function', record: '[ERROR] b' }], 0);
    expect(ingest.ingest(telemetryApiSource({ minLogLevel: 'INFO' }), { items: batch.events, invalid: [], unknown: 0, bytes: 10 })).toBe('full');
    expect(counters.snapshot()).toMatchObject({ received: 0, filtered: 0, rejected: 2 });
  });
});
