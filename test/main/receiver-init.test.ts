/**
 * Init with the OTLP receiver (`TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT`), in process against the
 * fake Lambda APIs: it starts after register, a taken port fails init like the listener's, and
 * what the function exports goes through the queue to the sink, 503 + Retry-After when full.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeLambda, RecordingSink, useFakeLambda } from './fake-lambda';
import { run, type CreateSink, type RunDeps } from '../../extension-src/main';
import { isFunctionTelemetry, recordsOf, type PipelineItem } from '../../extension-src/pipeline/items';
import type { FunctionTraces } from '../../extension-src/receiver';
import type { ExportOutcome } from '../../extension-src/sinks/sink';
import { decodeStatus, post } from '../receiver/helpers';
import { freePort } from '../support/free-port';
import { otlpSchema } from '../support/otlp-proto/decode';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
const invoke = (id: string) => ({ status: 200, body: { eventType: 'INVOKE', deadlineMs: Date.now() + 5_000, requestId: id, invokedFunctionArn: ARN } });
const T = '2024-01-01T00:00:00.000Z';
const runtimeDone = (id: string) => ({ time: T, type: 'platform.runtimeDone', record: { requestId: id, status: 'success' } });
const report = (id: string) => ({ time: T, type: 'platform.report', record: { requestId: id, status: 'success', metrics: { durationMs: 1 } } });
const shutdown = () => ({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: Date.now() + 2_000, shutdownReason: 'spindown' } });

let fake: FakeLambda;
let output: string[];
useFakeLambda((f, o) => {
  fake = f;
  output = o;
});

/** Records everything, the function's items included; `hold` keeps exports waiting until released. */
class ItemSink extends RecordingSink {
  readonly items: PipelineItem[] = [];
  private open: (() => void) | undefined;
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  override async export(items: readonly PipelineItem[], _deadline: number): Promise<ExportOutcome> {
    this.items.push(...items);
    await this.gate;
    const records = items.reduce((n, item) => n + recordsOf(item), 0);
    const functionRecords = items.reduce((n, item) => n + (isFunctionTelemetry(item) ? item.items : 0), 0);
    return { exported: records, dropped: 0, function: { exported: functionRecords, dropped: 0 } };
  }
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { AWS_LAMBDA_RUNTIME_API: fake.runtimeApi, TELEMETRY_EXTENSION_CONFIGURED: '1', TELEMETRY_EXTENSION_TYPES: 'platform,function', ...extra };
}

function start$(e: NodeJS.ProcessEnv, sink: RecordingSink, deps: Partial<RunDeps> = {}): Promise<number> {
  const createSink: CreateSink = async () => sink;
  return run(e, { createSink, listenAddress: '127.0.0.1', listenPort: 0, ...deps });
}

async function initError(): Promise<{ type: unknown; body: { errorType: string; errorMessage: string } }> {
  const [req] = fake.find('/2020-01-01/extension/init/error');
  return { type: req.headers['lambda-extension-function-error-type'], body: JSON.parse(req.body) };
}

function spans(n: number, name: string): Buffer {
  const type = otlpSchema().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const list = Array.from({ length: n }, (_, i) => ({ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, i + 1), name, startTimeUnixNano: '1', endTimeUnixNano: '2' }));
  return Buffer.from(type.encode(type.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: list }] }] })).finish());
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const summary = () => output.join('').split('\n').find((l) => l.includes('] INFO shutdown '))!;
const field = (line: string, name: string) => Number(new RegExp(` ${name.replace(/[.-]/g, '\\$&')}=(\\d+)`).exec(line)?.[1]);

describe('init with the OTLP receiver', () => {
  test('its port is taken: init/error Extension.ListenerFailed naming the receiver, no subscription', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      await expect(start$(env({ TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: String(port) }), new RecordingSink())).resolves.toBe(1);
      const error = await initError();
      expect(error.type).toBe('Extension.ListenerFailed');
      expect(error.body.errorMessage).toBe(`OTLP receiver port ${port} on 127.0.0.1 is already in use (another extension or collector?); choose another port for the OTLP receiver`);
      expect(fake.find('/2022-07-01/telemetry')).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('the same port as the listener: init/error Extension.ConfigInvalid', async () => {
    await expect(start$(env({ TELEMETRY_EXTENSION_PORT: '4243', TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: '4243' }), new RecordingSink())).resolves.toBe(1);
    const error = await initError();
    expect(error.type).toBe('Extension.ConfigInvalid');
    expect(error.body.errorMessage).toMatch(/TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT must differ from TELEMETRY_EXTENSION_PORT \(4243\)/);
  });

  test('the function’s export reaches the sink through the queue, counted in spans by source', async () => {
    const port = await freePort();
    const sink = new ItemSink();
    const done = start$(env({ TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: String(port), TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'end-of-invocation' }), sink);
    const next1 = await fake.nextCall();
    expect(output.join('')).toContain(`otlpReceiverPort=${port}`);
    next1(invoke('req-1'));
    const reply = await post(port, '/v1/traces', spans(3, 'fn-span'), PROTOBUF);
    expect(reply.status).toBe(200);
    const next2 = fake.nextCall();
    expect(await fake.push([runtimeDone('req-1'), report('req-1')])).toBe(200);
    (await next2)(shutdown());
    await expect(done).resolves.toBe(0);
    const items = sink.items.filter((i): i is FunctionTraces => 'source' in i);
    expect(items).toHaveLength(1);
    expect(items[0].resourceSpans[0].scopeSpans[0].spans.map((s) => s.name)).toEqual(['fn-span', 'fn-span', 'fn-span']);
    const line = summary();
    expect(field(line, 'function.received')).toBe(3);
    expect(field(line, 'function.exported')).toBe(3);
    expect(field(line, 'function.dropped')).toBe(0);
  });

  test('a full queue: 503 with Retry-After, nothing kept, the retry accepted once there is room', async () => {
    const port = await freePort();
    const sink = new ItemSink();
    sink.hold();
    const done = start$(env({
      TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: String(port),
      TELEMETRY_EXTENSION_QUEUE_MAX_ITEMS: '1',
      TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'end-of-invocation',
    }), sink);
    const next1 = await fake.nextCall();
    next1(invoke('req-1'));
    // One entry fits; the pressure flush takes it into the held export, the next one waits queued;
    // then the queue is full.
    const statuses: number[] = [];
    let refused: http.IncomingHttpHeaders | undefined;
    let refusedBody: Buffer | undefined;
    for (let i = 0; i < 3 && refused === undefined; i++) {
      const reply = await post(port, '/v1/traces', spans(2, `try-${i}`), PROTOBUF);
      statuses.push(reply.status);
      if (reply.status !== 200) {
        refused = reply.headers;
        refusedBody = reply.body;
      }
    }
    expect(statuses[statuses.length - 1]).toBe(503);
    expect(refused!['retry-after']).toBe('1');
    expect(decodeStatus(refusedBody!, 'application/x-protobuf').code).toBe(14); // UNAVAILABLE
    const refusedName = `try-${statuses.length - 1}`;
    sink.release();
    // The SDK's retry, once the export went through: accepted.
    const nextCall = fake.nextCall();
    let retried = 0;
    for (let i = 0; i < 50 && retried !== 200; i++) retried = (await post(port, '/v1/traces', spans(2, refusedName), PROTOBUF)).status;
    expect(retried).toBe(200);
    for (let i = 0; i < 50 && (await fake.push([runtimeDone('req-1'), report('req-1')])) !== 200; i++);
    (await nextCall)(shutdown());
    await expect(done).resolves.toBe(0);
    const names = sink.items.filter(isFunctionTelemetry).map((i) => (i as FunctionTraces).resourceSpans[0].scopeSpans[0].spans[0].name);
    expect(names.filter((n) => n === refusedName)).toHaveLength(1);
    const line = summary();
    expect(field(line, 'function.rejected')).toBeGreaterThanOrEqual(2);
    expect(field(line, 'function.received')).toBe(2 * names.length);
    expect(field(line, 'function.exported')).toBe(2 * names.length);
  });
});
