/**
 * Real function-side clients against the receiver (in-process, free port): the Node.js handler
 * instrumented with the OpenTelemetry JS SDK and the Python handler built on the official
 * opentelemetry-proto classes, each run by its runtime loop in the Lambda emulator and configured
 * only by the environment `attachTo` will set. No extension layer: this proves the receiver side.
 */
import { attr, hex, startTestReceiver, type TestReceiver } from './helpers';
import type { FunctionLogs, FunctionMetrics, FunctionTraces, Span } from '../../extension-src/receiver';
import { LambdaEmulator } from '../emulator/emulator';
import { bundleNodeOtelFunction, pythonOtlpFunction, type FunctionAsset } from '../support/function-fixtures';

let receiver: TestReceiver | undefined;
let emulator: LambdaEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  await receiver?.close();
  receiver = undefined;
});

function otelEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'checkout', ...extra };
}

function spansOf(r: TestReceiver): Span[] {
  return r.accepted
    .filter((a) => a.item.signal === 'traces')
    .flatMap((a) => (a.item as FunctionTraces).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

function logsOf(r: TestReceiver) {
  return r.accepted
    .filter((a) => a.item.signal === 'logs')
    .flatMap((a) => (a.item as FunctionLogs).resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
}

describe('Node.js handler with the OpenTelemetry JS SDK', () => {
  let fn: FunctionAsset;
  beforeAll(async () => {
    fn = await bundleNodeOtelFunction();
  });
  afterAll(() => fn?.cleanup());

  it('exports its SERVER span, child span, log record and metric, gzipped, before returning', async () => {
    receiver = await startTestReceiver();
    emulator = await LambdaEmulator.start({
      handlerDir: fn.dir, handler: fn.handler, env: otelEnv(receiver.url, { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }),
    });
    const result = await emulator.invoke({});
    expect(result.status).toBe('success');
    const ids = result.response as { traceId: string; spanId: string };

    // Everything arrived before the invocation's response: forceFlush waited for the receiver's 200.
    const items = receiver.accepted.map((a) => a.item);
    expect(items.map((i) => i.signal).sort()).toEqual(['logs', 'metrics', 'traces']);
    const traces = items.find((i) => i.signal === 'traces') as FunctionTraces;
    expect(attr(traces.resourceSpans[0].resource!.attributes, 'service.name')).toBe('checkout');
    expect(attr(traces.resourceSpans[0].resource!.attributes, 'telemetry.sdk.language')).toBe('nodejs');

    const spans = spansOf(receiver);
    const server = spans.find((s) => s.name === 'handler')!;
    expect(server.kind).toBe(2);
    expect(hex(server.traceId)).toBe(ids.traceId);
    expect(hex(server.spanId)).toBe(ids.spanId);
    expect(hex(server.parentSpanId)).toBe('');
    expect(attr(server.attributes, 'faas.invocation_id')).toBe(result.requestId);
    const work = spans.find((s) => s.name === 'work')!;
    expect(hex(work.traceId)).toBe(ids.traceId);
    expect(hex(work.parentSpanId)).toBe(ids.spanId);
    expect(BigInt(work.startTimeUnixNano.toString())).toBeGreaterThanOrEqual(BigInt(server.startTimeUnixNano.toString()));

    const [record] = logsOf(receiver);
    expect(record.body?.stringValue).toBe(`handled ${result.requestId}`);
    expect(hex(record.traceId)).toBe(ids.traceId);
    expect(hex(record.spanId)).toBe(ids.spanId);

    const metrics = (items.find((i) => i.signal === 'metrics') as FunctionMetrics).resourceMetrics[0].scopeMetrics[0].metrics;
    const counter = metrics.find((m) => m.name === 'fixture.invocations')!;
    expect(counter.sum!.isMonotonic).toBe(true);
    expect(counter.sum!.dataPoints).toHaveLength(1);
    const point = counter.sum!.dataPoints[0];
    expect(String(Object.hasOwn(point, 'asInt') ? point.asInt : point.asDouble)).toBe('1');

    expect(receiver.requests.map((r) => [r.path, r.headers['content-type'], r.headers['content-encoding']]).sort()).toEqual([
      ['/v1/logs', 'application/x-protobuf', 'gzip'],
      ['/v1/metrics', 'application/x-protobuf', 'gzip'],
      ['/v1/traces', 'application/x-protobuf', 'gzip'],
    ]);
  });

  it('a full queue (503 + Retry-After) makes the SDK retry; nothing is lost, the flush still returns', async () => {
    receiver = await startTestReceiver({ retryAfterSeconds: 0 });
    receiver.script.push('full', 'full');
    emulator = await LambdaEmulator.start({ handlerDir: fn.dir, handler: fn.handler, env: otelEnv(receiver.url) });
    const result = await emulator.invoke({ spansOnly: true, extraSpans: 8 });
    expect(result.status).toBe('success');
    expect(receiver.script).toHaveLength(0); // both refusals were met: two retries
    expect(receiver.accepted).toHaveLength(1);
    expect(receiver.accepted[0].item.items).toBe(10);
  });

  it('an error invocation still exports its spans, the SERVER span with status ERROR', async () => {
    receiver = await startTestReceiver();
    emulator = await LambdaEmulator.start({ handlerDir: fn.dir, handler: fn.handler, env: otelEnv(receiver.url) });
    const result = await emulator.invoke({ fail: true });
    expect(result.status).toBe('error');
    const server = spansOf(receiver).find((s) => s.name === 'handler')!;
    expect((server.status as { code: number }).code).toBe(2); // STATUS_CODE_ERROR
    expect(attr(server.attributes, 'faas.invocation_id')).toBe(result.requestId);
  });
});

describe('Python handler with the official opentelemetry-proto classes', () => {
  const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
  const PARENT = '53995c3f42cd8ad8';

  it('joins the X-Ray trace of _X_AMZN_TRACE_ID; without it, starts its own', async () => {
    const fn = pythonOtlpFunction();
    receiver = await startTestReceiver();
    emulator = await LambdaEmulator.start({
      handlerDir: fn.dir, handler: fn.handler, runtimeCommand: fn.runtimeCommand, env: otelEnv(receiver.url),
    });

    const withXray = await emulator.invoke({}, { traceHeader: `Root=${ROOT};Parent=${PARENT};Sampled=1` });
    expect(withXray.status).toBe('success');
    const ids = withXray.response as { traceId: string; spanId: string };
    expect(ids.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    let spans = spansOf(receiver);
    const server = spans.find((s) => s.name === 'handler')!;
    expect(hex(server.traceId)).toBe('5759e988bd862e3fe1be46a994272793');
    expect(hex(server.parentSpanId)).toBe(PARENT);
    expect(server.kind).toBe(2);
    expect(attr(server.attributes, 'faas.invocation_id')).toBe(withXray.requestId);
    expect(hex(spans.find((s) => s.name === 'work')!.parentSpanId)).toBe(ids.spanId);
    const [record] = logsOf(receiver);
    expect(hex(record.traceId)).toBe(ids.traceId);
    expect(hex(record.spanId)).toBe(ids.spanId);
    expect(attr((receiver.accepted[0].item as FunctionTraces).resourceSpans[0].resource!.attributes, 'service.name')).toBe('checkout');

    receiver.accepted.length = 0;
    const without = await emulator.invoke({});
    expect(without.status).toBe('success');
    spans = spansOf(receiver);
    const own = spans.find((s) => s.name === 'handler')!;
    expect(hex(own.traceId)).not.toBe(ids.traceId);
    expect(hex(own.traceId)).toHaveLength(32);
    expect(hex(own.parentSpanId)).toBe('');
    expect(attr(own.attributes, 'faas.invocation_id')).toBe(without.requestId);
  });

  it('an error is reported to the Runtime API after the telemetry went out', async () => {
    const fn = pythonOtlpFunction();
    receiver = await startTestReceiver();
    emulator = await LambdaEmulator.start({
      handlerDir: fn.dir, handler: fn.handler, runtimeCommand: fn.runtimeCommand, env: otelEnv(receiver.url),
    });
    const result = await emulator.invoke({ fail: true });
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ errorType: 'RuntimeError', errorMessage: 'asked to fail' });
    expect(spansOf(receiver).map((s) => s.name).sort()).toEqual(['handler', 'work']);
  });
});
