/**
 * The OTLP receiver's answers. Requests are the real OpenTelemetry JS SDK's encodings of real SDK
 * spans (@opentelemetry/otlp-transformer's serializers, what its exporters send), or hand-made bad
 * ones; responses are parsed with the SDK's own response deserializers, Status bodies with
 * protobufjs on status.proto. The SDK exporters themselves run in a function process (they load
 * parts of themselves with dynamic import(), which jest's VM cannot): see function-clients.test.ts.
 */
import * as zlib from 'node:zlib';
import { ValueType } from '@opentelemetry/api';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  JsonMetricsSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as protobuf from 'protobufjs';
import { attr, decodeStatus, hex, post, startTestReceiver, type TestReceiver } from './helpers';
import type { FunctionMetrics, FunctionTraces } from '../../extension-src/receiver';
import { otlpSchema } from '../support/otlp-proto/decode';

let receiver: TestReceiver;
afterEach(async () => {
  await receiver?.close();
});

const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;
const resource = resourceFromAttributes({ 'service.name': 'fn-svc', 'cloud.region': 'eu-west-1' });

/** Spans made by the real SDK, kept in memory (to POST by hand in the encodings the tests need). */
async function sdkSpans(count: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('test-scope', '1.2.3');
  for (let i = 0; i < count; i++) tracer.startActiveSpan(`op-${i}`, (span) => span.end());
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/**
 * A resource attribute whose value is an array in an array in an array... `depth` times, encoded
 * by protobufjs on the official schema (its own nesting limit lifted for the encoding only).
 */
function nestedProtobuf(depth: number): Buffer {
  let value: Record<string, unknown> = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
  const type = otlpSchema().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const limit = protobuf.util.recursionLimit;
  protobuf.util.recursionLimit = 10 * depth;
  try {
    return Buffer.from(type.encode(type.fromObject({ resourceSpans: [{ resource: { attributes: [{ key: 'k', value }] } }] })).finish());
  } finally {
    protobuf.util.recursionLimit = limit;
  }
}

describe('answers', () => {
  const tracesProto = async (count = 2) => Buffer.from(ProtobufTraceSerializer.serializeRequest(await sdkSpans(count))!);

  it('200 with an empty ExportTraceServiceResponse in protobuf', async () => {
    receiver = await startTestReceiver();
    const reply = await post(receiver.running.port, '/v1/traces', await tracesProto(), { 'content-type': 'application/x-protobuf' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/x-protobuf');
    expect(reply.body).toHaveLength(0);
    expect(ProtobufTraceSerializer.deserializeResponse(reply.body)).toEqual({});
  });

  it('OTLP/JSON in (hex ids, string int64s), a JSON response out', async () => {
    receiver = await startTestReceiver();
    const spans = await sdkSpans(2);
    const body = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
    const reply = await post(receiver.running.port, '/v1/traces', body, { 'content-type': 'application/json; charset=utf-8' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JsonTraceSerializer.deserializeResponse(reply.body)).toEqual({});
    const item = receiver.accepted[0].item as FunctionTraces;
    expect(item.encoding).toBe('json');
    const got = item.resourceSpans[0].scopeSpans[0].spans;
    expect(got.map((s) => hex(s.traceId))).toEqual(spans.map((s) => s.spanContext().traceId));
    expect(got.map((s) => hex(s.spanId))).toEqual(spans.map((s) => s.spanContext().spanId));
    const [s, ns] = spans[0].endTime;
    expect(got[0].endTimeUnixNano.toString()).toBe((BigInt(s) * 1_000_000_000n + BigInt(ns)).toString());
  });

  it.each(['protobuf', 'json'] as const)('metrics from the SDK (%s): sums, gauges and histograms, data points counted', async (encoding) => {
    receiver = await startTestReceiver();
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })] });
    const meter = provider.getMeter('metric-scope', '2.0.0');
    const counter = meter.createCounter('orders', { valueType: ValueType.INT });
    counter.add(1, { kind: 'a' });
    counter.add(2, { kind: 'b' });
    meter.createHistogram('latency', { unit: 'ms' }).record(12.5);
    meter.createObservableGauge('temperature').addCallback((result) => result.observe(21.5));
    await provider.forceFlush();
    const [collected] = exporter.getMetrics();
    await provider.shutdown();

    const body = encoding === 'json' ? JsonMetricsSerializer.serializeRequest(collected) : ProtobufMetricsSerializer.serializeRequest(collected);
    const reply = await post(receiver.running.port, '/v1/metrics', Buffer.from(body!), { 'content-type': CONTENT_TYPE[encoding] });
    expect(reply.status).toBe(200);
    const response = encoding === 'json' ? JsonMetricsSerializer.deserializeResponse(reply.body) : ProtobufMetricsSerializer.deserializeResponse(reply.body);
    expect(response).toEqual({});

    const item = receiver.accepted[0].item as FunctionMetrics;
    expect(item.items).toBe(4);
    const scope = item.resourceMetrics[0].scopeMetrics[0];
    expect(scope.scope).toMatchObject({ name: 'metric-scope', version: '2.0.0' });
    const byName = new Map(scope.metrics.map((m) => [m.name, m]));
    const orders = byName.get('orders')!.sum!;
    expect(orders.isMonotonic).toBe(true);
    expect(orders.aggregationTemporality).toBe(2); // CUMULATIVE
    expect(orders.dataPoints.map((p) => [attr(p.attributes, 'kind'), String(p.asInt)]).sort()).toEqual([['a', '1'], ['b', '2']]);
    const latency = byName.get('latency')!;
    expect(latency.unit).toBe('ms');
    expect(latency.histogram!.dataPoints[0]).toMatchObject({ sum: 12.5, min: 12.5, max: 12.5 });
    expect(String(latency.histogram!.dataPoints[0].count)).toBe('1');
    expect(byName.get('temperature')!.gauge!.dataPoints[0].asDouble).toBe(21.5);
  });

  it('partial_success: spans with invalid ids are refused and counted, the others kept', async () => {
    receiver = await startTestReceiver();
    const spans = await sdkSpans(3);
    const json = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString());
    json.resourceSpans[0].scopeSpans[0].spans[1].traceId = '00000000000000000000000000000000';
    json.resourceSpans[0].scopeSpans[0].spans[2].spanId = 'abcd';
    for (const encoding of ['json', 'protobuf'] as const) {
      const copy = structuredClone(json);
      let body: Buffer;
      if (encoding === 'json') {
        body = Buffer.from(JSON.stringify(copy));
      } else {
        // the same request in protobuf, via the SDK's JSON -> its own protobuf encoder is not
        // possible; build it from spans with broken contexts instead
        const broken = spans.map((span, i) => (i === 0 ? span : {
          ...span,
          spanContext: () => ({ ...span.spanContext(), ...(i === 1 ? { traceId: '0'.repeat(32) } : { spanId: 'abcd' }) }),
        })) as ReadableSpan[];
        body = Buffer.from(ProtobufTraceSerializer.serializeRequest(broken)!);
      }
      const reply = await post(receiver.running.port, '/v1/traces', body, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' });
      expect(reply.status).toBe(200);
      const response = encoding === 'json' ? JsonTraceSerializer.deserializeResponse(reply.body) : ProtobufTraceSerializer.deserializeResponse(reply.body);
      expect(Number(response.partialSuccess?.rejectedSpans)).toBe(2);
      expect(response.partialSuccess?.errorMessage).toMatch(/2 span\(s\) without a valid trace id/);
    }
    expect(receiver.accepted.map((a) => a.item.items)).toEqual([1, 1]);
    expect(receiver.accepted.map((a) => hex((a.item as FunctionTraces).resourceSpans[0].scopeSpans[0].spans[0].spanId)))
      .toEqual([spans[0].spanContext().spanId, spans[0].spanContext().spanId]);
  });

  it('partial_success for logs in the logs response type', async () => {
    receiver = await startTestReceiver();
    const body = JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'ok' } }, { body: { stringValue: 'bad' }, traceId: 'ff' }] }] }],
    });
    const reply = await post(receiver.running.port, '/v1/logs', body, { 'content-type': 'application/json' });
    expect(reply.status).toBe(200);
    expect(Number(JsonLogsSerializer.deserializeResponse(reply.body).partialSuccess?.rejectedLogRecords)).toBe(1);
    expect(receiver.accepted[0].item.items).toBe(1);
  });

  it('a request with no records is answered 200 and hands nothing over', async () => {
    receiver = await startTestReceiver();
    const reply = await post(receiver.running.port, '/v1/logs', Buffer.alloc(0), { 'content-type': 'application/x-protobuf' });
    expect(reply.status).toBe(200);
    expect(ProtobufLogsSerializer.deserializeResponse(reply.body)).toEqual({});
    expect(receiver.accepted).toHaveLength(0);
  });

  it.each([
    ['garbage protobuf', 'application/x-protobuf', undefined, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), /not a valid protobuf/],
    ['truncated protobuf', 'application/x-protobuf', undefined, 'truncate', /not a valid protobuf/],
    ['not JSON', 'application/json', undefined, Buffer.from('{"resourceSpans": ['), /not a valid OTLP\/JSON/],
    ['a JSON array', 'application/json', undefined, Buffer.from('[]'), /expected a JSON object, got an array/],
    ['a non-hex trace id', 'application/json', undefined, Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}'), /traceId is not hex/],
    ['a wrongly-typed message field', 'application/json', undefined, Buffer.from('{"resourceSpans":[{"resource":7}]}'), /resource: object expected/],
    ['bad gzip', 'application/x-protobuf', 'gzip', Buffer.from('not gzip at all'), /not valid gzip/],
    ['protobuf nested deeper than the decoder allows', 'application/x-protobuf', undefined, 'nested', /max depth exceeded/],
    ['JSON nested deeper than 256 levels', 'application/json', undefined, Buffer.from(`{"resourceSpans":${'['.repeat(300)}${']'.repeat(300)}}`), /nested deeper than 256 levels/],
  ])('400 with a Status for %s', async (_name, contentType, contentEncoding, raw, why) => {
    receiver = await startTestReceiver();
    const body = raw === 'truncate' ? (await tracesProto(3)).subarray(0, 40) : raw === 'nested' ? nestedProtobuf(500) : raw as Buffer;
    const headers: Record<string, string> = { 'content-type': contentType };
    if (contentEncoding) headers['content-encoding'] = contentEncoding;
    const reply = await post(receiver.running.port, '/v1/traces', body, headers);
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toBe(contentType);
    const status = decodeStatus(reply.body, contentType);
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.message).toMatch(why);
    expect(receiver.accepted).toHaveLength(0);
    // and keeps serving
    const next = await post(receiver.running.port, '/v1/traces', await tracesProto(), { 'content-type': 'application/x-protobuf' });
    expect(next.status).toBe(200);
  });

  it('413 above the body limit, on the wire and after gunzip', async () => {
    receiver = await startTestReceiver({ maxBodyBytes: 4096 });
    const big = await tracesProto(100);
    expect(big.length).toBeGreaterThan(4096);
    const plain = await post(receiver.running.port, '/v1/traces', big, { 'content-type': 'application/x-protobuf' });
    expect(plain.status).toBe(413);
    expect(decodeStatus(plain.body, 'application/x-protobuf').message).toMatch(/exceeds 4096 bytes/);
    const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024));
    expect(bomb.length).toBeLessThan(4096);
    const gz = await post(receiver.running.port, '/v1/traces', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(gz.status).toBe(413);
    expect(decodeStatus(gz.body, 'application/x-protobuf').message).toMatch(/after gunzip/);
    expect(receiver.accepted).toHaveLength(0);
  });

  it.each([
    ['text/plain', undefined],
    ['application/grpc', undefined],
    [undefined, undefined],
    ['application/x-protobuf', 'br'],
  ])('415 for content type %s, encoding %s', async (contentType, contentEncoding) => {
    receiver = await startTestReceiver();
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (contentEncoding) headers['content-encoding'] = contentEncoding;
    const reply = await post(receiver.running.port, '/v1/metrics', await tracesProto(), headers);
    expect(reply.status).toBe(415);
    expect(decodeStatus(reply.body, reply.headers['content-type']).message).toMatch(/unsupported content/);
  });

  it.each([[503, 14], [429, 8]] as const)('full queue: %s with Retry-After and a Status', async (fullStatus, code) => {
    receiver = await startTestReceiver({ fullStatus, retryAfterSeconds: 2 });
    receiver.script.push('full');
    const reply = await post(receiver.running.port, '/v1/traces', await tracesProto(), { 'content-type': 'application/x-protobuf' });
    expect(reply.status).toBe(fullStatus);
    expect(reply.headers['retry-after']).toBe('2');
    expect(decodeStatus(reply.body, 'application/x-protobuf').code).toBe(code);
  });

  it('405 for other methods, 404 for other paths', async () => {
    receiver = await startTestReceiver();
    expect((await post(receiver.running.port, '/v1/traces', '', {}, 'GET')).status).toBe(405);
    expect((await post(receiver.running.port, '/v1/spans', 'x', { 'content-type': 'application/x-protobuf' })).status).toBe(404);
  });

  it('listens on 127.0.0.1 only', async () => {
    receiver = await startTestReceiver();
    expect(receiver.running.server.address()).toMatchObject({ address: '127.0.0.1' });
    expect(receiver.url).toBe(`http://localhost:${receiver.running.port}`);
  });
});
