import { counted } from './counted';
import { fixture, parse, PARENT_ID, raw, REQ1, REQ2, T0, TRACE_HEADER, TRACE_ID } from './events';
import type { RetryClock } from '../../extension-src/delivery/retry';
import { OtlpSink, type OtlpSinkOptions } from '../../extension-src/sinks/otlp/otlp-sink';
import { buildResource } from '../../extension-src/sinks/resource';
import { Counters } from '../../extension-src/stats/counters';
import type { OtlpProtocolName } from '../../lib/config/contract';
import { OtlpReceiver, type DecodedMetric, type DecodedSpan } from '../support/otlp-receiver';

const resource = buildResource({
  env: { AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'orders-api', AWS_LAMBDA_FUNCTION_VERSION: '$LATEST', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' },
  serviceName: 'orders',
}).attributes;

/** Real time, but sleeps are recorded and skipped. */
class SkipSleepClock implements RetryClock {
  readonly sleeps: number[] = [];
  now = () => Date.now();
  random = () => 0.5;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
  };
}

let receiver: OtlpReceiver;
let sinks: OtlpSink[];
let clock: SkipSleepClock;

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
  sinks = [];
  clock = new SkipSleepClock();
});

afterEach(async () => {
  for (const s of sinks) await s.shutdown(Date.now());
  await receiver.close();
});

function sink(overrides: Partial<OtlpSinkOptions> & { counters?: Counters } = {}): { sink: OtlpSink; counters: Counters } {
  const counters = overrides.counters ?? new Counters();
  const s = counted(new OtlpSink({
    endpoint: receiver.url,
    protocol: 'http/protobuf',
    headers: { 'x-api-team': 'blue' },
    compression: 'gzip',
    timeoutMs: 2000,
    resource,
    clock,
    ...overrides,
    counters,
  }), counters);
  sinks.push(s);
  return { sink: s, counters };
}

const soon = () => Date.now() + 10_000;
const metric = (metrics: DecodedMetric[], name: string) => {
  const found = metrics.filter((m) => m.name === name);
  if (found.length !== 1) throw new Error(`expected one metric ${name}, got ${found.length}: ${metrics.map((m) => m.name).join(', ')}`);
  return found[0];
};
const span = (spans: DecodedSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span ${name}, got ${found.length}`);
  return found[0];
};

/** A cold start with logs, an invocation in an X-Ray trace, its report. */
function coldStartInvocation() {
  return parse([
    raw.initStart(T0 - 800),
    raw.functionLog(T0 - 700, '[INFO] init log'),
    raw.initRuntimeDone(T0 - 300),
    raw.initReport(T0 - 299, 500),
    raw.start(T0, REQ1, TRACE_HEADER),
    raw.functionLog(T0 + 5, `2024-05-01T10:00:00.005Z\t${REQ1}\tERROR\tsomething failed`),
    raw.functionLog(T0 + 6, { timestamp: '2024-05-01T10:00:00.006Z', level: 'INFO', requestId: REQ1, message: { order: 42 } }),
    raw.runtimeDone(T0 + 120, REQ1, 120, 'error', 'Runtime.UnhandledError'),
    raw.report(T0 + 130, REQ1, 121.5, 'error'),
    raw.unknown(T0 + 131),
  ]);
}

describe.each<[OtlpProtocolName, string]>([
  ['http/protobuf', 'application/x-protobuf'],
  ['http/json', 'application/json'],
])('OtlpSink %s', (protocol, contentType) => {
  test('spans, metrics and logs decoded with the official proto', async () => {
    const { sink: s, counters } = sink({ protocol });
    const events = coldStartInvocation();
    const outcome = await s.export(events, soon());
    expect(outcome).toEqual({ exported: events.length, dropped: 0 });
    expect(counters.dropped).toBe(0);
    expect(counters.failedExports).toBe(0);

    // One request per signal, to /v1/<signal>, in the configured encoding, gzipped, with headers.
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
    for (const r of receiver.requests) {
      expect(r.contentType).toBe(contentType);
      expect(r.contentEncoding).toBe('gzip');
      expect(r.headers['x-api-team']).toBe('blue');
      expect(r.decodeError).toBeUndefined();
    }

    // Traces
    const spans = receiver.spans();
    expect(spans.map((x) => x.name).sort()).toEqual(['init', 'orders-api', 'responseDuration', 'responseLatency']);
    const server = span(spans, 'orders-api');
    expect(server).toMatchObject({
      kind: 'SPAN_KIND_SERVER',
      traceId: TRACE_ID,
      parentSpanId: PARENT_ID,
      status: { code: 'STATUS_CODE_ERROR', message: 'Runtime.UnhandledError' },
      attributes: { 'faas.invocation_id': REQ1, 'faas.coldstart': true, 'error.type': 'Runtime.UnhandledError' },
      scope: { name: 'telemetry-extension' },
    });
    expect(server.startTimeUnixNano).toBe(BigInt(T0) * 1_000_000n);
    expect(server.endTimeUnixNano).toBe(BigInt(T0 + 120) * 1_000_000n);
    expect(server.resource).toMatchObject({
      'service.name': 'orders',
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': 'eu-west-1',
      'faas.name': 'orders-api',
      'faas.version': '$LATEST',
      'faas.max_memory': 512 * 1024 * 1024,
      'telemetry.sdk.name': 'telemetry-extension',
      'telemetry.sdk.language': 'nodejs',
    });
    for (const name of ['init', 'responseLatency', 'responseDuration']) {
      const child = span(spans, name);
      expect(child).toMatchObject({ kind: 'SPAN_KIND_INTERNAL', traceId: TRACE_ID, parentSpanId: server.spanId });
    }
    expect(span(spans, 'init').startTimeUnixNano).toBe(BigInt(T0 - 800) * 1_000_000n);

    // Metrics
    const metrics = receiver.metrics();
    expect(metric(metrics, 'faas.invoke_duration')).toMatchObject({
      type: 'histogram',
      unit: 's',
      temporality: 'AGGREGATION_TEMPORALITY_DELTA',
      dataPoints: [{ count: 1, sum: 0.1215 }],
    });
    expect(metric(metrics, 'faas.init_duration')).toMatchObject({ type: 'histogram', unit: 's', dataPoints: [{ count: 1, sum: 0.5 }] });
    expect(metric(metrics, 'faas.coldstarts')).toMatchObject({ type: 'sum', isMonotonic: true, unit: '{coldstart}', dataPoints: [{ value: 1 }] });
    expect(metric(metrics, 'faas.errors')).toMatchObject({ type: 'sum', dataPoints: [{ value: 1 }] });
    expect(metric(metrics, 'faas.mem_usage')).toMatchObject({ unit: 'By', dataPoints: [{ count: 1, sum: 90 * 1024 * 1024 }] });
    expect(metric(metrics, 'aws.lambda.billed_duration')).toMatchObject({ unit: 's', dataPoints: [{ sum: 0.122 }] });
    expect(metric(metrics, 'aws.lambda.memory_size')).toMatchObject({ type: 'gauge', unit: 'By', dataPoints: [{ value: 512 * 1024 * 1024 }] });
    expect(metric(metrics, 'telemetry_extension.events.received')).toMatchObject({ type: 'sum', temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' });
    expect(metric(metrics, 'faas.invoke_duration').resource['service.name']).toBe('orders');
    const window = metric(metrics, 'faas.coldstarts').dataPoints[0];
    expect(window.startTimeUnixNano).toBe(BigInt(T0 - 299) * 1_000_000n);
    expect(window.timeUnixNano).toBe(BigInt(T0 + 130) * 1_000_000n);

    // Logs
    const logs = receiver.logs();
    expect(logs.map((l) => [l.severityNumber, l.severityText, l.body])).toEqual([
      [9, 'INFO', 'init log'],
      [17, 'ERROR', 'something failed'],
      [9, 'INFO', { order: 42 }],
      [17, 'ERROR', expect.stringMatching(/^REPORT RequestId: [0-9a-f-]+\tDuration: 121\.5 ms\tBilled Duration: 122 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tStatus: error$/)],
    ]);
    const report = logs.find((l) => String(l.body).startsWith('REPORT'))!;
    expect(report.attributes).toMatchObject({
      'aws.lambda.log.source': 'platform.report',
      'aws.lambda.duration_ms': 121.5,
      'aws.lambda.billed_duration_ms': 122,
      'aws.lambda.memory_size_mb': 512,
      'aws.lambda.max_memory_used_mb': 90,
      'aws.lambda.invocation.status': 'error',
    });
    expect(logs[0].traceId).toBeUndefined();
    for (const log of logs.slice(1, 3)) {
      expect(log).toMatchObject({ traceId: TRACE_ID, spanId: server.spanId, attributes: { 'faas.invocation_id': REQ1, 'aws.lambda.log.source': 'function' } });
    }
    // The REPORT record belongs to the invocation's trace too.
    expect(logs[3]).toMatchObject({ traceId: TRACE_ID, spanId: server.spanId, attributes: { 'faas.invocation_id': REQ1 } });
    expect(logs[1].timeUnixNano).toBe(BigInt(T0 + 5) * 1_000_000n);
    expect(logs[0].resource['service.name']).toBe('orders');
  });

  test('gzip off', async () => {
    const { sink: s } = sink({ protocol, compression: 'none' });
    await s.export(fixture('02-rust-runtime-invoke-success.json'), soon());
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const r of receiver.requests) {
      expect(r.contentEncoding).toBe('identity');
      expect(r.wireBytes).toBe(r.rawBody.length);
    }
    expect(receiver.spans()).toHaveLength(3);
  });
});

describe('OtlpSink delivery', () => {
  test('endpoint with a path prefix and trailing slash', async () => {
    const { sink: s } = sink({ endpoint: `${receiver.url}/otlp/` });
    await s.export(fixture('07-docs-function-and-extension-logs-text-vs-json.json'), soon());
    expect(receiver.requests.map((r) => r.path)).toEqual(['/otlp/v1/logs']);
    expect(receiver.logs()).toHaveLength(4);
  });

  test('503 then success: delivered, the failed attempt counted', async () => {
    const { sink: s, counters } = sink();
    receiver.enqueue({ status: 503, match: 'traces' });
    const events = fixture('02-rust-runtime-invoke-success.json');
    expect(await s.export(events, soon())).toEqual({ exported: 3, dropped: 0, failedAttempts: 1 });
    expect(receiver.requestsFor('traces').map((r) => r.response.status ?? 200)).toEqual([503, 200]);
    expect(counters.failedExports).toBe(1);
    expect(clock.sleeps).toHaveLength(1);
    expect(receiver.spans()).toHaveLength(3);
  });

  test('Retry-After is honoured', async () => {
    const { sink: s } = sink();
    receiver.enqueue({ status: 429, headers: { 'retry-after': '3' }, match: 'logs' });
    await s.export(fixture('09-rust-runtime-text-log-records.json'), soon());
    expect(clock.sleeps).toEqual([3000]);
    expect(receiver.logs()).toHaveLength(4);
  });

  test('400 is not retried: the events whose records it carried are dropped and counted', async () => {
    const { sink: s, counters } = sink();
    receiver.enqueue({ status: 400, match: 'traces' });
    const events = fixture('02-rust-runtime-invoke-success.json');
    const outcome = await s.export(events, soon());
    // start: no records of its own (exported); runtimeDone -> traces (dropped); report -> metrics.
    expect(outcome).toEqual({ exported: 2, dropped: 1, failedAttempts: 1 });
    expect(counters.dropped).toBe(1);
    expect(counters.failedExports).toBe(1);
    expect(receiver.requestsFor('traces')).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('no attempt after the deadline: nothing sent, everything kept; the next export sends it', async () => {
    const { sink: s, counters } = sink();
    const outcome = await s.export(fixture('02-rust-runtime-invoke-success.json'), Date.now() - 1);
    // The cold start's platform.start carries faas.coldstarts, so all three had records.
    expect(outcome).toEqual({ exported: 0, dropped: 0 });
    expect(counters.dropped).toBe(0);
    expect(receiver.requests).toHaveLength(0);
    expect(s.backlog.size).toBe(3);
    expect(await s.export([], soon())).toEqual({ exported: 3, dropped: 0 });
    expect(receiver.spans()).toHaveLength(3);
    expect(s.backlog.size).toBe(0);
  });

  test('a Retry-After beyond the deadline ends the attempts at once; the request is kept and sent at shutdown', async () => {
    const { sink: s } = sink();
    receiver.enqueue({ status: 503, headers: { 'retry-after': '120' }, match: 'metrics' });
    const outcome = await s.export(parse([raw.report(T0, REQ1, 10)]), Date.now() + 5_000);
    expect(outcome).toEqual({ exported: 0, dropped: 0, failedAttempts: 1 });
    expect(receiver.requestsFor('metrics')).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(await s.shutdown(soon())).toEqual({ exported: 1, dropped: 0 });
    expect(receiver.requestsFor('metrics').length).toBeGreaterThanOrEqual(2);
  });

  test('a hanging collector: each attempt times out, the request is kept; dropped and counted at shutdown', async () => {
    const retryPolicy = { initialBackoffMs: 10, maxBackoffMs: 10, multiplier: 2, maxElapsedMs: 10_000, maxAttempts: 2 };
    const { sink: s, counters } = sink({ timeoutMs: 100, retryPolicy });
    receiver.enqueue({ hang: true }, { hang: true });
    const outcome = await s.export(parse([raw.functionLog(T0, 'x')]), soon());
    expect(outcome).toEqual({ exported: 0, dropped: 0, failedAttempts: 2 });
    expect(counters.failedExports).toBe(2);
    expect(receiver.requestsFor('logs')).toHaveLength(2);
    expect(await s.shutdown(Date.now() - 1)).toEqual({ exported: 0, dropped: 1 });
    expect(counters.dropped).toBe(1);
  });

  test('a connection reset is retried', async () => {
    const { sink: s } = sink();
    receiver.enqueue({ destroy: true });
    expect(await s.export(parse([raw.functionLog(T0, 'x')]), soon())).toEqual({ exported: 1, dropped: 0, failedAttempts: 1 });
    expect(receiver.logs()).toHaveLength(1);
  });

  test('shutdown emits unclosed invocations and self-telemetry, then refuses more', async () => {
    const counters = new Counters();
    counters.received = 7;
    const { sink: s } = sink({ counters });
    await s.export(parse([raw.start(T0, REQ2)]), soon());
    expect(receiver.requestsFor('traces')).toHaveLength(0);
    await s.shutdown(soon());
    const [incomplete] = await receiver.waitForSpans(1);
    expect(incomplete).toMatchObject({ name: 'orders-api', attributes: { 'faas.invocation_id': REQ2, 'telemetry_extension.incomplete': true } });
    // The shutdown request is the last metrics request (the cold start's export sent one too).
    const metrics = receiver.metricsOf(receiver.requestsFor('metrics').at(-1)!);
    expect(metric(metrics, 'telemetry_extension.events.received').dataPoints[0].value).toBe(7);
    expect(metrics.map((m) => m.name)).toEqual(expect.arrayContaining([
      'telemetry_extension.events.invalid', 'telemetry_extension.events.unknown', 'telemetry_extension.events.rejected',
      'telemetry_extension.events.dropped', 'telemetry_extension.events.exported', 'telemetry_extension.exports.failed',
      'telemetry_extension.invocations.evicted',
    ]));
    expect(await s.export(parse([raw.functionLog(T0, 'late')]), soon())).toEqual({ exported: 0, dropped: 1 });
  });

  test('self-telemetry is not sent on its own before its interval', async () => {
    const { sink: s } = sink({ selfTelemetryIntervalMs: 3_600_000 });
    await s.export(parse([raw.functionLog(T0, 'x')]), soon());
    expect(receiver.requests.map((r) => r.signal)).toEqual(['logs']);
  });
});

describe('OtlpSink per-request limits and signer (for sinks with service limits)', () => {
  test('logs requests above the item limit are split; every record arrives once, in order, and each request is signed', async () => {
    const signed: string[] = [];
    const { sink: s } = sink({
      requestLimits: { logs: { maxItems: 2 } },
      sign: (request) => {
        signed.push(request.url.pathname);
        return { 'x-signed': 'yes' };
      },
    });
    const lines = parse(Array.from({ length: 5 }, (_, i) => raw.functionLog(T0 + i, `line ${i}`)));
    expect(await s.export(lines, soon())).toEqual({ exported: 5, dropped: 0 });

    const requests = receiver.requestsFor('logs');
    expect(requests.map((r) => receiver.logsOf(r).length)).toEqual([2, 1, 2]);
    expect(receiver.logs().map((l) => l.body)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    expect(requests.every((r) => r.headers['x-signed'] === 'yes')).toBe(true);
    expect(signed).toEqual(['/v1/logs', '/v1/logs', '/v1/logs']);
  });
});
