import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { FunctionSdk } from './function-sdk';
import { OtlpConverter, type OtlpBatch } from '../../extension-src/otlp/converter';
import { hex } from '../../extension-src/otlp/function-roots';
import { signalsOf } from '../../extension-src/otlp/signals';
import type { FunctionTelemetry } from '../../extension-src/receiver';
import { parse, raw, REQ1, REQ2, REQ3, T0, TRACE_HEADER, TRACE_ID, PARENT_ID } from '../sinks/events';

/** One span of either side, as a backend sees it. */
interface TreeSpan {
  readonly side: 'function' | 'platform';
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string;
  readonly error: boolean;
}

function platformSpan(s: ReadableSpan): TreeSpan {
  const c = s.spanContext();
  return { side: 'platform', name: s.name, kind: s.kind, traceId: c.traceId, spanId: c.spanId, parentId: s.parentSpanContext?.spanId ?? '', error: s.status.code === SpanStatusCode.ERROR };
}

function functionSpans(batch: OtlpBatch): TreeSpan[] {
  return batch.forward.traces.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s): TreeSpan => ({
    side: 'function',
    name: s.name,
    // OTLP kinds are the API's + 1.
    kind: s.kind - 1,
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentId: hex(s.parentSpanId),
    error: (s.status as { code?: number } | undefined)?.code === 2,
  }))));
}

function allSpans(...batches: OtlpBatch[]): TreeSpan[] {
  return batches.flatMap((b) => [...functionSpans(b), ...b.spans.map(platformSpan)]);
}

/**
 * The spans of `traceId` as one tree: exactly one span whose parent is not in the trace (its
 * `rootParent`, '' or a remote parent), every other span's parent exported; `name -> parent name`.
 */
function tree(spans: TreeSpan[], traceId: string, rootParent = ''): Record<string, string> {
  const mine = spans.filter((s) => s.traceId === traceId);
  const byId = new Map(mine.map((s) => [s.spanId, s]));
  const roots = mine.filter((s) => !byId.has(s.parentId));
  expect(roots.map((r) => [r.name, r.parentId])).toEqual([[roots[0]?.name, rootParent]]);
  return Object.fromEntries(mine.map((s) => [`${s.side}:${s.name}`, byId.get(s.parentId) ? `${byId.get(s.parentId)!.side}:${byId.get(s.parentId)!.name}` : '(root)']));
}

const servers = (spans: TreeSpan[]) => spans.filter((s) => s.kind === SpanKind.SERVER);

function converter(clock = { now: T0 + 60_000 }, joinLimits = {}) {
  return new OtlpConverter({
    resource: resourceFromAttributes({ 'service.name': 'orders-api', 'faas.name': 'orders-api', 'cloud.region': 'eu-west-1' }),
    scope: { name: 'telemetry-extension', version: 'test' },
    spanName: 'orders-api',
    now: () => clock.now,
    joinLimits,
  });
}

const coldStart = (requestId: string, tracing?: string) => [
  raw.initStart(T0), raw.initRuntimeDone(T0 + 80), raw.initReport(T0 + 81, 81), raw.start(T0 + 100, requestId, tracing),
];
const JOINED_COLD = {
  'function:handler': '(root)',
  'function:work': 'function:handler',
  'platform:orders-api': 'function:handler',
  'platform:init': 'platform:orders-api',
  'platform:responseLatency': 'platform:orders-api',
  'platform:responseDuration': 'platform:orders-api',
};

describe('an instrumented invocation is one trace', () => {
  test('cold start, function spans before the platform events: platform spans and init join the function trace', async () => {
    const fn = new FunctionSdk();
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140, log: true });
    const p = converter();
    const first = p.convert([], [fn.traces(), await fn.logRecords()]);
    const second = p.convert(parse([
      ...coldStart(REQ1),
      raw.functionLog(T0 + 110, `2024-05-01T10:00:00.110Z\t${REQ1}\tINFO\tworking`),
      raw.runtimeDone(T0 + 150, REQ1, 50),
      raw.report(T0 + 151, REQ1, 50, 'success', { initDurationMs: 81 }),
    ]));
    const spans = allSpans(first, second);
    expect(tree(spans, ids.traceId)).toEqual(JOINED_COLD);
    // One SERVER span: the function's. The platform's invocation span is its INTERNAL child.
    expect(servers(spans).map((s) => s.side)).toEqual(['function']);
    expect(spans.find((s) => s.name === 'orders-api')?.kind).toBe(SpanKind.INTERNAL);
    // The platform's log records (function line, REPORT) are in the joined trace.
    const platformSpanId = spans.find((s) => s.name === 'orders-api')!.spanId;
    expect(second.logs.map((l) => [l.spanContext?.traceId, l.spanContext?.spanId])).toEqual([
      [ids.traceId, platformSpanId], [ids.traceId, platformSpanId],
    ]);
    const report = second.logs[1];
    expect(report.attributes).toMatchObject({ 'aws.lambda.billed_duration_ms': 50, 'aws.lambda.max_memory_used_mb': 90, 'aws.lambda.init_duration_ms': 81 });
    // The function's own log record keeps its own context (the handler span).
    const fnLog = first.forward.logs[0].scopeLogs[0].logRecords[0];
    expect([hex(fnLog.traceId), hex(fnLog.spanId)]).toEqual([ids.traceId, ids.spanId]);
    expect(p.heldInvocations).toBe(0);
    expect(p.joinCounts).toEqual({ joined: 1, unjoined: 0 });
  });

  test('warm, function spans in the same batch as runtimeDone: joined, nothing held', () => {
    const fn = new FunctionSdk();
    const p = converter();
    fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140 });
    p.convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50), raw.report(T0 + 151, REQ1, 50)]), [fn.traces()]);
    const ids = fn.invoke({ requestId: REQ2, startMs: T0 + 1002, endMs: T0 + 1040 });
    const warm = parse([raw.start(T0 + 1000, REQ2), raw.runtimeDone(T0 + 1050, REQ2, 50), raw.report(T0 + 1051, REQ2, 50)]);
    const batch = p.convert(warm, [fn.traces()]);
    const spans = allSpans(batch);
    expect(tree(spans, ids.traceId)).toEqual({
      'function:handler': '(root)',
      'function:work': 'function:handler',
      'platform:orders-api': 'function:handler',
      'platform:responseLatency': 'platform:orders-api',
      'platform:responseDuration': 'platform:orders-api',
    });
    expect(servers(spans)).toHaveLength(1);
    expect(batch.spans.find((s) => s.name === 'orders-api')?.attributes).toMatchObject({ 'faas.invocation_id': REQ2, 'faas.coldstart': false });
  });

  test('function spans after the platform events: the platform records wait, then join; their events are settled at once', () => {
    const fn = new FunctionSdk();
    const clock = { now: T0 + 60_000 };
    const p = converter(clock);
    // The process is known to be instrumented (an earlier invocation sent spans).
    fn.invoke({ requestId: REQ3, startMs: T0 - 900, endMs: T0 - 800 });
    p.convert([], [fn.traces()]);
    const events = parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50), raw.report(T0 + 151, REQ1, 50)]);
    const early = p.convert(events);
    expect(early.spans).toEqual([]);
    expect(early.logs).toEqual([]);
    expect(p.heldInvocations).toBe(1);
    // Nothing of this batch goes out, so no event depends on a request: metrics only.
    expect(early.contributions.every((s) => !s.has('traces') && !s.has('logs'))).toBe(true);
    expect(early.contributions.filter((s) => s === signalsOf(false, true))).toHaveLength(3);
    clock.now += 100;
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140 });
    const late = p.convert([], [fn.traces()]);
    expect(tree(allSpans(late), ids.traceId)).toEqual(JOINED_COLD);
    expect(late.logs.map((l) => l.spanContext?.traceId)).toEqual([ids.traceId]);
    expect(p.heldInvocations).toBe(0);
  });

  test('error: the platform span keeps its ERROR status inside the function trace', () => {
    const fn = new FunctionSdk();
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140, fail: true });
    const p = converter();
    const batch = p.convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50, 'error', 'Runtime.UnhandledPromiseRejection'), raw.report(T0 + 151, REQ1, 50, 'error')]), [fn.traces()]);
    const spans = allSpans(batch);
    expect(tree(spans, ids.traceId)).toEqual(JOINED_COLD);
    expect(spans.filter((s) => s.error).map((s) => `${s.side}:${s.name}`).sort()).toEqual(['function:handler', 'platform:orders-api']);
    expect(batch.logs[0].attributes).toMatchObject({ 'aws.lambda.invocation.status': 'error' });
  });

  test('X-Ray active tracing: no invocation id attribute, matched by the shared trace id; only the function root points at the X-Ray parent', () => {
    const fn = new FunctionSdk();
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140, xrayHeader: TRACE_HEADER, idAttribute: 'none' });
    expect(ids.traceId).toBe(TRACE_ID);
    const p = converter();
    const events = parse([...coldStart(REQ1, TRACE_HEADER), raw.runtimeDone(T0 + 150, REQ1, 50), raw.report(T0 + 151, REQ1, 50)]);
    const batch = p.convert(events, [fn.traces()]);
    const spans = allSpans(batch);
    expect(tree(spans, TRACE_ID, PARENT_ID)).toEqual(JOINED_COLD);
    expect(servers(spans).map((s) => s.side)).toEqual(['function']);
    expect(spans.filter((s) => s.parentId === PARENT_ID).map((s) => `${s.side}:${s.name}`)).toEqual(['function:handler']);
  });

  test('X-Ray active tracing with faas.invocation_id, warm, function spans first', () => {
    const fn = new FunctionSdk();
    const p = converter();
    const ids = fn.invoke({ requestId: REQ2, startMs: T0 + 102, endMs: T0 + 140, xrayHeader: TRACE_HEADER });
    const first = p.convert([], [fn.traces()]);
    const second = p.convert(parse([raw.start(T0 + 100, REQ2, TRACE_HEADER), raw.runtimeDone(T0 + 150, REQ2, 50), raw.report(T0 + 151, REQ2, 50)]));
    const spans = allSpans(first, second);
    expect(tree(spans, ids.traceId, PARENT_ID)).toMatchObject({ 'platform:orders-api': 'function:handler', 'platform:responseLatency': 'platform:orders-api' });
    expect(servers(spans)).toHaveLength(1);
  });

  test('older faas.execution names the invocation too', () => {
    const fn = new FunctionSdk();
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140, idAttribute: 'faas.execution' });
    const batch = converter().convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50)]), [fn.traces()]);
    expect(tree(allSpans(batch), ids.traceId)).toEqual(JOINED_COLD);
  });

  test('an SDK exporting OTLP/JSON is joined the same way', () => {
    const fn = new FunctionSdk();
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140 });
    const batch = converter().convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50)]), [fn.traces('json')]);
    expect(tree(allSpans(batch), ids.traceId)).toEqual(JOINED_COLD);
  });

  test('no attribute, no X-Ray: the root span that starts while the invocation runs', () => {
    const fn = new FunctionSdk();
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140, idAttribute: 'none' });
    const batch = converter().convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50)]), [fn.traces()]);
    expect(tree(allSpans(batch), ids.traceId)).toEqual(JOINED_COLD);
  });

  test('managed instances: concurrent invocations each join their own function trace', () => {
    const fn = new FunctionSdk();
    const p = converter();
    const a = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 300 });
    const b = fn.invoke({ requestId: REQ2, startMs: T0 + 112, endMs: T0 + 200 });
    const c = fn.invoke({ requestId: REQ3, startMs: T0 + 122, endMs: T0 + 250 });
    const batch = p.convert(parse([
      raw.start(T0 + 100, REQ1), raw.start(T0 + 110, REQ2), raw.start(T0 + 120, REQ3),
      raw.managedReport(T0 + 205, REQ2, 95), raw.managedReport(T0 + 255, REQ3, 135), raw.managedReport(T0 + 305, REQ1, 205),
    ]), [fn.traces()]);
    const spans = allSpans(batch);
    for (const [ids, requestId] of [[a, REQ1], [b, REQ2], [c, REQ3]] as const) {
      expect(tree(spans, ids.traceId)).toEqual({ 'function:handler': '(root)', 'function:work': 'function:handler', 'platform:orders-api': 'function:handler' });
      const platform = batch.spans.find((s) => s.spanContext().traceId === ids.traceId && s.name === 'orders-api');
      expect(platform?.attributes['faas.invocation_id']).toBe(requestId);
    }
    expect(servers(spans)).toHaveLength(3);
  });

  test('managed instances without invocation ids: time decides only for a root span no other invocation overlaps', () => {
    const fn = new FunctionSdk();
    const clock = { now: T0 + 60_000 };
    const p = converter(clock, { joinWaitMs: 100 });
    // REQ1's root starts while REQ1 alone runs; REQ2's while both run.
    const a = fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 300, idAttribute: 'none' });
    fn.invoke({ requestId: REQ2, startMs: T0 + 112, endMs: T0 + 200, idAttribute: 'none' });
    const events = parse([
      raw.start(T0 + 100, REQ1), raw.start(T0 + 110, REQ2), raw.managedReport(T0 + 205, REQ2, 95), raw.managedReport(T0 + 305, REQ1, 205),
    ]);
    const first = p.convert(events, [fn.traces()]);
    expect(first.spans.map((s) => [s.attributes['faas.invocation_id'], s.spanContext().traceId, s.kind])).toEqual([[REQ1, a.traceId, SpanKind.INTERNAL]]);
    clock.now += 100;
    const second = p.convert([]);
    // REQ2's platform span stands alone, in its own trace, as a root.
    expect(second.spans.map((s) => [s.attributes['faas.invocation_id'], s.kind, s.parentSpanContext])).toEqual([[REQ2, SpanKind.SERVER, undefined]]);
    expect(p.joinCounts).toEqual({ joined: 1, unjoined: 1 });
  });
});

describe('the bounded wait', () => {
  function instrumented(clock: { now: number }, joinLimits = {}) {
    const fn = new FunctionSdk();
    const p = converter(clock, joinLimits);
    fn.invoke({ requestId: REQ3, startMs: T0 - 900, endMs: T0 - 800 });
    p.convert([], [fn.traces()]);
    return { fn, p };
  }

  test('not instrumented: nothing waits, the platform span stands alone as before', () => {
    const batch = converter().convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50), raw.report(T0 + 151, REQ1, 50)]));
    expect(batch.spans.map((s) => [s.name, s.kind])).toEqual([
      ['init', SpanKind.INTERNAL], ['orders-api', SpanKind.SERVER], ['responseLatency', SpanKind.INTERNAL], ['responseDuration', SpanKind.INTERNAL],
    ]);
    expect(batch.logs).toHaveLength(1);
  });

  test('timeout, function spans never arrive: the platform span stands alone after joinWaitMs, and later records follow it', () => {
    const clock = { now: T0 + 60_000 };
    const { fn, p } = instrumented(clock, { joinWaitMs: 200 });
    const held = p.convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 3100, REQ1, 3000, 'timeout', 'Sandbox.Timedout')]));
    expect(held.spans).toEqual([]);
    clock.now += 199;
    expect(p.convert([]).spans).toEqual([]);
    clock.now += 1;
    const out = p.convert(parse([raw.report(T0 + 3101, REQ1, 3000, 'timeout')]));
    const invocation = out.spans.find((s) => s.name === 'orders-api')!;
    expect(invocation.kind).toBe(SpanKind.SERVER);
    expect(invocation.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Sandbox.Timedout' });
    expect(out.spans.map((s) => s.name).sort()).toEqual(['init', 'orders-api', 'responseDuration', 'responseLatency']);
    // The REPORT record is in the platform's trace, not held again.
    expect(out.logs.map((l) => l.spanContext?.traceId)).toEqual([invocation.spanContext().traceId]);
    // A function span arriving after the decision does not move what was sent.
    fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140 });
    const after = p.convert([], [fn.traces()]);
    expect(after.spans).toEqual([]);
    expect(p.joinCounts).toEqual({ joined: 0, unjoined: 1 });
  });

  test('spans that arrive only after the invocation span went out alone do not move its later REPORT record', () => {
    const fn = new FunctionSdk();
    const p = converter();
    // Cold start, not known to be instrumented yet: the platform span goes out alone at once.
    const first = p.convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50)]));
    const platformTrace = first.spans.find((s) => s.name === 'orders-api')!.spanContext().traceId;
    fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140 });
    const second = p.convert(parse([raw.report(T0 + 151, REQ1, 50)]), [fn.traces()]);
    expect(second.logs.map((l) => l.spanContext?.traceId)).toEqual([platformTrace]);
    expect(p.heldInvocations).toBe(0);
  });

  test('a final convert (about to freeze) holds nothing', () => {
    const { p } = instrumented({ now: T0 + 60_000 });
    const batch = p.convert(parse([...coldStart(REQ1), raw.runtimeDone(T0 + 150, REQ1, 50)]), [], { final: true });
    expect(batch.spans.map((s) => s.name)).toEqual(['init', 'orders-api', 'responseLatency', 'responseDuration']);
    expect(p.heldInvocations).toBe(0);
  });

  test('records of a long invocation wait at most maxHoldMs; its span can still join later', () => {
    const clock = { now: T0 + 60_000 };
    const { fn, p } = instrumented(clock, { maxHoldMs: 1000 });
    const early = p.convert(parse([raw.start(T0, REQ1), raw.functionLog(T0 + 5, { message: 'started', requestId: REQ1 })]));
    expect(early.logs).toEqual([]);
    clock.now += 1000;
    const released = p.convert([]);
    expect(released.logs).toHaveLength(1);
    const ids = fn.invoke({ requestId: REQ1, startMs: T0 + 2, endMs: T0 + 9000 });
    const end = p.convert(parse([raw.runtimeDone(T0 + 9100, REQ1, 9100)]), [fn.traces()]);
    expect(tree(allSpans(end), ids.traceId)['platform:orders-api']).toBe('function:handler');
  });

  test('at most maxHeldInvocations wait (the oldest goes out alone), and the drain lets out the rest', () => {
    const { p } = instrumented({ now: T0 + 60_000 }, { maxHeldInvocations: 2 });
    const ids = [REQ1, REQ2, 'a0000000-0000-0000-0000-000000000004'];
    const at = (i: number) => T0 + i * 100;
    const events = ids.flatMap((id, i) => [raw.start(at(i), id), raw.runtimeDone(at(i) + 50, id, 50), raw.report(at(i) + 51, id, 50)]);
    const batch = p.convert(parse(events));
    expect(batch.spans.filter((s) => s.name === 'orders-api').map((s) => s.attributes['faas.invocation_id'])).toEqual([REQ1]);
    expect(p.heldInvocations).toBe(2);
    const drained = p.drainBatch(T0 + 61_000);
    expect(drained.spans.filter((s) => s.name === 'orders-api').map((s) => s.attributes['faas.invocation_id'])).toEqual([REQ2, ids[2]]);
    expect(drained.logs).toHaveLength(2);
    expect(p.heldInvocations).toBe(0);
  });
});

describe('forwarding', () => {
  test("the function's data is forwarded unchanged but for the resource's missing cloud.* / faas.*", async () => {
    const fn = new FunctionSdk();
    fn.invoke({ requestId: REQ1, startMs: T0 + 102, endMs: T0 + 140, log: true });
    const items: FunctionTelemetry[] = [fn.traces(), await fn.logRecords()];
    const batch = converter().convert([], items);
    type Attrs = { attributes: { key: string; value?: { stringValue?: string } | null }[] } | null | undefined;
    const attrs = (r: Attrs) => Object.fromEntries((r?.attributes ?? []).map((a) => [a.key, a.value?.stringValue]));
    expect(attrs(batch.forward.traces[0].resource)).toMatchObject({ 'service.name': 'orders-fn', 'cloud.region': 'eu-west-3', 'faas.name': 'orders-api' });
    expect(attrs(batch.forward.logs[0].resource)).toMatchObject({ 'service.name': 'orders-fn', 'faas.name': 'orders-api' });
    expect(batch.forward.traces[0].scopeSpans).toBe((items[0] as { resourceSpans: { scopeSpans: unknown }[] }).resourceSpans[0].scopeSpans);
    expect(batch.forward.metrics).toEqual([]);
  });
});
