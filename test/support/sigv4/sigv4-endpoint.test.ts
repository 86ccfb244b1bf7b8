/**
 * The verifier itself: requests signed by AWS's own signer pass; every way a signature can be wrong
 * is refused with AWS's status and error shape; throttling answers as told.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { formatAmzDate, rawPost, SigV4Endpoint, TEST_CREDENTIALS, type TestCredentials } from './sigv4-endpoint';

const REGION = 'eu-central-1';
const BODY = Buffer.from([0x0a, 0x03, 0x01, 0x02, 0x03, 0xff, 0x00]);

/** Headers for a POST to `url`, signed by @smithy/signature-v4 (not by the code under test). */
async function smithySign(
  url: string,
  body: Buffer,
  options: { service: string; region?: string; credentials?: TestCredentials; date?: Date; headers?: Record<string, string> },
): Promise<Record<string, string>> {
  const target = new URL(url);
  const credentials = options.credentials ?? TEST_CREDENTIALS;
  const signer = new SignatureV4({
    service: options.service,
    region: options.region ?? REGION,
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path: target.pathname,
      query: {},
      headers: { 'host': target.host, 'content-type': 'application/x-protobuf', ...options.headers },
      body,
    },
    { signingDate: options.date ?? new Date() },
  );
  return signed.headers as Record<string, string>;
}

describe('SigV4Endpoint', () => {
  let endpoint: SigV4Endpoint;
  let base: string;

  beforeEach(async () => {
    endpoint = new SigV4Endpoint({ region: REGION, services: { '/v1/traces': 'xray', '/v1/logs': 'logs', '/v1/metrics': 'monitoring' } });
    base = await endpoint.start();
  });

  afterEach(() => endpoint.close());

  async function expectRefused(headers: Record<string, string>, body: Buffer, status: number, type: string, message: RegExp, path = '/v1/traces') {
    const res = await rawPost(`${base}${path}`, headers, body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-amzn-errortype']).toMatch(new RegExp(`^${type}:`));
    expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    const parsed = JSON.parse(res.body.toString('utf8')) as { __type: string; message: string };
    expect(parsed.__type).toBe(type);
    expect(parsed.message).toMatch(message);
    expect(endpoint.accepted).toHaveLength(0);
    expect(endpoint.refused.at(-1)).toMatchObject({ status, type });
  }

  test.each([
    ['/v1/traces', 'xray'],
    ['/v1/logs', 'logs'],
    ['/v1/metrics', 'monitoring'],
  ])('a request to %s signed by @smithy/signature-v4 for %s passes and is recorded as sent', async (path, service) => {
    const headers = await smithySign(`${base}${path}`, BODY, { service });
    const res = await rawPost(`${base}${path}`, headers, BODY);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    expect(endpoint.accepted).toHaveLength(1);
    expect(endpoint.accepted[0]).toMatchObject({ method: 'POST', path, service, region: REGION });
    expect(endpoint.accepted[0].body.equals(BODY)).toBe(true);
  });

  test('a wrong secret: 403 InvalidSignatureException, signature mismatch', async () => {
    const headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'not-the-secret' } });
    await expectRefused(headers, BODY, 403, 'InvalidSignatureException', /^The request signature we calculated does not match the signature you provided/);
  });

  test('a tampered body: 403 InvalidSignatureException', async () => {
    const headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray' });
    const tampered = Buffer.from(BODY);
    tampered[2] = tampered[2] === 0x01 ? 0x02 : 0x01;
    await expectRefused(headers, tampered, 403, 'InvalidSignatureException', /does not match the signature you provided/);
  });

  test('a tampered signed header: 403 InvalidSignatureException', async () => {
    const headers = await smithySign(`${base}/v1/logs`, BODY, { service: 'logs', headers: { 'x-aws-log-group': 'group-a', 'x-aws-log-stream': 's' } });
    await expectRefused({ ...headers, 'x-aws-log-group': 'group-b' }, BODY, 403, 'InvalidSignatureException', /does not match/, '/v1/logs');
  });

  test('a wrong region: 403 InvalidSignatureException naming the region', async () => {
    const headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', region: 'us-west-2' });
    await expectRefused(headers, BODY, 403, 'InvalidSignatureException', /^Credential should be scoped to a valid region, not 'us-west-2'/);
  });

  test('a wrong service name: 403 InvalidSignatureException naming the right one', async () => {
    const headers = await smithySign(`${base}/v1/metrics`, BODY, { service: 'cloudwatch' });
    await expectRefused(headers, BODY, 403, 'InvalidSignatureException', /^Credential should be scoped to correct service: 'monitoring'/, '/v1/metrics');
  });

  test('an expired date (over 5 minutes old): 403 Signature expired', async () => {
    const date = new Date(Date.now() - 6 * 60_000);
    const headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', date });
    await expectRefused(headers, BODY, 403, 'InvalidSignatureException', new RegExp(`^Signature expired: ${formatAmzDate(date.getTime())} is now earlier than`));
  });

  test('a date in the future: 403 Signature not yet current', async () => {
    const headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', date: new Date(Date.now() + 6 * 60_000) });
    await expectRefused(headers, BODY, 403, 'InvalidSignatureException', /^Signature not yet current/);
  });

  test('an unknown access key or session token: 403 UnrecognizedClientException', async () => {
    let headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', credentials: { ...TEST_CREDENTIALS, accessKeyId: 'AKIDOTHER' } });
    await expectRefused(headers, BODY, 403, 'UnrecognizedClientException', /security token included in the request is invalid/);
    headers = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', credentials: { ...TEST_CREDENTIALS, sessionToken: 'expired-token' } });
    await expectRefused(headers, BODY, 403, 'UnrecognizedClientException', /security token included in the request is invalid/);
  });

  test('no Authorization header: 403 MissingAuthenticationTokenException', async () => {
    await expectRefused({ 'content-type': 'application/x-protobuf' }, BODY, 403, 'MissingAuthenticationTokenException', /^Missing Authentication Token$/);
  });

  test('throttling as told: 429 ThrottlingException then 503, with Retry-After; then accepted', async () => {
    endpoint.throttleNext(1, 'throttling', 2);
    endpoint.throttleNext(1, 'unavailable', 1);
    const send = async () => rawPost(`${base}/v1/traces`, await smithySign(`${base}/v1/traces`, BODY, { service: 'xray' }), BODY);
    const first = await send();
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('2');
    expect(JSON.parse(first.body.toString('utf8'))).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    const second = await send();
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(JSON.parse(second.body.toString('utf8')).__type).toBe('ServiceUnavailableException');
    expect((await send()).status).toBe(200);
    expect(endpoint.accepted).toHaveLength(1);
    expect(endpoint.refused.map((r) => r.status)).toEqual([429, 503]);
  });

  test('a badly signed request is refused before any throttling is used up', async () => {
    endpoint.throttleNext(1);
    const bad = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray', region: 'us-east-1' });
    expect((await rawPost(`${base}/v1/traces`, bad, BODY)).status).toBe(403);
    const good = await smithySign(`${base}/v1/traces`, BODY, { service: 'xray' });
    expect((await rawPost(`${base}/v1/traces`, good, BODY)).status).toBe(429);
  });
});
