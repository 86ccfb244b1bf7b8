/**
 * How the signer composes with the existing transport and retry policy (what the shared delivery
 * code will do): sign before every attempt, send through HttpTransport, classify with withRetry.
 * A wrong secret is a permanent 403 after one attempt; throttling is retried, re-signed, and the
 * endpoint's Retry-After is honoured.
 */
import { cloudWatchOtlpUrl } from '../../extension-src/aws/cloudwatch-endpoints';
import type { AwsCredentials } from '../../extension-src/aws/credentials';
import { createSigV4Signer } from '../../extension-src/aws/sigv4-signer';
import { withRetry, type RetryClock } from '../../extension-src/delivery/retry';
import { HttpTransport } from '../../extension-src/delivery/transport';
import { SigV4Endpoint, TEST_CREDENTIALS } from '../support/sigv4/sigv4-endpoint';

const REGION = 'us-east-2';

describe('signing every attempt, through HttpTransport and withRetry', () => {
  let endpoint: SigV4Endpoint;
  let base: string;

  beforeEach(async () => {
    endpoint = new SigV4Endpoint({ region: REGION, services: { '/v1/logs': 'logs' } });
    base = await endpoint.start();
  });

  afterEach(() => endpoint.close());

  /** A clock whose sleeps are recorded and return at once (no real waiting in tests). */
  function fakeClock(): RetryClock & { slept: number[] } {
    let now = Date.now();
    const slept: number[] = [];
    return {
      slept,
      now: () => now,
      random: () => 0.5,
      sleep: async (ms: number) => {
        slept.push(ms);
        now += ms;
      },
    };
  }

  async function deliver(credentials: () => AwsCredentials, clock: RetryClock) {
    const url = cloudWatchOtlpUrl('logs', REGION, base);
    const sign = createSigV4Signer({ service: 'logs', region: REGION, credentials });
    const preparer = new HttpTransport({ headers: {}, compression: 'gzip' });
    const prepared = await preparer.prepare(Buffer.from('otlp-logs-request-bytes'), 'application/x-protobuf');
    preparer.close();
    return withRetry(async (timeoutMs) => {
      const headers = sign({
        method: 'POST',
        host: url.host,
        path: url.pathname,
        headers: { 'content-type': prepared.contentType, 'content-encoding': 'gzip', 'x-aws-log-group': '/otlp', 'x-aws-log-stream': 's-1' },
        body: prepared.bytes,
      });
      const transport = new HttpTransport({ headers, compression: 'gzip' });
      try {
        return await transport.post(url, prepared, timeoutMs);
      } finally {
        transport.close();
      }
    }, { deadline: clock.now() + 60_000, timeoutMs: 5_000, clock });
  }

  test('delivered: HttpTransport sends exactly what was signed (its own content headers agree)', async () => {
    const outcome = await deliver(() => TEST_CREDENTIALS, fakeClock());
    expect(outcome).toMatchObject({ delivered: true, attempts: 1 });
    expect(endpoint.accepted).toHaveLength(1);
    expect(endpoint.accepted[0].headers['user-agent']).toBe('telemetry-extension');
  });

  test('a wrong secret: permanent after one attempt (403), never retried', async () => {
    const outcome = await deliver(() => ({ ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }), fakeClock());
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, failedAttempts: 1, reason: 'permanent', lastError: 'HTTP 403' });
    expect(endpoint.refused).toEqual([expect.objectContaining({ status: 403, type: 'InvalidSignatureException' })]);
  });

  test('429 and 503 with Retry-After: retried after the given delay, each attempt signed anew', async () => {
    endpoint.throttleNext(1, 'throttling', 2);
    endpoint.throttleNext(1, 'unavailable', 1);
    const clock = fakeClock();
    const credentials = jest.fn(() => TEST_CREDENTIALS);
    const outcome = await deliver(credentials, clock);
    expect(outcome).toMatchObject({ delivered: true, attempts: 3, failedAttempts: 2 });
    expect(clock.slept).toEqual([2_000, 1_000]);
    expect(credentials).toHaveBeenCalledTimes(3);
    expect(endpoint.refused.map((r) => r.status)).toEqual([429, 503]);
  });
});
