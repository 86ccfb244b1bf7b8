import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { fixture, parse, PARENT_ID, raw, REQ1, REQ2, REQ3, T0, TRACE_HEADER, TRACE_ID } from './events';
import { MAX_PENDING_PHASE_SPANS, OtlpConverter } from '../../extension-src/otlp/converter';
import { signalsOf } from '../../extension-src/otlp/signals';
import type { IdGenerator } from '../../extension-src/otlp/trace-context';

const NONE = signalsOf(false, false);
const T = signalsOf(true, false);
const M = signalsOf(false, true);
const MT = signalsOf(true, true);
/** platform.report: metrics and its REPORT log record (plus the span when it closes it). */
const ML = signalsOf(false, true, true);
const MTL = signalsOf(true, true, true);
const L = signalsOf(false, false, true);

/** Deterministic ids: trace 000..01, 000..02; span 00..01, ... */
function sequentialIds(): IdGenerator {
  let t = 0;
  let s = 0;
  return {
    traceId: () => (++t).toString(16).padStart(32, 'a'),
    spanId: () => (++s).toString(16).padStart(16, 'b'),
  };
}

function converter(maxOpenInvocations?: number) {
  return new OtlpConverter({
    resource: resourceFromAttributes({ 'service.name': 'orders-api' }),
    scope: { name: 'telemetry-extension', version: 'test' },
    spanName: 'orders-api',
    ids: sequentialIds(),
    maxOpenInvocations,
  });
}

const ms = (span: ReadableSpan) => ({ start: hrTimeToMilliseconds(span.startTime), end: hrTimeToMilliseconds(span.endTime) });
const byName = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span ${name}, got ${found.length}`);
  return found[0];
};

describe('invocation spans', () => {
  test('rust fixture: SERVER span in the X-Ray trace, children from runtimeDone spans', () => {
    const p = converter();
    const batch = p.convert(fixture('02-rust-runtime-invoke-success.json'));
    expect(batch.spans.map((s) => s.name)).toEqual(['orders-api', 'responseLatency', 'responseDuration']);
    const server = batch.spans[0];
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext).toEqual({ traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(server.attributes).toEqual({ 'faas.invocation_id': REQ1, 'faas.coldstart': true });
    expect(server.status).toEqual({ code: SpanStatusCode.UNSET });
    // start = platform.start time; end = start + runtimeDone durationMs (2599 ms).
    expect(ms(server)).toEqual({ start: Date.parse('2022-10-21T14:05:03.165Z'), end: Date.parse('2022-10-21T14:05:03.165Z') + 2599 });
    for (const child of batch.spans.slice(1)) {
      expect(child.kind).toBe(SpanKind.INTERNAL);
      expect(child.spanContext().traceId).toBe(TRACE_ID);
      expect(child.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
      expect(child.parentSpanContext?.isRemote).toBe(false);
    }
    expect(ms(byName(batch.spans, 'responseLatency'))).toEqual({ start: Date.parse('2022-10-21T14:05:03.165Z'), end: Date.parse('2022-10-21T14:05:03.165Z') + 2598 });
    // start: nothing; runtimeDone: traces; report: metrics and its REPORT log (span already closed).
    expect(batch.contributions).toEqual([M, T, ML]);
  });

  test('docs fixture: span start values that are not ISO-8601 still become child spans', () => {
    const batch = converter().convert(fixture('05-docs-invoke-events.json'));
    const child = byName(batch.spans, 'someTimeSpan');
    expect(ms(child)).toEqual({ start: Date.parse('2022-08-02T12:01:23.521Z'), end: Date.parse('2022-08-02T12:01:23.521Z') + 80 });
  });

  test('coldstart only for the first invocation; random ids without a trace header', () => {
    const p = converter();
    const b1 = p.convert(parse([raw.start(T0, REQ1), raw.runtimeDone(T0 + 50, REQ1, 50)]));
    const b2 = p.convert(parse([raw.start(T0 + 100, REQ2), raw.runtimeDone(T0 + 150, REQ2, 50)]));
    const s1 = byName(b1.spans, 'orders-api');
    const s2 = byName(b2.spans, 'orders-api');
    expect(s1.attributes['faas.coldstart']).toBe(true);
    expect(s2.attributes['faas.coldstart']).toBe(false);
    expect(s1.parentSpanContext).toBeUndefined();
    expect(s1.spanContext().traceId).not.toBe(s2.spanContext().traceId);
    expect(b1.contributions).toEqual([M, T]);
    expect(b2.contributions).toEqual([NONE, T]);
  });

  test.each([
    ['error', 'Runtime.UnhandledError'],
    ['failure', 'Runtime.ExitError'],
    ['timeout', undefined],
  ])('status %s: ERROR with the errorType (or status) as message', (status, errorType) => {
    const batch = converter().convert(parse([raw.start(T0, REQ1), raw.runtimeDone(T0 + 3000, REQ1, 3000, status, errorType, false)]));
    const server = byName(batch.spans, 'orders-api');
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: errorType ?? status });
    expect(server.attributes['aws.lambda.invocation.status']).toBe(status);
  });

  test('without runtimeDone (managed instances), platform.report closes the span', () => {
    const p = converter();
    const batch = p.convert(parse([raw.start(T0, REQ1, TRACE_HEADER), raw.managedReport(T0 + 900, REQ1, 42.5)]));
    const server = byName(batch.spans, 'orders-api');
    expect(ms(server)).toEqual({ start: T0, end: T0 + 42.5 });
    expect(batch.contributions).toEqual([M, MTL]);
    expect(p.openInvocations).toBe(0);
  });

  test('a timeout report without runtimeDone closes the span with ERROR', () => {
    const batch = converter().convert(parse([raw.start(T0, REQ1), { ...raw.report(T0 + 3000, REQ1, 3000, 'timeout'), record: { ...raw.report(T0 + 3000, REQ1, 3000, 'timeout').record, errorType: 'Sandbox.Timeout' } }]));
    expect(byName(batch.spans, 'orders-api').status).toEqual({ code: SpanStatusCode.ERROR, message: 'Sandbox.Timeout' });
  });

  test('report after runtimeDone (next batch) does not emit a second span', () => {
    const p = converter();
    p.convert(parse([raw.start(T0, REQ1), raw.runtimeDone(T0 + 50, REQ1, 50)]));
    const later = p.convert(parse([raw.report(T0 + 60, REQ1, 50)]));
    expect(later.spans).toEqual([]);
  });

  test('runtimeDone whose start was lost still yields a span, timed from its duration', () => {
    const batch = converter().convert(parse([raw.runtimeDone(T0 + 500, REQ1, 200)]));
    const server = byName(batch.spans, 'orders-api');
    expect(ms(server)).toEqual({ start: T0 + 300, end: T0 + 500 });
    expect(server.attributes['faas.coldstart']).toBeUndefined();
  });

  test('Sampled=0 gives unsampled trace flags', () => {
    const batch = converter().convert(parse([
      raw.start(T0, REQ1, 'Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=0'),
      raw.runtimeDone(T0 + 5, REQ1, 5),
    ]));
    expect(batch.spans[0].spanContext().traceFlags).toBe(TraceFlags.NONE);
  });

  test('open invocations are bounded: the oldest is evicted and counted', () => {
    const p = converter(2);
    p.convert(parse([raw.start(T0, REQ1), raw.start(T0 + 1, REQ2), raw.start(T0 + 2, REQ3)]));
    expect(p.openInvocations).toBe(2);
    expect(p.evictedInvocations).toBe(1);
  });

  test('drain: unclosed invocations are emitted as incomplete', () => {
    const p = converter();
    p.convert(parse([raw.start(T0, REQ1, TRACE_HEADER)]));
    const spans = p.drain(T0 + 1000);
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes).toMatchObject({ 'faas.invocation_id': REQ1, 'telemetry_extension.incomplete': true });
    expect(ms(spans[0])).toEqual({ start: T0, end: T0 + 1000 });
    expect(p.drain(T0 + 2000)).toEqual([]);
  });
});

describe('init and restore spans', () => {
  test('on-demand init becomes a child of the first invocation span', () => {
    const p = converter();
    const init = p.convert(parse([raw.initStart(T0 - 800), raw.initRuntimeDone(T0 - 300), raw.initReport(T0 - 299, 500)]));
    expect(init.spans).toEqual([]);
    expect(init.contributions).toEqual([NONE, NONE, M]);
    const invoke = p.convert(parse([raw.start(T0, REQ1, TRACE_HEADER), raw.runtimeDone(T0 + 20, REQ1, 20)]));
    const server = byName(invoke.spans, 'orders-api');
    const initSpan = byName(invoke.spans, 'init');
    expect(initSpan.spanContext().traceId).toBe(TRACE_ID);
    expect(initSpan.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(initSpan.kind).toBe(SpanKind.INTERNAL);
    expect(initSpan.attributes).toEqual({ 'aws.lambda.initialization_type': 'on-demand', 'aws.lambda.phase': 'init' });
    expect(ms(initSpan)).toEqual({ start: T0 - 800, end: T0 - 300 });
    expect(invoke.contributions).toEqual([MT, T]);
  });

  test('rust cold-start fixture (initRuntimeDone without phase) then invoke', () => {
    const p = converter();
    p.convert(fixture('01-rust-runtime-cold-start-init-events.json'));
    const invoke = p.convert(fixture('02-rust-runtime-invoke-success.json'));
    expect(invoke.spans.map((s) => s.name).sort()).toEqual(['init', 'orders-api', 'responseDuration', 'responseLatency']);
    expect(ms(byName(invoke.spans, 'init'))).toEqual({ start: Date.parse('2022-10-19T13:52:15.636Z'), end: Date.parse('2022-10-19T13:52:15.636Z') + 500 });
  });

  test('a failed init span is ERROR with its errorType', () => {
    const p = converter();
    p.convert(parse([raw.initStart(T0 - 800), raw.initRuntimeDone(T0 - 300, 'error', 'Runtime.ImportModuleError'), raw.initReport(T0 - 299, 500, 'on-demand', 'error')]));
    const spans = p.drain(T0);
    const initSpan = byName(spans, 'init');
    expect(initSpan.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Runtime.ImportModuleError' });
    expect(initSpan.parentSpanContext).toBeUndefined();
  });

  test('provisioned concurrency: init is its own root span now; the first invocation is no cold start', () => {
    const p = converter();
    const init = p.convert(parse([raw.initStart(T0 - 800, 'provisioned-concurrency'), raw.initReport(T0 - 300, 500, 'provisioned-concurrency')]));
    const initSpan = byName(init.spans, 'init');
    expect(initSpan.parentSpanContext).toBeUndefined();
    expect(init.contributions).toEqual([NONE, MT]);
    const invoke = p.convert(parse([raw.start(T0, REQ1), raw.runtimeDone(T0 + 5, REQ1, 5)]));
    expect(byName(invoke.spans, 'orders-api').attributes['faas.coldstart']).toBe(false);
    expect(invoke.spans.map((s) => s.name)).not.toContain('init');
  });

  test('held init spans are bounded: beyond the cap the oldest is emitted as a root span', () => {
    const p = converter();
    const batches = Array.from({ length: MAX_PENDING_PHASE_SPANS + 1 }, (_, i) =>
      p.convert(parse([raw.initStart(T0 + i * 10), raw.initReport(T0 + i * 10 + 5, 5)])));
    expect(batches.slice(0, -1).every((b) => b.spans.length === 0)).toBe(true);
    const [emitted] = batches.at(-1)!.spans;
    expect(emitted).toMatchObject({ name: 'init', parentSpanContext: undefined });
    expect(ms(emitted).start).toBe(T0);
  });

  test('SnapStart restore becomes a child of the first invocation after it', () => {
    const p = converter();
    const restore = p.convert(parse([raw.restoreStart(T0 - 400), raw.restoreRuntimeDone(T0 - 100), raw.restoreReport(T0 - 99, 300)]));
    expect(restore.contributions).toEqual([NONE, NONE, M]);
    const invoke = p.convert(parse([raw.start(T0, REQ1), raw.runtimeDone(T0 + 5, REQ1, 5)]));
    const server = byName(invoke.spans, 'orders-api');
    const restoreSpan = byName(invoke.spans, 'restore');
    expect(restoreSpan.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(ms(restoreSpan)).toEqual({ start: T0 - 400, end: T0 - 100 });
    expect(server.attributes['faas.coldstart']).toBe(true);
  });
});

describe('logs', () => {
  test('text and JSON records, severity, body, trace context of their invocation', () => {
    const p = converter();
    const batch = p.convert(parse([
      raw.start(T0, REQ1, TRACE_HEADER),
      raw.functionLog(T0 + 1, `2024-05-01T10:00:00.001Z\t${REQ1}\tERROR\tboom\n`),
      raw.functionLog(T0 + 2, { timestamp: '2024-05-01T10:00:00.002Z', level: 'WARN', requestId: REQ1, message: 'careful', errorType: 'TypeError', stackTrace: ['at a', 'at b'], orderId: 42 }),
      raw.functionLog(T0 + 3, `[DEBUG]\t2024-05-01T10:00:00.003Z\t${REQ1}\tpython says hi`),
      raw.extensionLog(T0 + 4, 'no format at all'),
      raw.runtimeDone(T0 + 10, REQ1, 10),
    ]));
    const server = byName(batch.spans, 'orders-api');
    expect(batch.logs.map((l) => [l.severityNumber, l.severityText, l.body])).toEqual([
      [SeverityNumber.ERROR, 'ERROR', 'boom'],
      [SeverityNumber.WARN, 'WARN', 'careful'],
      [SeverityNumber.DEBUG, 'DEBUG', 'python says hi'],
      [SeverityNumber.UNSPECIFIED, undefined, 'no format at all'],
    ]);
    for (const log of batch.logs) {
      expect(log.spanContext).toEqual({ traceId: TRACE_ID, spanId: server.spanContext().spanId, traceFlags: TraceFlags.SAMPLED });
      expect(log.attributes['faas.invocation_id']).toBe(REQ1);
    }
    expect(batch.logs[1].attributes).toEqual({
      'aws.lambda.log.source': 'function',
      'faas.invocation_id': REQ1,
      'exception.type': 'TypeError',
      'exception.stacktrace': 'at a\nat b',
      'orderId': 42,
    });
    expect(batch.logs[3].attributes['aws.lambda.log.source']).toBe('extension');
    expect(hrTimeToMilliseconds(batch.logs[0].hrTime)).toBe(T0 + 1);
    expect(batch.contributions).toEqual([M, L, L, L, L, T]);
  });

  test('a record naming an earlier, closed invocation gets that invocation\'s context', () => {
    const p = converter();
    const first = p.convert(parse([raw.start(T0, REQ1), raw.runtimeDone(T0 + 5, REQ1, 5)]));
    const batch = p.convert(parse([raw.start(T0 + 10, REQ2), raw.functionLog(T0 + 11, { timestamp: 'x', level: 'INFO', requestId: REQ1, message: 'late' })]));
    expect(batch.logs[0].spanContext?.spanId).toBe(byName(first.spans, 'orders-api').spanContext().spanId);
    // An unreadable timestamp falls back to the event time.
    expect(hrTimeToMilliseconds(batch.logs[0].hrTime)).toBe(T0 + 11);
  });

  test('logs before any invocation carry no trace context', () => {
    const batch = converter().convert(fixture('07-docs-function-and-extension-logs-text-vs-json.json'));
    expect(batch.logs).toHaveLength(4);
    expect(batch.logs[0]).toMatchObject({ severityNumber: SeverityNumber.INFO, body: 'Hello world, I am a function!', spanContext: undefined });
    expect(batch.logs[1]).toMatchObject({ severityNumber: SeverityNumber.INFO, body: 'Hello world, I am a function!' });
    expect(batch.logs[1].attributes['faas.invocation_id']).toBe(REQ3);
  });
});

describe('metrics and other events', () => {
  test('report, logsDropped and unknown events', () => {
    const p = converter();
    const batch = p.convert(parse([
      raw.report(T0, REQ1, 1500, 'error'),
      raw.report(T0 + 10, REQ2, 10, 'timeout'),
      raw.logsDropped(T0 + 20, 7),
      raw.unknown(T0 + 30),
    ]));
    expect(batch.contributions).toEqual([ML, ML, M, NONE]);
    const data = batch.metrics.toMetricData(T0, T0 + 30);
    const names = data.map((d) => d.descriptor.name).sort();
    expect(names).toEqual([
      'aws.lambda.billed_duration', 'aws.lambda.logs_dropped', 'aws.lambda.memory_size',
      'faas.errors', 'faas.invoke_duration', 'faas.mem_usage', 'faas.timeouts',
    ]);
    expect(batch.metrics.timeRange).toEqual({ startMs: T0, endMs: T0 + 20 });
  });
});
