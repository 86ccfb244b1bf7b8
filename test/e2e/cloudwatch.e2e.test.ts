/**
 * The cloudwatch sink end to end: a stack with `TelemetrySink.cloudWatch` and the layer's
 * `minLogLevel`, synthesized; its function and layer run in the local Lambda
 * emulator, the sink's endpoint overridden to the local SigV4-verifying endpoint (127.0.0.1), the
 * signing region and services unchanged, the emulator giving the extension known test credentials
 * as Lambda gives the function role's. Every request must pass a SigV4 verification recomputed by
 * AWS's own signer; bodies are decoded with the official OTLP protos. The minimum log level is
 * applied by the real extension: DEBUG lines are not exported and are counted as filtered.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CloudWatchLogsIngestion, CloudWatchSignal, LogLevel, OtlpReceiver, TelemetryExtensionLayer, TelemetrySink, TelemetryType } from '../../lib';
import { readCdkFunction, type CdkFunctionInfo } from '../emulator/cdk-out';
import { LambdaEmulator, type EmulatorOptions } from '../emulator/emulator';
import { freePort } from '../support/free-port';
import { decodeProtobuf, flattenLogs, flattenMetrics, flattenSpans, type Signal } from '../support/otlp-proto/decode';
import { SigV4Endpoint, TEST_CREDENTIALS, type RecordedRequest } from '../support/sigv4/sigv4-endpoint';

const REGION = 'eu-west-3';
const STACK = 'TelemetryCloudWatch';
const GROUP = '/telemetry/otlp-logs';
const SERVICES = { '/v1/traces': 'xray', '/v1/logs': 'logs', '/v1/metrics': 'monitoring', '/': 'logs' };

/** What the e2e stack takes: `TelemetrySink.cloudWatch`'s options and the layer's `minLogLevel`. */
interface CloudWatchStackOptions {
  readonly signals?: CloudWatchSignal[];
  readonly logStreamPrefix?: string;
  readonly minLogLevel?: LogLevel;
  readonly cloudWatchLogsIngestion?: CloudWatchLogsIngestion;
}

/** The emulator's function name: with STOP, the function's own log group is `/aws/lambda/<it>`. */
const FUNCTION_NAME = 'telemetry-cloudwatch';

/** Synthesizes the function with `TelemetrySink.cloudWatch` attached, its endpoint overridden to `endpoint`. */
function synth(outdir: string, port: number, endpoint: string, options: CloudWatchStackOptions): string {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, STACK, { env: { account: '123456789012', region: REGION } });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(__dirname, 'cloudwatch', 'handler')),
    memorySize: 128,
    timeout: Duration.seconds(3),
    // A literal name: the function's own log group (/aws/lambda/<name>) is known at synth.
    functionName: FUNCTION_NAME,
  });
  const signals = options.signals ?? [CloudWatchSignal.TRACES, CloudWatchSignal.LOGS, CloudWatchSignal.METRICS];
  new TelemetryExtensionLayer(stack, 'Telemetry', {
    types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
    sink: TelemetrySink.cloudWatch({
      signals,
      // An existing group by name: its name is known at synth (a created group's is a token until deploy).
      logGroup: signals.includes(CloudWatchSignal.LOGS) ? logs.LogGroup.fromLogGroupName(stack, 'OtlpLogs', GROUP) : undefined,
      logStreamPrefix: options.logStreamPrefix,
      endpoint,
    }),
    minLogLevel: options.minLogLevel,
    cloudWatchLogsIngestion: options.cloudWatchLogsIngestion,
    port,
    // The function is not instrumented: no receiver (which would bind 4318 on this shared host).
    otlpReceiver: OtlpReceiver.disabled(),
  }).attachTo(fn);
  return app.synth().directory;
}

interface Run {
  readonly emulator: LambdaEmulator;
  readonly endpoint: SigV4Endpoint;
  readonly fn: CdkFunctionInfo;
  close(): Promise<void>;
}

async function run(cw: CloudWatchStackOptions, credentials: Record<string, string> = {}, overrides: Partial<EmulatorOptions> = {}): Promise<Run> {
  const endpoint = new SigV4Endpoint({ region: REGION, services: SERVICES });
  const base = await endpoint.start();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-cloudwatch-'));
  let emulator: LambdaEmulator | undefined;
  const close = async () => {
    await emulator?.close();
    await endpoint.close();
    fs.rmSync(outdir, { recursive: true, force: true });
  };
  try {
    const fn = readCdkFunction(synth(path.join(outdir, 'cdk.out'), await freePort(), base, cw), STACK, undefined);
    if (!fn.layers[0]?.assetDir || !fn.codeAssetDir) throw new Error(`cdk.out has no layer or code asset: ${JSON.stringify(fn.layers)}`);
    if (Object.keys(fn.nonLiteralEnv).length > 0) throw new Error(`environment values unknown before deploy: ${Object.keys(fn.nonLiteralEnv).join(', ')}`);
    emulator = await LambdaEmulator.start({
      layerDir: fn.layers[0].assetDir,
      handlerDir: fn.codeAssetDir,
      handler: fn.handler,
      // The role's temporary credentials, as Lambda puts them in every process's environment.
      env: {
        ...fn.env,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken!,
        ...credentials,
      },
      region: REGION,
      functionName: FUNCTION_NAME,
      memorySizeMB: fn.memorySizeMB,
      timeoutMs: fn.timeoutSeconds * 1000,
      ...overrides,
    });
    return { emulator, endpoint, fn, close };
  } catch (error) {
    await close();
    throw error;
  }
}

const body = (req: RecordedRequest) => (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(req.body) : req.body);
const decoded = (r: Run, signal: Signal) => r.endpoint.accepted.filter((req) => req.path === `/v1/${signal}`).map((req) => decodeProtobuf(signal, body(req)));
const summaryOf = (r: Run) => r.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown')).at(-1) ?? '';

describe('cloudwatch sink through the emulator, SigV4-verified', () => {
  let r: Run;
  afterAll(() => r?.close());

  test('traces, metrics and logs reach their endpoints signed for xray, monitoring and logs in the function\'s region; DEBUG lines are filtered', async () => {
    r = await run({ logStreamPrefix: 'e2e/', minLogLevel: LogLevel.INFO });
    expect(r.fn.env).toMatchObject({ TELEMETRY_EXTENSION_SINK: 'cloudwatch', TELEMETRY_EXTENSION_MIN_LOG_LEVEL: 'INFO', TELEMETRY_EXTENSION_CLOUDWATCH_LOG_GROUP: GROUP });
    expect(JSON.stringify(r.fn.env)).not.toContain(TEST_CREDENTIALS.secretAccessKey); // never in the template
    const ok = await r.emulator.invoke({ tag: 'one' });
    const failed = await r.emulator.invoke({ tag: 'two', fail: true });
    expect([ok.status, failed.status]).toEqual(['success', 'error']);
    const exit = await r.emulator.shutdown();
    expect(exit.extensions.map((e) => e.exitCode)).toEqual([0]);

    expect(r.endpoint.refused).toEqual([]);
    // The stream is created first, then written to with the signed group and stream headers.
    const [create] = r.endpoint.accepted;
    expect(create).toMatchObject({ path: '/', service: 'logs', region: REGION });
    const { logGroupName, logStreamName } = JSON.parse(create.body.toString('utf8')) as { logGroupName: string; logStreamName: string };
    expect(logGroupName).toBe(GROUP);
    expect(logStreamName).toMatch(/^e2e\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{32}$/);
    const bySignal = (p: string) => r.endpoint.accepted.filter((req) => req.path === p);
    for (const [p, service] of [['/v1/traces', 'xray'], ['/v1/metrics', 'monitoring'], ['/v1/logs', 'logs']]) {
      expect(bySignal(p).length).toBeGreaterThan(0);
      for (const req of bySignal(p)) expect(req).toMatchObject({ service, region: REGION });
    }
    for (const req of bySignal('/v1/logs')) {
      expect(req.headers).toMatchObject({ 'x-aws-log-group': GROUP, 'x-aws-log-stream': logStreamName });
      expect(String(req.headers.authorization)).toMatch(/SignedHeaders=[^,]*x-aws-log-group;x-aws-log-stream/);
    }

    const spans = decoded(r, 'traces').flatMap(flattenSpans).filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(spans.map((s) => s.attributes['faas.invocation_id']).sort()).toEqual([ok.requestId, failed.requestId].sort());
    expect(spans.find((s) => s.attributes['faas.invocation_id'] === failed.requestId)?.status.code).toBe('STATUS_CODE_ERROR');

    const records = decoded(r, 'logs').flatMap(flattenLogs).map((l) => `${l.severityText} ${String(l.body)}`);
    expect(records).toEqual(expect.arrayContaining(['INFO handling one', 'WARN slow path one', 'INFO handling two', 'ERROR failing two']));
    expect(records.filter((l) => l.includes('debug detail'))).toEqual([]);

    // Two DEBUG lines, counted as filtered, not dropped: in the summary and the self-telemetry.
    expect(summaryOf(r)).toMatch(/ filtered=2 /);
    expect(summaryOf(r)).toMatch(/ dropped=0 /);
    const filtered = decoded(r, 'metrics').flatMap(flattenMetrics).filter((m) => m.name === 'telemetry_extension.events.filtered');
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.at(-1)!.dataPoints[0].value).toBe(2);
    expect(decoded(r, 'metrics').flatMap(flattenMetrics).map((m) => m.name)).toEqual(expect.arrayContaining(['faas.invoke_duration', 'faas.errors']));
  }, 60_000);
});

describe('cloudWatchLogsIngestion STOP: the function\'s logs reach the sink, CloudWatch Logs no longer ingests them', () => {
  let r: Run;
  afterAll(() => r?.close());

  test('the role denies writing to the log group the emulator\'s function logs to, and its lines arrive through the extension', async () => {
    r = await run({ cloudWatchLogsIngestion: CloudWatchLogsIngestion.STOP });
    const ok = await r.emulator.invoke({ tag: 'stopped', logGroup: true });
    expect(ok.status).toBe('success');
    await r.emulator.shutdown();

    // The function says where Lambda writes its logs; the Deny in the synthesized template covers exactly that group.
    const records = decoded(r, 'logs').flatMap(flattenLogs).map((l) => String(l.body));
    const said = records.find((l) => l.startsWith('log group '));
    const ownGroup = said?.slice('log group '.length);
    expect(ownGroup).toBe(`/aws/lambda/${FUNCTION_NAME}`);
    type Statement = { Effect: string; Action: string[] | string; Resource: unknown };
    const template = JSON.parse(fs.readFileSync(path.join(path.dirname(r.fn.codeAssetDir!), `${STACK}.template.json`), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: Statement[] } } }>;
    };
    const denies = Object.values(template.Resources)
      .filter((res) => res.Type === 'AWS::IAM::Policy')
      .flatMap((res) => res.Properties.PolicyDocument?.Statement ?? [])
      .filter((st) => st.Effect === 'Deny');
    expect(denies).toHaveLength(1);
    expect([denies[0].Action].flat().sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    const resources = JSON.stringify(denies[0].Resource);
    expect(resources).toContain(`:log-group:${ownGroup}`);
    expect(resources).not.toContain(GROUP); // the sink's own group stays writable

    // What CloudWatch Logs no longer ingests still arrives, through the extension's sink.
    expect(records).toEqual(expect.arrayContaining(['handling stopped', 'slow path stopped']));
    expect(r.endpoint.refused).toEqual([]);
  }, 60_000);
});

describe('cloudwatch sink with throttling and with a wrong secret', () => {
  let r: Run;
  afterEach(() => r?.close());

  test('429 with Retry-After: retried after the wait, delivered, nothing lost', async () => {
    r = await run({ signals: [CloudWatchSignal.TRACES] });
    r.endpoint.throttleNext(1, 'throttling', 1);
    const ok = await r.emulator.invoke({ tag: 'throttled' });
    await r.emulator.shutdown();
    expect(r.endpoint.refused.map((x) => `${x.status} ${x.type}`)).toEqual(['429 ThrottlingException']);
    const spans = decoded(r, 'traces').flatMap(flattenSpans).filter((s) => s.kind === 'SPAN_KIND_SERVER');
    expect(spans.map((s) => s.attributes['faas.invocation_id'])).toEqual([ok.requestId]);
    expect(summaryOf(r)).toMatch(/ dropped=0 /);
    expect(r.endpoint.accepted.map((x) => x.path)).toEqual(['/v1/traces']); // no logs, no metrics: not selected
  }, 60_000);

  test('a wrong secret: every request refused once (403), never retried, counted dropped, reported once per signal; the function is unaffected', async () => {
    r = await run({ signals: [CloudWatchSignal.TRACES, CloudWatchSignal.METRICS] }, { AWS_SECRET_ACCESS_KEY: 'not-the-function-role-secret' });
    const results = [await r.emulator.invoke({ tag: 'a' }), await r.emulator.invoke({ tag: 'b' })];
    expect(results.map((x) => x.status)).toEqual(['success', 'success']);
    await r.emulator.shutdown();
    expect(r.endpoint.accepted).toEqual([]);
    expect(r.endpoint.refused.length).toBeGreaterThan(0);
    expect(new Set(r.endpoint.refused.map((x) => `${x.status} ${x.type}`))).toEqual(new Set(['403 InvalidSignatureException']));
    const lines = r.emulator.linesOf('telemetry-extension');
    const reports = lines.filter((l) => l.includes('CloudWatch refused'));
    expect(reports.map((l) => /refused the (\w+) export/.exec(l)?.[1]).sort()).toEqual(['metrics', 'traces']);
    expect(summaryOf(r)).toMatch(/ dropped=[1-9]/);
    expect(summaryOf(r)).toMatch(/ exported=\d+/);
    // Permanent at the first attempt: never kept for a retry.
    const losses = lines.filter((l) => l.includes('OTLP export failed'));
    expect(losses.length).toBeGreaterThan(0);
    for (const l of losses) expect(l).toMatch(/failed; dropped .*attempts=1/);
    expect(lines.filter((l) => l.includes('kept for retry'))).toEqual([]);
    expect(lines.join('\n')).not.toContain('not-the-function-role-secret');
  }, 60_000);
});
