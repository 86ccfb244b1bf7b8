/**
 * The splitter on real OTLP: SDK-made spans, log records and metrics, encoded with
 * @opentelemetry/otlp-transformer (as the sink sends them), decoded with the official protos.
 */
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { makeLogRecords, makeMetrics, makeSpans } from './otel-data';
import { CLOUDWATCH_LIMITS, splitForLimits, splitResourceMetrics } from '../../extension-src/aws/split-export';
import { decodeJson, decodeProtobuf, flattenLogs, flattenMetrics, flattenSpans } from '../support/otlp-proto/decode';

const encodeSpans = (spans: readonly ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest([...spans]);

describe('CloudWatch limits', () => {
  test('are the documented ones (bytes read as decimal, the smaller meaning)', () => {
    expect(CLOUDWATCH_LIMITS.traces).toEqual({ maxItems: 10_000, maxBytes: 5_000_000, maxItemBytes: 200_000 });
    expect(CLOUDWATCH_LIMITS.logs).toEqual({ maxItems: 10_000, maxBytes: 1_000_000 });
    expect(CLOUDWATCH_LIMITS.metrics).toEqual({ maxItems: 1_000, maxBytes: 1_000_000 });
  });
});

describe('splitForLimits: spans', () => {
  test('a batch within the limits is one request, byte-identical to the unsplit encoding', async () => {
    const spans = await makeSpans(50);
    const { requests, oversized } = splitForLimits(spans, CLOUDWATCH_LIMITS.traces, encodeSpans);
    expect(oversized).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(Buffer.from(requests[0].body).equals(Buffer.from(encodeSpans(spans)!))).toBe(true);
  });

  test('10,001 spans: two requests of at most 10,000, every span exactly once, in order', async () => {
    const spans = await makeSpans(10_001);
    const { requests, oversized } = splitForLimits(spans, CLOUDWATCH_LIMITS.traces, encodeSpans);
    expect(oversized).toEqual([]);
    const decoded = requests.map((r) => flattenSpans(decodeProtobuf('traces', r.body)));
    expect(decoded.map((d) => d.length)).toEqual([10_000, 1]);
    const names = decoded.flat().map((s) => s.name);
    expect(names).toEqual(spans.map((s) => s.name));
    for (const r of requests) expect(r.body.byteLength).toBeLessThanOrEqual(5_000_000);
    // Each request keeps the resource.
    expect(decoded[1][0].resource['service.name']).toBe('split-test');
  });

  test('over the byte limit: halved until every request fits; nothing lost or duplicated', async () => {
    const spans = await makeSpans(40, 2_000);
    const whole = encodeSpans(spans)!.byteLength;
    const limits = { maxItems: 10_000, maxBytes: Math.floor(whole / 3) };
    const { requests, oversized } = splitForLimits(spans, limits, encodeSpans);
    expect(oversized).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const r of requests) expect(r.body.byteLength).toBeLessThanOrEqual(limits.maxBytes);
    const names = requests.flatMap((r) => flattenSpans(decodeProtobuf('traces', r.body)).map((s) => s.name));
    expect(names).toEqual(spans.map((s) => s.name));
    // The bodies are what would be sent: they equal the encoding of the items they list.
    for (const r of requests) expect(Buffer.from(r.body).equals(Buffer.from(encodeSpans(r.items)!))).toBe(true);
  });

  test('a span over 200 KB is set apart as oversized (the endpoint refuses it); the others go', async () => {
    const small = await makeSpans(3);
    const [big] = await makeSpans(1, 210_000);
    const spans = [small[0], big, small[1], small[2]];
    const { requests, oversized } = splitForLimits(spans, CLOUDWATCH_LIMITS.traces, encodeSpans);
    expect(oversized).toEqual([big]);
    const names = requests.flatMap((r) => flattenSpans(decodeProtobuf('traces', r.body)).map((s) => s.name));
    expect(names).toEqual([small[0].name, small[1].name, small[2].name]);
  });

  test('works with the JSON serializer too (limits apply to the encoding that is sent)', async () => {
    const spans = await makeSpans(30, 500);
    const encode = (items: readonly ReadableSpan[]) => JsonTraceSerializer.serializeRequest([...items]);
    const limits = { maxItems: 7, maxBytes: 1_000_000 };
    const { requests } = splitForLimits(spans, limits, encode);
    const counts = requests.map((r) => flattenSpans(decodeJson('traces', Buffer.from(r.body).toString('utf8'))).length);
    expect(counts).toEqual([7, 7, 7, 7, 2]);
  });

  test('no items: no request', () => {
    expect(splitForLimits([], CLOUDWATCH_LIMITS.traces, encodeSpans).requests).toEqual([]);
  });

  test('refuses nonsensical limits', () => {
    expect(() => splitForLimits([1], { maxItems: 0, maxBytes: 10 }, () => new Uint8Array(1))).toThrow(/invalid request limits/);
  });
});

describe('splitForLimits: log records', () => {
  test('over 1 MB of records: requests of at most 1,000,000 bytes, records in order', async () => {
    const records = await makeLogRecords(300, 8_000);
    const encode = (items: readonly (typeof records)[number][]) => ProtobufLogsSerializer.serializeRequest([...items]);
    expect(encode(records)!.byteLength).toBeGreaterThan(2_000_000);
    const { requests, oversized } = splitForLimits(records, CLOUDWATCH_LIMITS.logs, encode);
    expect(oversized).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const r of requests) expect(r.body.byteLength).toBeLessThanOrEqual(1_000_000);
    const bodies = requests.flatMap((r) => flattenLogs(decodeProtobuf('logs', r.body)).map((l) => l.body));
    expect(bodies).toEqual(records.map((r) => r.body));
  });

  test('10,001 records: 10,000 then 1', async () => {
    const records = await makeLogRecords(10_001, 0);
    const encode = (items: readonly (typeof records)[number][]) => ProtobufLogsSerializer.serializeRequest([...items]);
    const { requests } = splitForLimits(records, CLOUDWATCH_LIMITS.logs, encode);
    expect(requests.map((r) => flattenLogs(decodeProtobuf('logs', r.body)).length)).toEqual([10_000, 1]);
  });
});

describe('splitResourceMetrics', () => {
  const encode = (rm: ResourceMetrics) => ProtobufMetricsSerializer.serializeRequest(rm);

  function points(body: Uint8Array): string[] {
    return flattenMetrics(decodeProtobuf('metrics', body)).flatMap((m) => m.dataPoints.map((p) => `${m.scope.name}/${m.name}/${String(p.attributes['test.point'])}`));
  }

  test('2,500 data points over 5 metrics and 2 scopes: requests of at most 1,000 points; every point once', async () => {
    const metrics = await makeMetrics(4, 500);
    const all = points(encode(metrics)!);
    expect(all).toHaveLength(2_500);
    const { requests, oversized } = splitResourceMetrics(metrics, CLOUDWATCH_LIMITS.metrics, encode);
    expect(oversized).toEqual([]);
    const perRequest = requests.map((r) => points(r.body));
    expect(perRequest.map((p) => p.length)).toEqual([1_000, 1_000, 500]);
    expect(perRequest.flat().sort()).toEqual([...all].sort());
    // Descriptors survive the split: temporality, type, unit, monotonicity and the scope.
    const decoded = requests.flatMap((r) => flattenMetrics(decodeProtobuf('metrics', r.body)));
    const histogram = decoded.filter((m) => m.name === 'test.duration');
    expect(histogram.length).toBeGreaterThan(0);
    for (const m of histogram) expect(m).toMatchObject({ type: 'histogram', unit: 'ms', scope: { name: 'scope-a', version: '1.0.0' } });
    const counters = decoded.filter((m) => m.name.startsWith('test.counter.'));
    expect(counters.length).toBeGreaterThan(0);
    for (const m of counters) expect(m).toMatchObject({ type: 'sum', unit: '{event}', isMonotonic: true, temporality: 'AGGREGATION_TEMPORALITY_DELTA' });
    // Each request is the ResourceMetrics it encodes.
    for (const r of requests) expect(Buffer.from(r.body).equals(Buffer.from(encode(r.items[0])!))).toBe(true);
  });

  test('a byte limit splits by data points too', async () => {
    const metrics = await makeMetrics(2, 100);
    const whole = encode(metrics)!.byteLength;
    const limits = { maxItems: 1_000, maxBytes: Math.floor(whole / 2) };
    const { requests } = splitResourceMetrics(metrics, limits, encode);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) expect(r.body.byteLength).toBeLessThanOrEqual(limits.maxBytes);
    expect(requests.flatMap((r) => points(r.body)).sort()).toEqual(points(encode(metrics)!).sort());
  });
});
