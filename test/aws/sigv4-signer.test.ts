/**
 * The extension's signer (aws4) against the independent verifier (AWS's @smithy/signature-v4): real
 * OTLP bodies, gzipped as the sink sends them, to the three CloudWatch OTLP paths with their
 * signing names; a wrong secret gets the endpoint's 403 answer; credentials are read per request.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeLogRecords, makeMetrics, makeSpans } from './otel-data';
import { cloudWatchOtlpUrl, SIGNING_NAME, type CloudWatchSignal } from '../../extension-src/aws/cloudwatch-endpoints';
import { MissingCredentialsError } from '../../extension-src/aws/credentials';
import { createSigV4Signer } from '../../extension-src/aws/sigv4-signer';
import { decodeProtobuf, flattenLogs, flattenMetrics, flattenSpans } from '../support/otlp-proto/decode';
import { rawPost, SigV4Endpoint, TEST_CREDENTIALS } from '../support/sigv4/sigv4-endpoint';

/** A real OTLP body of the signal and what its decoding must list. */
async function otlpBody(signal: CloudWatchSignal): Promise<{ body: Uint8Array; names: string[]; decode: (b: Uint8Array) => string[] }> {
  if (signal === 'traces') {
    const spans = await makeSpans(5);
    return { body: ProtobufTraceSerializer.serializeRequest(spans)!, names: spans.map((s) => s.name), decode: (b) => flattenSpans(decodeProtobuf('traces', b)).map((s) => s.name) };
  }
  if (signal === 'logs') {
    const records = await makeLogRecords(5);
    return { body: ProtobufLogsSerializer.serializeRequest(records)!, names: records.map((r) => String(r.body)), decode: (b) => flattenLogs(decodeProtobuf('logs', b)).map((l) => String(l.body)) };
  }
  const metrics = await makeMetrics(2, 2);
  return { body: ProtobufMetricsSerializer.serializeRequest(metrics)!, names: ['test.counter.0', 'test.counter.1', 'test.duration'], decode: (b) => flattenMetrics(decodeProtobuf('metrics', b)).map((m) => m.name).sort() };
}

const REGION = 'eu-central-1';

function lambdaEnv(): NodeJS.ProcessEnv {
  return {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
  };
}

describe('cloudWatchOtlpUrl', () => {
  test.each([
    ['traces', 'us-west-2', 'https://xray.us-west-2.amazonaws.com/v1/traces'],
    ['logs', 'us-west-2', 'https://logs.us-west-2.amazonaws.com/v1/logs'],
    ['metrics', 'us-west-2', 'https://monitoring.us-west-2.amazonaws.com/v1/metrics'],
    ['traces', 'cn-north-1', 'https://xray.cn-north-1.amazonaws.com.cn/v1/traces'],
    ['logs', 'us-gov-west-1', 'https://logs.us-gov-west-1.amazonaws.com/v1/logs'],
  ] as const)('%s in %s: %s', (signal, region, url) => {
    expect(cloudWatchOtlpUrl(signal, region).href).toBe(url);
  });

  test('an override is a base URL: the signal path is appended, a path prefix kept', () => {
    expect(cloudWatchOtlpUrl('logs', REGION, 'http://127.0.0.1:4318').href).toBe('http://127.0.0.1:4318/v1/logs');
    expect(cloudWatchOtlpUrl('traces', REGION, 'https://vpce.example.com/otel/').href).toBe('https://vpce.example.com/otel/v1/traces');
  });

  test('signing names: xray, logs, monitoring', () => {
    expect(SIGNING_NAME).toEqual({ traces: 'xray', logs: 'logs', metrics: 'monitoring' });
  });
});

describe('createSigV4Signer against the verifier', () => {
  let endpoint: SigV4Endpoint;
  let base: string;

  beforeEach(async () => {
    endpoint = new SigV4Endpoint({ region: REGION, services: { '/v1/traces': 'xray', '/v1/logs': 'logs', '/v1/metrics': 'monitoring' } });
    base = await endpoint.start();
  });

  afterEach(() => endpoint.close());

  async function send(signal: CloudWatchSignal, env: NodeJS.ProcessEnv, body: Buffer, extra: Record<string, string> = {}) {
    const url = cloudWatchOtlpUrl(signal, REGION, base);
    const sign = createSigV4Signer({
      service: SIGNING_NAME[signal],
      region: REGION,
      credentials: () => ({
        accessKeyId: env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
        sessionToken: env.AWS_SESSION_TOKEN,
      }),
    });
    const headers = sign({
      method: 'POST',
      host: url.host,
      path: url.pathname,
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...extra },
      body,
    });
    // An unsigned header added afterwards (as the transport adds user-agent) does not matter.
    return { headers, response: await rawPost(url.href, { ...headers, 'user-agent': 'telemetry-extension' }, body) };
  }

  test.each(['traces', 'logs', 'metrics'] as const)('%s: a gzipped OTLP request passes verification for its signing name', async (signal) => {
    const otlp = await otlpBody(signal);
    const body = gzipSync(otlp.body);
    const extra: Record<string, string> = signal === 'logs' ? { 'x-aws-log-group': '/telemetry/otlp', 'x-aws-log-stream': 'fn-1' } : {};
    const { headers, response } = await send(signal, lambdaEnv(), body, extra);
    expect(response.status).toBe(200);
    expect(endpoint.accepted).toHaveLength(1);
    const [accepted] = endpoint.accepted;
    expect(accepted).toMatchObject({ service: SIGNING_NAME[signal], region: REGION });
    expect(accepted.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.sessionToken);
    // What arrived is the body that was signed.
    expect(otlp.decode(gunzipSync(accepted.body))).toEqual(otlp.names);
    // The content headers are signed (tampering with them would be caught).
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization)![1].split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'content-type', 'content-encoding', 'content-length', 'x-amz-date', 'x-amz-security-token']));
    if (signal === 'logs') expect(signedHeaders).toEqual(expect.arrayContaining(['x-aws-log-group', 'x-aws-log-stream']));
    expect(signedHeaders).not.toContain('user-agent');
  });

  test('a wrong secret: the endpoint answers 403 InvalidSignatureException in the AWS JSON error shape', async () => {
    const env = { ...lambdaEnv(), AWS_SECRET_ACCESS_KEY: 'not-the-function-secret' };
    const { response } = await send('traces', env, Buffer.from('x'));
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toMatch(/^InvalidSignatureException:/);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({
      __type: 'InvalidSignatureException',
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided/),
    });
    expect(endpoint.accepted).toHaveLength(0);
  });

  test('a signature for another region is refused', async () => {
    const url = cloudWatchOtlpUrl('metrics', REGION, base);
    const sign = createSigV4Signer({ service: 'monitoring', region: 'us-east-1', credentials: () => TEST_CREDENTIALS });
    const headers = sign({ method: 'POST', host: url.host, path: url.pathname, headers: { 'content-type': 'application/x-protobuf' }, body: 'x' });
    const res = await rawPost(url.href, headers, 'x');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString('utf8')).message).toMatch(/scoped to a valid region, not 'us-east-1'/);
  });

  test('credentials are read at every signature: rotated ones are used by the next request', async () => {
    const env = lambdaEnv();
    const sign = createSigV4Signer({
      service: 'xray',
      region: REGION,
      credentials: () => ({
        accessKeyId: env.AWS_ACCESS_KEY_ID!,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
        sessionToken: env.AWS_SESSION_TOKEN,
      }),
    });
    const url = cloudWatchOtlpUrl('traces', REGION, base);
    const request = { method: 'POST', host: url.host, path: url.pathname, headers: { 'content-type': 'application/x-protobuf' }, body: 'x' };
    const first = sign(request);
    env.AWS_ACCESS_KEY_ID = 'ASIAROTATED';
    env.AWS_SESSION_TOKEN = 'rotated-token';
    const second = sign(request);
    expect(first.authorization).toContain(`Credential=${TEST_CREDENTIALS.accessKeyId}/`);
    expect(second.authorization).toContain('Credential=ASIAROTATED/');
    expect(second['x-amz-security-token']).toBe('rotated-token');
    expect((await rawPost(url.href, first, 'x')).status).toBe(200);
    // The verifier knows only the first key pair: the rotated one is someone else to it.
    expect((await rawPost(url.href, second, 'x')).status).toBe(403);
  });

  test('the default source reads the environment at each call; missing credentials throw a typed error', () => {
    const saved = { ...process.env };
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      const sign = createSigV4Signer({ service: 'logs', region: REGION });
      const request = { method: 'POST', host: 'logs.eu-central-1.amazonaws.com', path: '/v1/logs', headers: {}, body: '' };
      expect(() => sign(request)).toThrow(MissingCredentialsError);
      process.env.AWS_ACCESS_KEY_ID = 'AKIDLATER';
      process.env.AWS_SECRET_ACCESS_KEY = 'later-secret';
      expect(sign(request).authorization).toContain('Credential=AKIDLATER/');
    } finally {
      process.env = saved;
    }
  });
});
