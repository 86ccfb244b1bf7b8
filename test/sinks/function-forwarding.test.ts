/**
 * Every sink forwards the function's own OTLP data (the receiver's items) with the platform's:
 * OTLP in the same request per signal (protobuf concatenation, JSON arrays merged), resources
 * merged with the extension's; the HTTP and stdout sinks in their JSON shapes. Records are
 * counted apart (`outcome.function`). Collector output decoded with the official protos.
 */
import { PassThrough } from 'node:stream';
import { counted } from './counted';
import { parse, raw, REQ1, T0 } from './events';
import type { RetryClock } from '../../extension-src/delivery/retry';
import type { PipelineItem } from '../../extension-src/pipeline/items';
import { decodeRequest, type FunctionTelemetry, type OtlpSignal } from '../../extension-src/receiver';
import { HttpSink } from '../../extension-src/sinks/http-sink';
import { OtlpSink } from '../../extension-src/sinks/otlp/otlp-sink';
import { buildResource } from '../../extension-src/sinks/resource';
import { StdoutSink } from '../../extension-src/sinks/stdout-sink';
import { Counters } from '../../extension-src/stats/counters';
import type { OtlpProtocolName } from '../../lib/config/contract';
import { otlpSchema } from '../support/otlp-proto/decode';
import { OtlpReceiver } from '../support/otlp-receiver';

const resource = buildResource({
  env: { AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'orders-api', AWS_LAMBDA_FUNCTION_VERSION: '$LATEST' },
  serviceName: 'orders-platform',
}).attributes;

const clock: RetryClock = { now: () => Date.now(), random: () => 0.5, sleep: async () => undefined };
const soon = () => Date.now() + 10_000;
const TRACE = 'aa'.repeat(16);
const FN_RESOURCE = { attributes: [{ key: 'service.name', value: { stringValue: 'orders-fn' } }, { key: 'cloud.region', value: { stringValue: 'from-the-function' } }] };

const TYPES: Record<OtlpSignal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
};

/** What the receiver would hand over for `request`: encoded with the official schema, decoded by the receiver's codec. */
function functionItem(signal: OtlpSignal, request: Record<string, unknown>, items: number): FunctionTelemetry {
  const type = otlpSchema().lookupType(TYPES[signal]);
  const decoded = decodeRequest(signal, 'protobuf', type.encode(type.fromObject(request)).finish()) as unknown as Record<string, unknown>;
  return { source: 'function', items, receivedAtMs: T0 + 50, encoding: 'protobuf', signal, ...decoded } as unknown as FunctionTelemetry;
}

const fnSpans = () => functionItem('traces', {
  resourceSpans: [{
    resource: FN_RESOURCE,
    scopeSpans: [{
      scope: { name: 'fn' },
      spans: [
        { traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from('01'.repeat(8), 'hex'), name: 'handler', kind: 2, startTimeUnixNano: '1714557600000000000', endTimeUnixNano: '1714557600100000000' },
        { traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from('02'.repeat(8), 'hex'), parentSpanId: Buffer.from('01'.repeat(8), 'hex'), name: 'work', startTimeUnixNano: '1714557600010000000', endTimeUnixNano: '1714557600090000000' },
      ],
    }],
  }],
}, 2);
const fnLogs = () => functionItem('logs', {
  resourceLogs: [{ resource: FN_RESOURCE, scopeLogs: [{ logRecords: [{ timeUnixNano: '1714557600050000000', severityNumber: 9, body: { stringValue: 'from the function' }, traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from('01'.repeat(8), 'hex') }] }] }],
}, 1);
const fnMetrics = () => functionItem('metrics', {
  resourceMetrics: [{ resource: FN_RESOURCE, scopeMetrics: [{ metrics: [{ name: 'fn.orders', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '3', timeUnixNano: '1714557600050000000' }] } }] }] }],
}, 1);

function invocation(): PipelineItem[] {
  const [start, log, done, report] = parse([
    raw.start(T0, REQ1),
    raw.functionLog(T0 + 5, 'platform log line'),
    raw.runtimeDone(T0 + 120, REQ1, 120),
    raw.report(T0 + 130, REQ1, 121.5),
  ]);
  return [start, fnSpans(), log, fnLogs(), fnMetrics(), done, report];
}

describe.each<OtlpProtocolName>(['http/protobuf', 'http/json'])('OtlpSink %s forwards the function’s data', (protocol) => {
  let collector: OtlpReceiver;
  let sink: OtlpSink;
  let counters: Counters;
  beforeEach(async () => {
    collector = await OtlpReceiver.start();
    counters = new Counters();
    sink = counted(new OtlpSink({ endpoint: collector.url, protocol, headers: {}, compression: 'gzip', timeoutMs: 2000, resource, counters, clock }), counters);
  });
  afterEach(async () => {
    await sink.shutdown(Date.now());
    await collector.close();
  });

  test('one request per signal holds both sides; the function’s resource kept, cloud.* / faas.* filled in', async () => {
    const items = invocation();
    counters.source('function').received = 4; // as the ingest step counted them
    const outcome = await sink.export(items, soon());
    expect(outcome).toEqual({ exported: 4 + 4, dropped: 0, function: { exported: 4, dropped: 0 } });
    expect(collector.requests.map((r) => r.path).sort()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);

    const [traces] = collector.requestsFor('traces');
    const spans = collector.spansOf(traces);
    expect(spans.map((s) => `${s.resource['service.name']}:${s.name}`).sort()).toEqual([
      'orders-fn:handler', 'orders-fn:work', 'orders-platform:orders-api', 'orders-platform:responseDuration', 'orders-platform:responseLatency',
    ]);
    const handler = spans.find((s) => s.name === 'handler')!;
    expect(handler.traceId).toBe(TRACE);
    expect(spans.find((s) => s.name === 'work')!.parentSpanId).toBe(handler.spanId);
    // Kept: the function's own cloud.region and service.name; filled in: faas.name, cloud.provider.
    expect(handler.resource).toMatchObject({ 'service.name': 'orders-fn', 'cloud.region': 'from-the-function', 'faas.name': 'orders-api', 'cloud.provider': 'aws' });
    expect(handler.resource['telemetry.sdk.name']).toBeUndefined();

    const logs = collector.logsOf(collector.requestsFor('logs')[0]);
    expect(logs.map((l) => String(l.body).split(' ')[0]).sort()).toEqual(['REPORT', 'from', 'platform']);
    expect(logs.find((l) => l.body === 'from the function')!.traceId).toBe(TRACE);

    const metrics = collector.metricsOf(collector.requestsFor('metrics')[0]);
    const own = metrics.find((m) => m.name === 'fn.orders')!;
    expect(own.resource['service.name']).toBe('orders-fn');
    expect(own.dataPoints[0].value).toBe(3);
    expect(metrics.some((m) => m.name === 'faas.invoke_duration')).toBe(true);
    // Self-telemetry by source rides along.
    const bySource = metrics.find((m) => m.name === 'telemetry_extension.source.records')!;
    expect(bySource.dataPoints).toContainEqual(expect.objectContaining({
      attributes: { 'telemetry_extension.source': 'function', 'telemetry_extension.outcome': 'received' },
      value: 4,
    }));
  });

  test('the function’s data alone, and a permanent refusal dropping its records', async () => {
    expect(await sink.export([fnSpans()], soon())).toEqual({ exported: 2, dropped: 0, function: { exported: 2, dropped: 0 } });
    expect(collector.spans().map((s) => s.name).sort()).toEqual(['handler', 'work']);
    collector.enqueue({ status: 400, match: 'logs' });
    expect(await sink.export([fnLogs()], soon())).toEqual({ exported: 0, dropped: 1, failedAttempts: 1, function: { exported: 0, dropped: 1 } });
    expect(counters.exportsOf('function')).toEqual({ exported: 2, dropped: 1 });
    expect(counters.snapshot()).toMatchObject({ 'function.exported': 2, 'function.dropped': 1, 'exported': 2, 'dropped': 1 });
  });

  test('per-request limits split the function’s resources too', async () => {
    const limited = counted(new OtlpSink({
      endpoint: collector.url,
      protocol,
      headers: {},
      compression: 'none',
      timeoutMs: 2000,
      resource,
      counters,
      clock,
      requestLimits: { traces: { maxItems: 2 } },
    }), counters);
    const outcome = await limited.export([fnSpans(), fnSpans()], soon());
    await limited.shutdown(Date.now());
    expect(outcome).toEqual({ exported: 4, dropped: 0, function: { exported: 4, dropped: 0 } });
    const traces = collector.requestsFor('traces');
    expect(traces).toHaveLength(2);
    for (const r of traces) expect(collector.spansOf(r)).toHaveLength(2);
  });
});

describe('HttpSink forwards the function’s data under "function"', () => {
  test('OTLP/JSON requests, resources merged, records counted apart', async () => {
    const collector = await OtlpReceiver.start();
    const sink = new HttpSink({ endpoint: `${collector.url}/events`, headers: {}, compression: 'none', timeoutMs: 2000, resource, clock });
    try {
      const outcome = await sink.export(invocation(), soon());
      expect(outcome).toEqual({ exported: 8, dropped: 0, function: { exported: 4, dropped: 0 } });
      const [body] = collector.jsonBodies() as Array<{ events: unknown[]; function: Array<Record<string, any>> }>;
      expect(body.events).toHaveLength(4);
      expect(body.function.map((f) => [f.signal, f.records, f.receivedAtMs])).toEqual([['traces', 2, T0 + 50], ['logs', 1, T0 + 50], ['metrics', 1, T0 + 50]]);
      const rs = body.function[0].request.resourceSpans[0];
      expect(rs.resource.attributes).toEqual(expect.arrayContaining([
        { key: 'service.name', value: { stringValue: 'orders-fn' } },
        { key: 'cloud.region', value: { stringValue: 'from-the-function' } },
        { key: 'faas.name', value: { stringValue: 'orders-api' } },
      ]));
      const handler = rs.scopeSpans[0].spans[0];
      expect(handler).toMatchObject({ traceId: TRACE, spanId: '01'.repeat(8), name: 'handler', kind: 2, startTimeUnixNano: '1714557600000000000' });
      // What is sent is valid OTLP/JSON: the official schema reads it back.
      const type = otlpSchema().lookupType(TYPES.traces);
      expect(type.verify(JSON.parse(JSON.stringify({ resourceSpans: [{ ...rs, scopeSpans: [] }] })))).toBeNull();
    } finally {
      await sink.shutdown(Date.now());
      await collector.close();
    }
  });
});

describe('StdoutSink writes one line per request of the function', () => {
  test('type function.<signal>, the OTLP/JSON request as the record', async () => {
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (c: Buffer) => chunks.push(c.toString()));
    const sink = new StdoutSink({ output, resource });
    const outcome = await sink.export(invocation(), soon());
    expect(outcome).toEqual({ exported: 8, dropped: 0, function: { exported: 4, dropped: 0 } });
    const lines = chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.map((l) => l.type)).toEqual(['platform.start', 'function.traces', 'function', 'function.logs', 'function.metrics', 'platform.runtimeDone', 'platform.report']);
    for (const l of lines) expect(l.source).toBe('telemetry-extension');
    const traces = lines[1];
    expect(traces.time).toBe(new Date(T0 + 50).toISOString());
    expect(traces.record.records).toBe(2);
    expect(traces.record.request.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name)).toEqual(['handler', 'work']);
    expect(traces.record.request.resourceSpans[0].resource.attributes).toContainEqual({ key: 'faas.name', value: { stringValue: 'orders-api' } });
  });
});
