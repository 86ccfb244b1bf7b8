/**
 * The CloudWatch sink against the local SigV4-verifying endpoint (test/support/sigv4/): every
 * request is accepted only if its signature, recomputed by AWS's own signer from the request and
 * the known test credentials, matches; bodies are decoded with the official OTLP protos.
 */
import * as zlib from 'node:zlib';
import * as protobuf from 'protobufjs';
import { parse, raw, REQ1, REQ2, T0 } from './events';
// The official protos' response messages, as generated for the receiver (opentelemetry-proto).
import type { AwsCredentials } from '../../extension-src/aws/credentials';
import type { CloudWatchConfig, SinkConfig } from '../../extension-src/config/types';
import type { RetryClock } from '../../extension-src/delivery/retry';
import { decodeRequest, type FunctionTelemetry } from '../../extension-src/receiver';
import receiverSchema from '../../extension-src/receiver/schema/otlp.json';
import { CloudWatchSink, type CloudWatchSinkOptions } from '../../extension-src/sinks/cloudwatch/cloudwatch-sink';
import { createSink } from '../../extension-src/sinks/create-sink';
import { SinkInitError } from '../../extension-src/sinks/errors';
import { OtlpSink, type OtlpSinkOptions } from '../../extension-src/sinks/otlp/otlp-sink';
import { buildResource } from '../../extension-src/sinks/resource';
import { Counters } from '../../extension-src/stats/counters';
import { decodeProtobuf, flattenLogs, flattenMetrics, flattenSpans, type Signal } from '../support/otlp-proto/decode';
import { OtlpReceiver, type DecodedMetric } from '../support/otlp-receiver';
import { awsError, SigV4Endpoint, TEST_CREDENTIALS, type Answer, type RecordedRequest } from '../support/sigv4/sigv4-endpoint';

const REGION = 'eu-central-1';
const GROUP = '/telemetry/otlp-logs';
const SERVICES = { '/v1/traces': 'xray', '/v1/logs': 'logs', '/v1/metrics': 'monitoring', '/': 'logs' };
const resource = buildResource({ env: { AWS_REGION: REGION, AWS_LAMBDA_FUNCTION_NAME: 'orders-api' }, serviceName: 'orders' }).attributes;

class SkipSleepClock implements RetryClock {
  readonly sleeps: number[] = [];
  now = () => Date.now();
  random = () => 0.5;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
  };
}

let endpoint: SigV4Endpoint;
let base: string;
let sinks: CloudWatchSink[];
let clock: SkipSleepClock;
let stderr: string[];
let createLogStream: (req: RecordedRequest) => Answer | undefined;
let otlpAnswer: (req: RecordedRequest) => Answer | undefined;

beforeEach(async () => {
  createLogStream = () => undefined;
  otlpAnswer = () => undefined;
  endpoint = new SigV4Endpoint({
    region: REGION,
    services: SERVICES,
    respond: (req) => {
      if (req.path === '/') return createLogStream(req) ?? { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '' };
      const answer = otlpAnswer(req);
      if (answer) return answer;
      const json = String(req.headers['content-type']).startsWith('application/json');
      return { status: 200, headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf' }, body: json ? '{}' : Buffer.alloc(0) };
    },
  });
  base = await endpoint.start();
  sinks = [];
  clock = new SkipSleepClock();
  stderr = [];
  jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write);
  jest.spyOn(process.stdout, 'write').mockImplementation((() => true) as typeof process.stdout.write);
});

afterEach(async () => {
  for (const s of sinks) await s.shutdown(Date.now() + 2_000);
  jest.restoreAllMocks();
  await endpoint.close();
});

async function sink(config: Partial<CloudWatchConfig> = {}, overrides: Partial<CloudWatchSinkOptions> = {}): Promise<CloudWatchSink> {
  const s = await CloudWatchSink.create({
    config: { signals: ['traces', 'logs', 'metrics'], logGroup: GROUP, logStreamPrefix: 'orders/', endpoint: base, ...config },
    sink: { protocol: 'http/protobuf', compression: 'gzip', timeoutMs: 2_000 },
    region: REGION,
    resource,
    counters: new Counters(),
    credentials: () => TEST_CREDENTIALS,
    clock,
    ...overrides,
  });
  sinks.push(s);
  return s;
}

const soon = () => Date.now() + 10_000;
const otlp = (path: string) => endpoint.accepted.filter((r) => r.path === path);
const decode = (signal: Signal, req: RecordedRequest) => decodeProtobuf(signal, req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(req.body) : req.body);
const uncompressed = (req: RecordedRequest) => (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(req.body) : req.body).byteLength;

function invocation(requestId: string, at: number, lines: unknown[] = [], status = 'success', errorType?: string) {
  return [
    raw.start(at, requestId),
    ...lines.map((line, i) => raw.functionLog(at + 1 + i, line)),
    raw.runtimeDone(at + 40, requestId, 38, status, errorType),
    raw.report(at + 45, requestId, 39, status),
  ];
}

describe('CloudWatch sink: the three signals, SigV4-verified', () => {
  test('creates the log stream at init, then sends traces, metrics and logs, each signed for its own service and the region', async () => {
    const s = await sink();
    expect(s.logStream).toMatch(/^orders\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{32}$/);
    const [create] = endpoint.accepted;
    expect(create).toMatchObject({ path: '/', service: 'logs', region: REGION });
    expect(create.headers['x-amz-target']).toBe('Logs_20140328.CreateLogStream');
    expect(JSON.parse(create.body.toString('utf8'))).toEqual({ logGroupName: GROUP, logStreamName: s.logStream });

    const events = parse([...invocation(REQ1, T0, ['handling order 1']), ...invocation(REQ2, T0 + 100, ['handling order 2'])]);
    expect(await s.export(events, soon())).toEqual({ exported: events.length, dropped: 0 });
    expect(endpoint.refused).toEqual([]);

    const [traces] = otlp('/v1/traces');
    const [metrics] = otlp('/v1/metrics');
    const [logs] = otlp('/v1/logs');
    expect([traces.service, metrics.service, logs.service]).toEqual(['xray', 'monitoring', 'logs']);
    expect(new Set([traces.region, metrics.region, logs.region])).toEqual(new Set([REGION]));
    const spans = flattenSpans(decode('traces', traces));
    expect(spans.filter((sp) => sp.kind === 'SPAN_KIND_SERVER').map((sp) => sp.attributes['faas.invocation_id'])).toEqual([REQ1, REQ2]);
    expect(flattenMetrics(decode('metrics', metrics)).map((m) => m.name)).toEqual(expect.arrayContaining(['faas.invoke_duration', 'telemetry_extension.events.filtered']));
    expect(flattenLogs(decode('logs', logs)).map((l) => l.body)).toEqual(expect.arrayContaining(['handling order 1', 'handling order 2']));
    expect(flattenSpans(decode('traces', traces))[0].resource['service.name']).toBe('orders');

    // The log group and stream headers are on logs requests only, and they are signed.
    expect(logs.headers['x-aws-log-group']).toBe(GROUP);
    expect(logs.headers['x-aws-log-stream']).toBe(s.logStream);
    expect(String(logs.headers.authorization)).toMatch(/SignedHeaders=[^,]*x-aws-log-group;x-aws-log-stream/);
    expect(traces.headers['x-aws-log-group']).toBeUndefined();
    expect(metrics.headers['x-aws-log-group']).toBeUndefined();
    // Temporary credentials: the session token goes with every request.
    for (const r of [traces, metrics, logs]) expect(r.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.sessionToken);
  });

  test('JSON protocol without compression is verified as well', async () => {
    const s = await sink({}, { sink: { protocol: 'http/json', compression: 'none', timeoutMs: 2_000 } });
    const events = parse(invocation(REQ1, T0, [{ level: 'INFO', message: 'as json' }]));
    expect(await s.export(events, soon())).toEqual({ exported: events.length, dropped: 0 });
    const [logs] = otlp('/v1/logs');
    expect(logs.headers['content-type']).toBe('application/json');
    expect(logs.headers['content-encoding']).toBeUndefined();
    expect(endpoint.refused).toEqual([]);
  });

  test('signals not selected are not sent, and no log stream is made without logs', async () => {
    const s = await sink({ signals: ['traces'], logGroup: undefined });
    expect(s.logStream).toBeUndefined();
    const events = parse(invocation(REQ1, T0, ['not sent']));
    expect(await s.export(events, soon())).toEqual({ exported: events.length, dropped: 0 });
    expect(endpoint.accepted.map((r) => r.path)).toEqual(['/v1/traces']);
  });

  test('the credentials are read again for every attempt (they rotate)', async () => {
    let current: AwsCredentials = TEST_CREDENTIALS;
    const credentials = jest.fn(() => current);
    const s = await sink({ signals: ['traces'] }, { credentials });
    await s.export(parse(invocation(REQ1, T0)), soon());
    const before = credentials.mock.calls.length;
    current = { ...TEST_CREDENTIALS };
    await s.export(parse(invocation(REQ2, T0 + 100)), soon());
    expect(credentials.mock.calls.length).toBeGreaterThan(before);
    expect(otlp('/v1/traces')).toHaveLength(2);
  });
});

describe('CloudWatch sink: per-request limits', () => {
  test('10,001 log records: one request of 10,000 and one of 1, every record once and in order', async () => {
    const s = await sink({ signals: ['logs'] });
    const lines = Array.from({ length: 10_001 }, (_, i) => raw.functionLog(T0 + i, `line ${i}`));
    expect(await s.export(parse(lines), soon())).toEqual({ exported: 10_001, dropped: 0 });
    const requests = otlp('/v1/logs');
    expect(requests.map((r) => flattenLogs(decode('logs', r)).length)).toEqual([10_000, 1]);
    expect(requests.flatMap((r) => flattenLogs(decode('logs', r)).map((l) => l.body))).toEqual(lines.map((l) => l.record));
  });

  test('over 1 MB of logs: requests of at most 1,000,000 uncompressed bytes', async () => {
    const s = await sink({ signals: ['logs'] });
    const lines = Array.from({ length: 30 }, (_, i) => raw.functionLog(T0 + i, `${i} ${'x'.repeat(100_000)}`));
    expect(await s.export(parse(lines), soon())).toEqual({ exported: 30, dropped: 0 });
    const requests = otlp('/v1/logs');
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const r of requests) expect(uncompressed(r)).toBeLessThanOrEqual(1_000_000);
    expect(requests.flatMap((r) => flattenLogs(decode('logs', r))).length).toBe(30);
  });

  test('the function\'s forwarded logs over 1 MB: requests of at most 1,000,000 uncompressed bytes, every record once', async () => {
    const s = await sink({ signals: ['logs'] });
    // 12 resources of 100 KB each, as the receiver hands them over (decoded by its own codec).
    const type = protobuf.Root.fromJSON(receiverSchema as protobuf.INamespace).lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    const request = {
      resourceLogs: Array.from({ length: 12 }, (_, i) => ({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders-fn' } }] },
        scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(T0) * 1_000_000n), body: { stringValue: `${i} ${'y'.repeat(100_000)}` } }] }],
      })),
    };
    const decoded = decodeRequest('logs', 'protobuf', type.encode(type.fromObject(request)).finish());
    const item = { source: 'function', signal: 'logs', items: 12, receivedAtMs: T0, encoding: 'protobuf', ...decoded } as unknown as FunctionTelemetry;
    expect(await s.export([item], soon())).toEqual({ exported: 12, dropped: 0, function: { exported: 12, dropped: 0 } });
    const requests = otlp('/v1/logs');
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) expect(uncompressed(r)).toBeLessThanOrEqual(1_000_000);
    expect(requests.flatMap((r) => flattenLogs(decode('logs', r))).map((l) => String(l.body).split(' ')[0]).sort((a, b) => Number(a) - Number(b)))
      .toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });

  test('a record over the limit on its own is never sent: dropped, counted and reported; the rest goes', async () => {
    const s = await sink({ signals: ['logs'] });
    const events = parse([raw.functionLog(T0, 'small one'), raw.functionLog(T0 + 1, 'y'.repeat(1_100_000)), raw.functionLog(T0 + 2, 'small two')]);
    const outcome = await s.export(events, soon());
    // Events of a signal share one fate (the sink's accounting unit): all three are counted dropped.
    expect(outcome).toEqual({ exported: 0, dropped: 3 });
    const bodies = otlp('/v1/logs').flatMap((r) => flattenLogs(decode('logs', r)).map((l) => String(l.body)));
    expect(bodies).toEqual(['small one', 'small two']);
    expect(stderr.join('')).toMatch(/records over the endpoint's per-request limits dropped signal=logs records=1/);
  });
});

describe('CloudWatch sink: partial success', () => {
  const tooOld = '{"tooOldLogEventCount": 2}';
  const logsResponse = protobuf.Root.fromJSON(receiverSchema as protobuf.INamespace).lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');

  test.each([
    ['protobuf', 'http/protobuf' as const, () => ({
      status: 200,
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(logsResponse.encode(logsResponse.fromObject({ partialSuccess: { rejectedLogRecords: 2, errorMessage: tooOld } })).finish()),
    })],
    ['JSON', 'http/json' as const, () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partialSuccess: { rejectedLogRecords: '2', errorMessage: tooOld } }),
    })],
  ])('a %s partialSuccess is reported with the count and the endpoint\'s message; the request counts as delivered', async (_name, protocol, answer) => {
    otlpAnswer = (req) => (req.path === '/v1/logs' ? answer() : undefined);
    const s = await sink({ signals: ['logs'] }, { sink: { protocol, compression: 'gzip', timeoutMs: 2_000 } });
    const events = parse([raw.functionLog(T0, 'old 1'), raw.functionLog(T0 + 1, 'old 2'), raw.functionLog(T0 + 2, 'fine')]);
    expect(await s.export(events, soon())).toEqual({ exported: 3, dropped: 0 });
    expect(stderr.join('')).toContain(`CloudWatch accepted the logs export partially signal=logs rejected=2 what="log records" message=${JSON.stringify(tooOld)}`);
  });

  test('an empty answer says nothing', async () => {
    const s = await sink({ signals: ['logs'] });
    await s.export(parse([raw.functionLog(T0, 'x')]), soon());
    expect(stderr.join('')).not.toContain('partially');
  });
});

describe('CloudWatch sink: throttling and refusals', () => {
  test('429 and 503 with Retry-After are retried after the given delay, each attempt signed anew', async () => {
    const s = await sink({ signals: ['traces'] });
    endpoint.throttleNext(1, 'throttling', 2);
    endpoint.throttleNext(1, 'unavailable', 1);
    const events = parse(invocation(REQ1, T0));
    expect(await s.export(events, soon())).toEqual({ exported: events.length, dropped: 0, failedAttempts: 2 });
    expect(clock.sleeps).toEqual([2_000, 1_000]);
    expect(endpoint.refused.map((r) => `${r.status} ${r.type}`)).toEqual(['429 ThrottlingException', '503 ServiceUnavailableException']);
    expect(otlp('/v1/traces')).toHaveLength(1);
  });

  test('a wrong secret: 403 InvalidSignatureException, one attempt per request, counted as dropped, reported once', async () => {
    let secret = 'not-the-secret';
    const s = await sink({ signals: ['traces', 'metrics'] }, { credentials: () => ({ ...TEST_CREDENTIALS, secretAccessKey: secret }) });
    const first = parse(invocation(REQ1, T0));
    expect(await s.export(first, soon())).toEqual({ exported: 0, dropped: first.length, failedAttempts: 2 });
    // (Events that produce no record, here the second invocation's start, are settled at once.)
    const second = parse(invocation(REQ2, T0 + 100));
    expect(await s.export(second, soon())).toEqual({ exported: 1, dropped: second.length - 1, failedAttempts: 2 });
    expect(endpoint.refused.map((r) => `${r.status} ${r.type}`)).toEqual(Array(4).fill('403 InvalidSignatureException'));
    expect(clock.sleeps).toEqual([]);
    expect(s.backlogSize).toBe(0);
    const reports = stderr.join('').split('\n').filter((l) => l.includes('CloudWatch refused'));
    expect(reports).toHaveLength(2); // once per signal
    expect(reports[0]).toMatch(/HTTP 403, InvalidSignatureException: The request signature we calculated does not match/);
    expect(stderr.join('')).not.toContain('not-the-secret');
    // The secret is corrected (rotated): the next export goes through.
    secret = TEST_CREDENTIALS.secretAccessKey;
    const third = parse(invocation(REQ1, T0 + 200));
    expect(await s.export(third, soon())).toEqual({ exported: third.length, dropped: 0 });
  });

  test('an unknown access key (UnrecognizedClientException) is permanent too', async () => {
    const s = await sink({ signals: ['traces'] }, { credentials: () => ({ ...TEST_CREDENTIALS, accessKeyId: 'AKIDUNKNOWN' }) });
    const events = parse(invocation(REQ1, T0));
    // Only spans are sent: the events that make spans are dropped, the others settled at once.
    expect(await s.export(events, soon())).toEqual({ exported: 2, dropped: 1, failedAttempts: 1 });
    expect(endpoint.refused.map((r) => r.type)).toEqual(['UnrecognizedClientException']);
    expect(stderr.join('')).toMatch(/CloudWatch refused the traces export \(HTTP 403, UnrecognizedClientException: The security token included in the request is invalid\.\)/);
  });

  test('at init: a wrong secret or a missing log group fails CreateLogStream with the service\'s reason', async () => {
    const wrong = await CloudWatchSink.create({
      config: { signals: ['logs'], logGroup: GROUP, logStreamPrefix: '', endpoint: base },
      sink: { protocol: 'http/protobuf', compression: 'gzip', timeoutMs: 2_000 },
      region: REGION,
      resource,
      counters: new Counters(),
      credentials: () => ({ ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }),
      clock,
    }).catch((err: unknown) => err);
    expect(wrong).toBeInstanceOf(SinkInitError);
    expect((wrong as Error).message).toMatch(/CreateLogStream failed \(HTTP 403, InvalidSignatureException/);
    createLogStream = () => awsError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    const missing = await sink().catch((err: unknown) => err);
    expect((missing as Error).message).toMatch(new RegExp(`in log group ${GROUP}: CreateLogStream failed \\(HTTP 400, ResourceNotFoundException`));
  });

  test('an existing stream is fine', async () => {
    createLogStream = () => awsError(400, 'ResourceAlreadyExistsException', 'The specified log stream already exists');
    await expect(sink()).resolves.toBeInstanceOf(CloudWatchSink);
  });
});

describe('the OTLP sink\'s strict limits (what the cloudwatch sink sets to CLOUDWATCH_LIMITS), with small limits', () => {
  let receiver: OtlpReceiver;
  let otlpSinks: OtlpSink[];
  beforeEach(async () => {
    receiver = await OtlpReceiver.start();
    otlpSinks = [];
  });
  afterEach(async () => {
    for (const s of otlpSinks) await s.shutdown(Date.now() + 1_000);
    await receiver.close();
  });
  function otlpSink(strictLimits: OtlpSinkOptions['strictLimits'], url = receiver.url): OtlpSink {
    const s = new OtlpSink({ endpoint: url, protocol: 'http/protobuf', headers: {}, compression: 'gzip', timeoutMs: 2_000, resource, counters: new Counters(), clock, strictLimits });
    otlpSinks.push(s);
    return s;
  }
  const points = (metrics: DecodedMetric[]) => metrics.flatMap((m) => m.dataPoints.map((p) => `${m.name} ${JSON.stringify(p.attributes)} ${JSON.stringify(p.value)}`));

  test('metrics are cut by data points: no request over the limit, every data point exactly once', async () => {
    const events = parse([...invocation(REQ1, T0), ...invocation(REQ2, T0 + 100, [], 'failure', 'Runtime.Crash')]);
    const whole = otlpSink(undefined);
    await whole.export(events, soon());
    const expected = points(receiver.metrics()).filter((p) => !p.startsWith('telemetry_extension.'));
    expect(expected.length).toBeGreaterThanOrEqual(6);
    await receiver.close();
    receiver = await OtlpReceiver.start();

    const split = otlpSink({ metrics: { maxItems: 3, maxBytes: 1_000_000 } }, receiver.url);
    expect(await split.export(events, soon())).toEqual({ exported: events.length, dropped: 0 });
    const requests = receiver.requestsFor('metrics');
    expect(requests.length).toBeGreaterThan(2);
    for (const r of requests) expect(points(receiver.metricsOf(r)).length).toBeLessThanOrEqual(3);
    const got = points(receiver.metrics()).filter((p) => !p.startsWith('telemetry_extension.'));
    expect(got.sort()).toEqual(expected.sort());
  });

  test('a span over the per-item byte limit is never sent; the events of that signal are dropped and counted', async () => {
    const s = otlpSink({ traces: { maxItems: 10_000, maxBytes: 5_000_000, maxItemBytes: 400 } });
    const events = parse(invocation(REQ1, T0, [], 'error', `Custom.${'x'.repeat(600)}`));
    const outcome = await s.export(events, soon());
    expect(outcome.dropped).toBeGreaterThan(0);
    // The invocation span carries the long error type: not sent; its small child spans are.
    const spans = receiver.spans();
    expect(spans.length).toBeGreaterThan(0);
    expect(spans.some((sp) => JSON.stringify(sp, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('x'.repeat(600)))).toBe(false);
    expect(spans.map((sp) => sp.name)).toEqual(expect.arrayContaining(['responseLatency']));
    expect(stderr.join('')).toMatch(/records over the endpoint's per-request limits dropped signal=traces/);
  });
});

describe('createSink: the cloudwatch case', () => {
  const config = (cloudWatch: CloudWatchConfig): SinkConfig => ({ kind: 'cloudwatch', protocol: 'http/protobuf', headers: {}, compression: 'gzip', timeoutMs: 2_000, cloudWatch });
  const credentialsEnv = {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
  };

  test('builds the sink from the environment\'s region and credentials (read from the env it is given)', async () => {
    const s = await createSink(config({ signals: ['traces', 'logs'], logGroup: GROUP, logStreamPrefix: '', endpoint: base }), {
      counters: new Counters(), env: { AWS_REGION: REGION, ...credentialsEnv }, functionName: 'orders-api',
    });
    sinks.push(s as CloudWatchSink);
    expect(s).toBeInstanceOf(CloudWatchSink);
    expect(s.name).toBe('cloudwatch');
    await s.export(parse(invocation(REQ1, T0, ['hello'])), soon());
    expect(endpoint.accepted.map((r) => r.path)).toEqual(['/', '/v1/traces', '/v1/logs']);
    expect(endpoint.refused).toEqual([]);
  });

  test('without AWS_REGION or without credentials: Extension.ConfigInvalid, before any request', async () => {
    const cw: CloudWatchConfig = { signals: ['traces'], logStreamPrefix: '', endpoint: base };
    await expect(createSink(config(cw), { counters: new Counters(), env: credentialsEnv })).rejects.toMatchObject({
      errorType: 'Extension.ConfigInvalid', message: expect.stringMatching(/the cloudwatch sink needs AWS_REGION/),
    });
    await expect(createSink(config(cw), { counters: new Counters(), env: { AWS_REGION: REGION } })).rejects.toMatchObject({
      errorType: 'Extension.ConfigInvalid', message: expect.stringMatching(/signs with the function's credentials: no AWS credentials in the environment/),
    });
    expect(endpoint.accepted).toEqual([]);
  });

  test('headers, a headers secret or parameter are not used (SigV4 instead), with a warning', async () => {
    const s = await createSink({ ...config({ signals: ['traces'], logStreamPrefix: '', endpoint: base }), headersParameter: '/p', headers: { 'x-team': 'a' } }, {
      counters: new Counters(), env: { AWS_REGION: REGION, ...credentialsEnv },
    });
    sinks.push(s as CloudWatchSink);
    expect(stderr.join('')).toContain('ignored: the cloudwatch sink signs its requests with SigV4');
  });
});
