/** The shared test helpers do what their documentation says, including failing when they must. */
import * as http from 'node:http';
import { thrown, rejection } from './expect-error';
import { FakeClock } from './fake-clock';
import { ACCESS_DENIED_BODY, FakeSecretsManager } from './fake-secrets-manager';
import { startHttpServer } from './http-server';

class CustomError extends Error {
  constructor(readonly code: string) {
    super(`custom ${code}`);
  }
}

function get(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end('{"SecretId":"x"}');
  });
}

describe('thrown / rejection', () => {
  test('hand back the error, typed', async () => {
    expect(thrown(() => { throw new CustomError('a'); }, CustomError).code).toBe('a');
    expect((await rejection(Promise.reject(new CustomError('b')), CustomError)).code).toBe('b');
    expect(thrown(() => JSON.parse('{')).name).toBe('SyntaxError');
  });

  test('fail when nothing is thrown, or something else', async () => {
    expect(() => thrown(() => 1)).toThrow('expected it to throw, but it returned');
    expect(() => thrown(() => { throw new Error('plain'); }, CustomError)).toThrow('expected it to throw a CustomError, got Error: plain');
    expect(() => thrown(() => { throw 'a string'; })).toThrow('expected it to throw an Error, got a string');
    await expect(rejection(Promise.resolve(42))).rejects.toThrow('expected it to reject, but it resolved with 42');
    await expect(rejection(Promise.reject(new Error('plain')), CustomError)).rejects.toThrow('expected it to reject with a CustomError, got Error: plain');
  });
});

describe('FakeClock', () => {
  test('moves only when slept on or advanced, and records the sleeps', async () => {
    const clock = new FakeClock({ start: 1_000, random: 0.25 });
    const { now, sleep, random } = clock; // bound: usable alone
    await sleep(100);
    await sleep(200);
    clock.advance(5);
    expect(now()).toBe(1_305);
    expect(random()).toBe(0.25);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  test('a sleep can take another time than asked (a frozen environment)', async () => {
    const clock = new FakeClock({ start: 0, advanceOnSleep: () => 600_000 });
    await clock.sleep(100);
    expect(clock.now()).toBe(600_000);
  });
});

describe('startHttpServer', () => {
  test('serves on 127.0.0.1 with a free port, and close() ends a hanging request', async () => {
    const server = await startHttpServer(() => { /* never answers */ });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    const pending = get(server.url).catch((e: Error) => e);
    await new Promise<void>((resolve) => server.server.once('request', () => resolve()));
    await server.close();
    expect(String(await pending)).toMatch(/socket hang up|ECONNRESET/);
    await server.close(); // idempotent
  });
});

describe('FakeSecretsManager', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:otlp-headers-AbCdEf';

  test('answers the secret and records the request', async () => {
    const fake = await FakeSecretsManager.start({ arn: ARN, secretString: '{"a":"b"}' });
    try {
      const reply = await get(fake.url, { 'x-amz-target': 'secretsmanager.GetSecretValue' });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ ARN, Name: 'otlp-headers', SecretString: '{"a":"b"}' });
      expect(fake.requests).toEqual([{ headers: expect.objectContaining({ 'x-amz-target': 'secretsmanager.GetSecretValue' }), body: '{"SecretId":"x"}' }]);
    } finally {
      await fake.close();
    }
  });

  test('any other status answers AccessDeniedException; reply can be scripted', async () => {
    const fake = await FakeSecretsManager.start({ arn: ARN, status: 400 });
    try {
      expect(await get(fake.url)).toEqual({ status: 400, body: ACCESS_DENIED_BODY });
      fake.reply = () => ({ status: 500, body: '{}' });
      expect(await get(fake.url)).toEqual({ status: 500, body: '{}' });
    } finally {
      await fake.close();
    }
  });
});
