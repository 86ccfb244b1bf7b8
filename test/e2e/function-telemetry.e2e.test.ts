/**
 * The function's own telemetry, end to end: a function instrumented with the real OpenTelemetry
 * JS SDK (and a Python function exporting with the official opentelemetry-proto classes) exports
 * to the extension's OTLP receiver on localhost; the extension forwards it with the platform's
 * data to the collector (test/support/otlp-receiver.ts, decoding with the official protos).
 * Layer, function code and environment come from cdk.out.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as protobuf from 'protobufjs';
import { NodeJsSource, OtlpReceiver as LayerOtlpReceiver, TelemetryExtensionLayer, TelemetryQueueLimits, TelemetrySink, TelemetryType } from '../../lib';
import { readCdkFunction } from '../emulator/cdk-out';
import { LambdaEmulator } from '../emulator/emulator';
import { decodeStatus, post } from '../receiver/helpers';
import { freePort } from '../support/free-port';
import { bundleNodeOtelFunction, pythonOtlpFunction, type FunctionAsset } from '../support/function-fixtures';
import { ensureNodeBinaries } from '../support/node-binaries';
import { otlpSchema } from '../support/otlp-proto/decode';
import { OtlpReceiver, type DecodedSpan } from '../support/otlp-receiver';

const STACK = 'FunctionTelemetry';
const FUNCTION_SERVICE = 'instrumented-function';
const PLATFORM_SERVICE = 'platform-view';

interface FunctionRun {
  readonly emulator: LambdaEmulator;
  readonly collector: OtlpReceiver;
  /** The extension's OTLP receiver port, as the function's environment in cdk.out says. */
  readonly receiverPort: number;
  close(): Promise<void>;
}

interface RunOptions {
  readonly kind: 'node' | 'python';
  readonly queue?: TelemetryQueueLimits;
}

async function runFunction(options: RunOptions): Promise<FunctionRun> {
  const collector = await OtlpReceiver.start({ waitTimeoutMs: 30_000 });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-function-telemetry-'));
  let asset: FunctionAsset | undefined;
  let emulator: LambdaEmulator | undefined;
  const close = async () => {
    await emulator?.close();
    await collector.close();
    asset?.cleanup();
    fs.rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const python = options.kind === 'python' ? pythonOtlpFunction() : undefined;
    asset = python ? undefined : await bundleNodeOtelFunction();
    const code = python ?? asset!;
    const receiverPort = await freePort();
    const cwd = process.cwd();
    let assemblyDir: string;
    try {
      // The bundled Node.js (a Python function has none) resolves from the app's node_modules.
      if (python) process.chdir(ensureNodeBinaries());
      const app = new App({ outdir: path.join(runDir, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });
      const stack = new Stack(app, STACK);
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: python ? lambda.Runtime.PYTHON_3_12 : lambda.Runtime.NODEJS_22_X,
        handler: code.handler,
        code: lambda.Code.fromAsset(code.dir),
        memorySize: 128,
        timeout: Duration.seconds(20),
        environment: { OTEL_SERVICE_NAME: FUNCTION_SERVICE },
      });
      new TelemetryExtensionLayer(stack, 'Telemetry', {
        sink: TelemetrySink.otlp({ endpoint: collector.url, serviceName: PLATFORM_SERVICE }),
        types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
        port: await freePort(),
        // attachTo sets the receiver port and the SDK's endpoint and protocol; a free port here, as
        // every sandbox has its own network in Lambda but here all runs share the host (4318 there).
        otlpReceiver: LayerOtlpReceiver.http({ port: receiverPort }),
        queue: options.queue,
        nodeJs: python ? NodeJsSource.bundled() : undefined,
      }).attachTo(fn);
      assemblyDir = app.synth().directory;
    } finally {
      process.chdir(cwd);
    }
    const fn = readCdkFunction(assemblyDir, STACK);
    const env = fn.env;
    expect(env.TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT).toBe(String(receiverPort));
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://localhost:${receiverPort}`);
    emulator = await LambdaEmulator.start({
      layerDir: fn.layers[0].assetDir!,
      handlerDir: fn.codeAssetDir!,
      handler: fn.handler,
      env,
      functionName: 'instrumented',
      memorySizeMB: fn.memorySizeMB,
      timeoutMs: fn.timeoutSeconds * 1000,
      ...(python ? { runtime: fn.runtime, runtimeCommand: python.runtimeCommand, executionEnv: 'AWS_Lambda_python3.12' } : {}),
    });
    return { emulator, collector, receiverPort, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The extension's end-of-life counters, from its `shutdown` line: `name=<number>` fields, source counts included (`function.exported`). */
function shutdownCounters(emulator: LambdaEmulator): Record<string, number> {
  const line = emulator.linesOf('telemetry-extension').find((l) => l.includes('] INFO shutdown '));
  if (!line) throw new Error(`no shutdown line:\n${emulator.linesOf('telemetry-extension').join('\n')}`);
  const counters: Record<string, number> = {};
  for (const m of line.matchAll(/ ([\w.-]+)=(\d+)(?= |$)/g)) counters[m[1]] = Number(m[2]);
  return counters;
}

function functionSpans(collector: OtlpReceiver): DecodedSpan[] {
  return collector.spans().filter((s) => s.resource['service.name'] === FUNCTION_SERVICE);
}

function requestType(signal: 'traces' | 'metrics' | 'logs'): protobuf.Type {
  const name = { traces: 'trace.v1.ExportTraceServiceRequest', metrics: 'metrics.v1.ExportMetricsServiceRequest', logs: 'logs.v1.ExportLogsServiceRequest' }[signal];
  return otlpSchema().lookupType(`opentelemetry.proto.collector.${name}`);
}

/** A valid one-span ExportTraceServiceRequest, encoded with the official schema. */
function oneSpanRequest(name: string): Buffer {
  const type = requestType('traces');
  const message = type.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: FUNCTION_SERVICE } }] },
      scopeSpans: [{ scope: { name: 'by-hand' }, spans: [{ traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 9), name, kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000' }] }],
    }],
  });
  return Buffer.from(type.encode(message).finish());
}

describe('the function’s own telemetry, Node.js with the real OpenTelemetry SDK', () => {
  let run: FunctionRun;
  const results: Array<{ requestId: string; traceId?: string; status: string }> = [];
  const answers: Record<string, { status: number; code?: number }> = {};

  beforeAll(async () => {
    run = await runFunction({ kind: 'node' });
    // Hostile bodies at the extension's receiver, after init and before the first invocation (an
    // on-demand environment is not frozen yet; later it is frozen between invocations, as in
    // Lambda): each gets its documented answer, and the extension carries on.
    const port = run.receiverPort;
    const protobufHeaders = { 'content-type': 'application/x-protobuf' };
    const valid = oneSpanRequest('by-hand');
    const ask = async (what: string, urlPath: string, body: Buffer | string, headers: Record<string, string>) => {
      const reply = await post(port, urlPath, body, headers);
      answers[what] = { status: reply.status, code: reply.status === 200 ? undefined : decodeStatus(reply.body, reply.headers['content-type']).code };
    };
    await ask('garbage', '/v1/traces', Buffer.from('this is not protobuf at all \u0000\u00ff'), protobufHeaders);
    await ask('truncated', '/v1/traces', valid.subarray(0, valid.length - 5), protobufHeaders);
    // Small on the wire (a client still sending a 4 MiB body would see the early 413 as EPIPE), 5 MiB after gunzip.
    await ask('oversized', '/v1/traces', zlib.gzipSync(Buffer.alloc(5 * 1024 * 1024)), { ...protobufHeaders, 'content-encoding': 'gzip' });
    await ask('wrong content type', '/v1/traces', 'resourceSpans', { 'content-type': 'text/plain' });
    await ask('wrong JSON type', '/v1/logs', JSON.stringify({ resourceLogs: 'not a list' }), { 'content-type': 'application/json' });
    await ask('JSON array', '/v1/metrics', '[]', { 'content-type': 'application/json' });
    await ask('valid', '/v1/traces', valid, protobufHeaders);

    // Then three invocations, the environment frozen and thawed between them.
    for (const event of [{}, {}]) {
      const r = await run.emulator.invoke(event);
      results.push({ requestId: r.requestId, traceId: (r.response as { traceId: string }).traceId, status: r.status });
    }
    const failed = await run.emulator.invoke({ fail: true });
    results.push({ requestId: failed.requestId, status: failed.status });
    await run.emulator.shutdown();
  }, 300_000);
  afterAll(async () => {
    await run?.close();
  });

  test('every invocation’s spans arrive once, one tree per invocation, across freeze/thaw and SHUTDOWN', async () => {
    const spans = await run.collector.waitForSpans(1).then(() => functionSpans(run.collector));
    const handlers = spans.filter((s) => s.name === 'handler');
    expect(handlers.map((s) => s.attributes['faas.invocation_id']).sort()).toEqual(results.map((r) => r.requestId).sort());
    for (const result of results.filter((r) => r.traceId)) {
      const handler = handlers.find((s) => s.attributes['faas.invocation_id'] === result.requestId)!;
      expect(handler.traceId).toBe(result.traceId);
      expect(handler.kind).toBe('SPAN_KIND_SERVER');
      const work = spans.filter((s) => s.name === 'work' && s.traceId === handler.traceId);
      expect(work).toHaveLength(1);
      expect(work[0].parentSpanId).toBe(handler.spanId);
    }
    const failedHandler = handlers.find((s) => s.attributes['faas.invocation_id'] === results[2].requestId)!;
    expect(failedHandler.status.code).toBe('STATUS_CODE_ERROR');
    // Nothing twice.
    const ids = spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    // The one valid request posted by hand went through too.
    expect(spans.filter((s) => s.name === 'by-hand')).toHaveLength(1);
  });

  test('log records and metrics from the SDK arrive, with their own trace context', async () => {
    const handlers = functionSpans(run.collector).filter((s) => s.name === 'handler');
    const logs = run.collector.logs().filter((l) => l.resource['service.name'] === FUNCTION_SERVICE);
    for (const result of results) {
      const log = logs.find((l) => l.body === `handled ${result.requestId}`);
      expect(log).toBeDefined();
      const handler = handlers.find((s) => s.attributes['faas.invocation_id'] === result.requestId)!;
      expect(log!.traceId).toBe(handler.traceId);
      expect(log!.spanId).toBe(handler.spanId);
    }
    const counter = run.collector.metrics().filter((m) => m.name === 'fixture.invocations' && m.resource['service.name'] === FUNCTION_SERVICE);
    expect(counter.length).toBeGreaterThan(0);
    // Cumulative: the last export counts every invocation (two ok, one error).
    const last = counter[counter.length - 1];
    const byOutcome = Object.fromEntries(last.dataPoints.map((p) => [p.attributes.outcome, p.value]));
    expect(byOutcome).toEqual({ ok: 2, error: 1 });
  });

  test('the function’s resource is kept, missing cloud.* / faas.* filled in from the extension’s', () => {
    const span = functionSpans(run.collector).find((s) => s.name === 'handler')!;
    expect(span.resource['service.name']).toBe(FUNCTION_SERVICE);
    expect(span.resource['telemetry.sdk.name']).toBe('opentelemetry');
    expect(span.resource['cloud.region']).toBe('us-east-1');
    expect(span.resource['cloud.provider']).toBe('aws');
    expect(span.resource['faas.name']).toBe('instrumented');
    // The platform's own view keeps the extension's service name.
    const platform = run.collector.spans().filter((s) => s.resource['service.name'] === PLATFORM_SERVICE);
    expect(platform.length).toBeGreaterThan(0);
  });

  test('garbage, truncated, oversized and wrongly-typed bodies get the documented answers', () => {
    expect(answers).toEqual({
      'garbage': { status: 400, code: 3 },
      'truncated': { status: 400, code: 3 },
      'oversized': { status: 413, code: 3 },
      'wrong content type': { status: 415, code: 3 },
      'wrong JSON type': { status: 400, code: 3 },
      'JSON array': { status: 400, code: 3 },
      'valid': { status: 200, code: undefined },
    });
    // ...and the extension kept running: the invocation after them was exported, and it ended well.
    expect(run.emulator.shutdowns[0].extensions.find((e) => e.name === 'telemetry-extension')!.exitCode).toBe(0);
  });

  test('the function’s records are counted by source, and every one received was exported', () => {
    const counters = shutdownCounters(run.emulator);
    const spans = functionSpans(run.collector).length;
    const logs = run.collector.logs().filter((l) => l.resource['service.name'] === FUNCTION_SERVICE).length;
    const points = run.collector.metrics().filter((m) => m.resource['service.name'] === FUNCTION_SERVICE).reduce((n, m) => n + m.dataPoints.length, 0);
    expect(counters['function.received']).toBe(spans + logs + points);
    expect(counters['function.exported']).toBe(spans + logs + points);
    expect(counters['function.dropped']).toBe(0);
    expect(counters['telemetry-api.received']).toBeGreaterThan(0);
    expect(counters.received).toBe(counters['function.received'] + counters['telemetry-api.received']);
    expect(counters.dropped).toBe(0);
  });
});

describe('a full queue makes the SDK retry, and nothing valid is lost', () => {
  let run: FunctionRun | undefined;
  afterAll(async () => {
    await run?.close();
  });

  test('503 with Retry-After while the export is stuck, then every span once', async () => {
    // One queue entry at a time, and a collector that takes 1.5 s per answer: while the export loop
    // waits on it, the queue holds one entry and refuses the rest.
    run = await runFunction({ kind: 'node', queue: { maxItems: 1 } });
    for (let i = 0; i < 6; i++) run.collector.enqueue({ delayMs: 1500 });
    const results = [await run.emulator.invoke({ extraSpans: 20 }), await run.emulator.invoke({ extraSpans: 20 })];
    await run.emulator.shutdown();
    const counters = shutdownCounters(run.emulator);
    expect(counters['function.rejected']).toBeGreaterThan(0);
    const spans = functionSpans(run.collector);
    for (const result of results) {
      const traceId = (result.response as { traceId: string }).traceId;
      expect(spans.filter((s) => s.traceId === traceId)).toHaveLength(22);
    }
    const ids = spans.map((s) => s.spanId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(counters['function.dropped']).toBe(0);
    expect(counters['function.exported']).toBe(counters['function.received']);
  }, 300_000);
});

describe('a Python function (official opentelemetry-proto classes) with NodeJsSource.bundled()', () => {
  let run: FunctionRun | undefined;
  afterAll(async () => {
    await run?.close();
  });

  test('its spans and log records arrive at the collector, resource merged', async () => {
    run = await runFunction({ kind: 'python' });
    const result = await run.emulator.invoke({});
    expect(result.status).toBe('success');
    await run.emulator.shutdown();
    const response = result.response as { trace_id?: string; traceId?: string };
    const spans = functionSpans(run.collector);
    const handler = spans.find((s) => s.name === 'handler' && s.attributes['faas.invocation_id'] === result.requestId);
    expect(handler).toBeDefined();
    expect(handler!.traceId).toBe(response.trace_id ?? response.traceId);
    expect(spans.filter((s) => s.name === 'work' && s.parentSpanId === handler!.spanId)).toHaveLength(1);
    expect(handler!.resource['cloud.region']).toBe('us-east-1');
    const logs = run.collector.logs().filter((l) => l.resource['service.name'] === FUNCTION_SERVICE);
    expect(logs.some((l) => l.traceId === handler!.traceId)).toBe(true);
    expect(shutdownCounters(run.emulator)['function.dropped']).toBe(0);
  }, 300_000);
});
