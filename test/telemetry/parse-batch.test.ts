import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as v from 'valibot';
import { InvalidBatchError, parseBatch } from '../../extension-src/telemetry/parse-batch';
import {
  isKnownEvent,
  KNOWN_EVENT_TYPES,
  type ParsedEvent,
  type TelemetryEvent,
} from '../../extension-src/telemetry/schemas';
import { sharedFixtures } from '../support/shared-fixtures';
import { TelemetryEventSchema } from '../support/telemetry-event-schema';

const RECEIVED_AT = Date.UTC(2030, 0, 1);
const SHARED_DIR = sharedFixtures('telemetry');
const OWN_DIR = join(__dirname, '..', 'fixtures', 'telemetry');

function load(dir: string, file: string): unknown[] {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown[];
}

function parseFixture(file: string) {
  return parseBatch(load(OWN_DIR, file), RECEIVED_AT);
}

function ofType<T extends TelemetryEvent['type']>(events: ParsedEvent[], type: T): Extract<TelemetryEvent, { type: T }>[] {
  return events.filter((e): e is Extract<TelemetryEvent, { type: T }> => isKnownEvent(e) && e.type === type);
}

function spansOf(event: ParsedEvent): Array<{ startMs: number }> {
  const record = event.record as { spans?: Array<{ startMs: number }> } | null;
  return typeof record === 'object' && record !== null && record.spans ? record.spans : [];
}

describe('parseBatch on the shared real fixtures', () => {
  const files = readdirSync(SHARED_DIR).filter((f) => f.endsWith('.json'));

  test('there are shared fixtures to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  test.each(files)('%s: every event is valid and known, with finite times', (file) => {
    const body = load(SHARED_DIR, file);
    const { events, invalid, unknown } = parseBatch(body, RECEIVED_AT);
    expect(invalid).toEqual([]);
    expect(unknown).toBe(0);
    expect(events).toHaveLength(body.length);
    for (const event of events) {
      expect(isKnownEvent(event)).toBe(true);
      expect(Number.isFinite(event.timeMs)).toBe(true);
      for (const span of spansOf(event)) expect(Number.isFinite(span.startMs)).toBe(true);
    }
  });

  test('keeps the original time and reads it as epoch ms', () => {
    const { events } = parseBatch(load(SHARED_DIR, '01-rust-runtime-cold-start-init-events.json'), RECEIVED_AT);
    expect(events[0]).toMatchObject({ time: '2022-10-19T13:52:15.636Z', timeMs: Date.UTC(2022, 9, 19, 13, 52, 15, 636) });
  });

  test('reads AWS\'s colon-before-milliseconds span start', () => {
    const { events } = parseBatch(load(SHARED_DIR, '05-docs-invoke-events.json'), RECEIVED_AT);
    const [done] = ofType(events, 'platform.runtimeDone');
    expect(done.record.spans?.[0]).toEqual({
      name: 'someTimeSpan',
      start: '2022-08-02T12:01:23:521Z',
      startMs: Date.UTC(2022, 7, 2, 12, 1, 23, 521),
      durationMs: 80,
    });
  });

  test('accepts platform.report without status (AWS\'s own example)', () => {
    const { events } = parseBatch(load(SHARED_DIR, '05-docs-invoke-events.json'), RECEIVED_AT);
    const [report] = ofType(events, 'platform.report');
    expect(report.record.status).toBeUndefined();
    expect(report.record.metrics.initDurationMs).toBe(397.68);
  });
});

describe('parseBatch on the project fixtures', () => {
  test('together, the fixtures cover every known event type', () => {
    const seen = new Set<string>();
    for (const file of readdirSync(OWN_DIR).filter((f) => f.endsWith('.json'))) {
      for (const event of parseFixture(file).events) if (isKnownEvent(event)) seen.add(event.type);
    }
    expect([...seen].sort()).toEqual([...KNOWN_EVENT_TYPES].sort());
    expect(KNOWN_EVENT_TYPES.size).toBe(14);
  });

  test('failures keep status and errorType', () => {
    const { events, invalid } = parseFixture('10-failures-with-error-type.json');
    expect(invalid).toEqual([]);
    expect(events).toHaveLength(13);
    expect(ofType(events, 'platform.initRuntimeDone')[0].record).toMatchObject({ status: 'error', errorType: 'Runtime.ImportModuleError' });
    expect(ofType(events, 'platform.initReport').map((e) => [e.record.phase, e.record.status, e.record.errorType])).toEqual([
      ['init', 'error', 'Runtime.ImportModuleError'],
      ['invoke', 'timeout', 'Sandbox.Timeout'],
    ]);
    expect(ofType(events, 'platform.runtimeDone').map((e) => [e.record.status, e.record.errorType])).toEqual([
      ['error', 'Runtime.UnhandledPromiseRejection'],
      ['timeout', 'Sandbox.Timeout'],
      ['failure', 'Runtime.ExitError'],
    ]);
    expect(ofType(events, 'platform.report')[1].record).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timeout' });
    expect(ofType(events, 'platform.extension')[0].record.errorType).toBe('Extension.Crash');
    expect(ofType(events, 'platform.initStart')[0].record.instanceMaxMemory).toBe(134217728);
  });

  test('SnapStart restore events', () => {
    const { events, invalid } = parseFixture('11-snapstart-restore.json');
    expect(invalid).toEqual([]);
    expect(events.map((e) => e.type)).toEqual([
      'platform.restoreStart', 'platform.restoreRuntimeDone', 'platform.restoreReport',
      'platform.start', 'platform.runtimeDone', 'platform.report',
      'platform.restoreStart', 'platform.restoreRuntimeDone', 'platform.restoreReport',
    ]);
    const [done, failed] = ofType(events, 'platform.restoreRuntimeDone');
    expect(done.record.spans?.[0].startMs).toBe(Date.UTC(2024, 3, 2, 8, 0, 0, 100));
    expect(done.record.tracing?.spanId).toBe('0123456789abcdef');
    expect(failed.record).toMatchObject({ status: 'failure', errorType: 'Runtime.RestoreHookFailure' });
    const [report, failedReport] = ofType(events, 'platform.restoreReport');
    expect(report.record.metrics?.durationMs).toBe(311.4);
    expect(failedReport.record.metrics).toBeUndefined();
    expect(ofType(events, 'platform.report')[0].record.metrics.restoreDurationMs).toBe(311.4);
  });

  test('managed-instances report with only durationMs', () => {
    const { events, invalid } = parseFixture('12-managed-instances.json');
    expect(invalid).toEqual([]);
    const reports = ofType(events, 'platform.report');
    expect(reports.map((r) => r.record.metrics)).toEqual([{ durationMs: 300.1 }, { durationMs: 390 }]);
    expect(ofType(events, 'platform.start')[0].record.tenantId).toBe('tenant-a');
  });

  test('logsDropped', () => {
    const { events } = parseFixture('13-logs-dropped.json');
    const dropped = ofType(events, 'platform.logsDropped');
    expect(dropped.map((e) => [e.record.droppedRecords, e.record.droppedBytes])).toEqual([[123, 45678], [1, 99]]);
  });

  test('unknown types (including platform.fault) are kept raw and counted', () => {
    const { events, invalid, unknown } = parseFixture('14-unknown-types.json');
    expect(invalid).toEqual([]);
    expect(unknown).toBe(4);
    expect(events).toHaveLength(6);
    expect(events.map(isKnownEvent)).toEqual([true, false, false, false, false, true]);
    expect(events[1]).toEqual({
      type: 'platform.fault',
      time: '2024-06-01T00:00:00.100Z',
      timeMs: Date.UTC(2024, 5, 1, 0, 0, 0, 100),
      record: 'RequestId: u-1 Process exited before completing request',
      unknown: true,
    });
    expect(events[2].record).toEqual({ anything: [1, 2, 3], nested: { ok: true } });
    expect(events[3]).toMatchObject({ time: 'not a time at all', timeMs: RECEIVED_AT, record: null, unknown: true });
  });

  test('lenient times: no millis, colon millis, micros, offsets, no offset, unparseable', () => {
    const { events, invalid } = parseFixture('15-time-edge-cases.json');
    expect(invalid).toEqual([]);
    expect(events.map((e) => e.timeMs)).toEqual([
      Date.UTC(2023, 10, 28, 12, 0, 9),
      Date.UTC(2022, 7, 2, 12, 1, 23, 521),
      Date.UTC(2024, 0, 1, 0, 0, 0, 123),
      Date.UTC(2024, 0, 1, 0, 0, 0, 0),
      Date.UTC(2024, 0, 1, 0, 0, 0, 250),
      RECEIVED_AT,
      Date.UTC(2024, 0, 1, 0, 0, 1),
    ]);
    expect(events[5].time).toBe('yesterday');
    const [done] = ofType(events, 'platform.runtimeDone');
    expect(done.record.spans?.map((s) => [s.start, s.startMs])).toEqual([
      ['2024-01-01T00:00:00Z', Date.UTC(2024, 0, 1)],
      ['2024-01-01T00:00:00:010Z', Date.UTC(2024, 0, 1, 0, 0, 0, 10)],
      ['garbage', RECEIVED_AT],
    ]);
  });

  test('extra fields are kept, missing optional fields are fine', () => {
    const { events, invalid } = parseFixture('16-extra-and-missing-optional-fields.json');
    expect(invalid).toEqual([]);
    expect(events).toHaveLength(8);
    const [initStart] = ofType(events, 'platform.initStart');
    expect(initStart).toMatchObject({ envelopeExtra: 42, record: { brandNewField: 'kept' } });
    expect(ofType(events, 'platform.initRuntimeDone')[0].record.phase).toBeUndefined();
    expect(ofType(events, 'platform.initReport')[0].record.metrics).toEqual({ durationMs: 200, newMetric: 7 });
    const [done] = ofType(events, 'platform.runtimeDone');
    expect(done.record.spans?.[0]).toMatchObject({ spanExtra: 'kept' });
    expect(done.record.tracing).toMatchObject({ extraTraceField: true });
    expect(done.record.metrics).toBeUndefined();
    expect(ofType(events, 'platform.report')[0].record.metrics).toMatchObject({ futureMetricMB: 1 });
    expect(ofType(events, 'platform.telemetrySubscription')[0].record.state).toBe('Already subscribed');
  });

  test('wrong field types make only those events invalid', () => {
    const { events, invalid, unknown } = parseFixture('17-invalid-events-mixed-with-valid.json');
    expect(unknown).toBe(0);
    expect(events.map((e) => (e.record as { requestId: string }).requestId)).toEqual(['ok-1', 'ok-15']);
    expect(invalid.map((i) => i.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const byIndex = new Map(invalid.map((i) => [i.index, i]));
    expect(byIndex.get(1)).toEqual({ index: 1, type: 'platform.start', reason: expect.stringContaining('record.requestId') });
    expect(byIndex.get(2)?.reason).toContain('record.metrics.durationMs');
    expect(byIndex.get(3)?.reason).toContain('record.status');
    expect(byIndex.get(4)?.reason).toContain('time');
    expect(byIndex.get(5)?.reason).toContain('record.droppedRecords');
    expect(byIndex.get(9)?.reason).toContain('record.spans.0.durationMs');
    expect(byIndex.get(11)).toEqual({ index: 11, reason: 'type: expected a string, got number' });
    expect(byIndex.get(12)).toEqual({ index: 12, reason: 'expected an event object, got string' });
    expect(byIndex.get(13)).toEqual({ index: 13, reason: 'expected an event object, got null' });
    expect(byIndex.get(14)?.reason).toContain('record.events');
    for (const item of invalid) expect(item.reason).not.toContain('bad-');
  });

  test('log records: strings lose trailing line breaks, objects keep extra keys', () => {
    const { events, invalid } = parseFixture('18-log-records-string-and-object.json');
    expect(invalid).toEqual([]);
    expect(events.map((e) => e.record)).toEqual([
      '2024-09-01T00:00:00.000Z\tabc\tINFO\thello',
      'windows line',
      'multi\nline',
      '',
      { timestamp: '2024-09-01T00:00:00.004Z', level: 'ERROR', requestId: 'r-1', message: 'boom', errorType: 'Error', stackTrace: ['at x'] },
      { timestamp: '2024-09-01T00:00:00.005Z', level: 'INFO', message: { structured: true, count: 3 } },
      '[telemetry-extension] INFO own line',
      { timestamp: '2024-09-01T00:00:00.007Z', level: 'WARN', message: 'other extension says hi' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['function', 'function', 'function', 'function', 'function', 'function', 'extension', 'extension']);
  });

  test('string and object records from the docs fixture', () => {
    const { events } = parseBatch(load(SHARED_DIR, '07-docs-function-and-extension-logs-text-vs-json.json'), RECEIVED_AT);
    expect(events.map((e) => typeof e.record)).toEqual(['string', 'object', 'string', 'object']);
  });
});

describe('parseBatch edge cases', () => {
  test.each([[{}], [null], ['[]'], [42], [{ 0: 'a', length: 1 }]])('a non-array body (%p) throws InvalidBatchError', (body) => {
    expect(() => parseBatch(body, RECEIVED_AT)).toThrow(InvalidBatchError);
  });

  test('an empty array is an empty batch', () => {
    expect(parseBatch([], RECEIVED_AT)).toEqual({ events: [], invalid: [], unknown: 0 });
  });

  test('a type named like an Object.prototype member is unknown, not a crash', () => {
    const { events, unknown } = parseBatch([{ time: '2024-01-01T00:00:00Z', type: 'constructor', record: {} }, { time: '2024-01-01T00:00:00Z', type: '__proto__', record: {} }], RECEIVED_AT);
    expect(unknown).toBe(2);
    expect(events.every((e) => !isKnownEvent(e))).toBe(true);
  });

  test('TelemetryEventSchema agrees with the per-type dispatch', () => {
    // 15-time-edge-cases holds unparseable times, which only parseBatch replaces.
    for (const file of readdirSync(OWN_DIR).filter((f) => f.endsWith('.json') && !f.startsWith('15-'))) {
      for (const item of load(OWN_DIR, file)) {
        const viaUnion = v.safeParse(TelemetryEventSchema, item);
        const viaBatch = parseBatch([item], RECEIVED_AT);
        if (viaUnion.success) {
          expect(viaBatch.events).toHaveLength(1);
          expect(viaBatch.events[0]).toEqual(viaUnion.output);
        } else {
          expect(viaBatch.events.length === 0 || viaBatch.unknown === 1).toBe(true);
        }
      }
    }
  });

  test('property: every element ends up either in events or in invalid, in order, never throwing', () => {
    const anyEvent = fc.oneof(
      fc.jsonValue(),
      fc.record({
        time: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
        type: fc.constantFrom(...KNOWN_EVENT_TYPES, 'platform.fault', 'x'),
        record: fc.jsonValue(),
      }, { requiredKeys: [] }),
    );
    fc.assert(fc.property(fc.array(anyEvent, { maxLength: 20 }), (body) => {
      const { events, invalid, unknown } = parseBatch(body, RECEIVED_AT);
      expect(events.length + invalid.length).toBe(body.length);
      expect(events.filter((e) => !isKnownEvent(e))).toHaveLength(unknown);
      for (const e of events) expect(Number.isFinite(e.timeMs)).toBe(true);
      const invalidIndexes = invalid.map((i) => i.index);
      expect([...invalidIndexes].sort((a, b) => a - b)).toEqual(invalidIndexes);
    }));
  });
});
