import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { withRetry } from '../../extension-src/delivery/retry';
import { HttpTransport } from '../../extension-src/delivery/transport';
import { OtlpReceiver } from '../support/otlp-receiver';

describe('HttpTransport against a local receiver', () => {
  let receiver: OtlpReceiver;
  let transport: HttpTransport;

  beforeEach(async () => {
    receiver = await OtlpReceiver.start();
  });

  afterEach(async () => {
    transport?.close();
    await receiver.close();
  });

  test('gzip on: body compressed, Content-Encoding set, headers passed', async () => {
    transport = new HttpTransport({ headers: { 'x-team': 'blue' }, compression: 'gzip' });
    const body = await transport.prepare(JSON.stringify({ hello: 'world'.repeat(100) }), 'application/json');
    const result = await transport.post(new URL(`${receiver.url}/ingest`), body, 1000);
    expect(result).toMatchObject({ kind: 'response', status: 200 });
    const [req] = receiver.requests;
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['x-team']).toBe('blue');
    expect(req.wireBytes).toBeLessThan(req.rawBody.length);
    expect(req.body).toEqual({ hello: 'world'.repeat(100) });
  });

  test('gzip at level 2 (the least CPU per byte saved, test/bench/gzip-levels.ts)', async () => {
    const text = JSON.stringify({ hello: 'world'.repeat(100), n: [...Array(200).keys()] });
    const body = await new HttpTransport({ headers: {}, compression: 'gzip' }).prepare(text, 'application/json');
    expect(Buffer.from(body.bytes)).toEqual(zlib.gzipSync(text, { level: 2 }));
    expect(Buffer.from(body.bytes)).not.toEqual(zlib.gzipSync(text));
  });

  test('gzip off: identity body', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'none' });
    const body = await transport.prepare('{"a":1}', 'application/json');
    await transport.post(new URL(`${receiver.url}/ingest`), body, 1000);
    const [req] = receiver.requests;
    expect(req.headers['content-encoding']).toBeUndefined();
    expect(req.wireBytes).toBe(7);
    expect(req.body).toEqual({ a: 1 });
  });

  test('status, Retry-After and the start of the body are reported', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'none' });
    receiver.enqueue({ status: 503, headers: { 'retry-after': '7' }, body: 'x'.repeat(10_000) });
    const result = await transport.post(new URL(`${receiver.url}/ingest`), await transport.prepare('{}', 'application/json'), 1000);
    expect(result).toMatchObject({ kind: 'response', status: 503, retryAfter: '7' });
    expect(result.kind === 'response' && result.body.length).toBe(4096);
  });

  test('a request that hangs ends as a timeout', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'none' });
    receiver.enqueue({ hang: true });
    const result = await transport.post(new URL(`${receiver.url}/ingest`), await transport.prepare('{}', 'application/json'), 50);
    expect(result).toEqual({ kind: 'error', code: 'timeout', message: 'timeout after 50 ms' });
  });

  test('a destroyed socket is a connection error', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'none' });
    receiver.enqueue({ destroy: true });
    const result = await transport.post(new URL(`${receiver.url}/ingest`), await transport.prepare('{}', 'application/json'), 1000);
    expect(result).toMatchObject({ kind: 'error', code: 'connection' });
    expect(receiver.requests).toHaveLength(1);
  });

  test('nothing listening is a connection error', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'none' });
    const closed = await OtlpReceiver.start();
    const url = new URL(`${closed.url}/ingest`);
    await closed.close();
    const result = await transport.post(url, await transport.prepare('{}', 'application/json'), 1000);
    expect(result).toMatchObject({ kind: 'error', code: 'connection' });
  });

  test('with retry: 503 then 200 delivers; two requests made', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'gzip' });
    receiver.enqueue({ status: 503, headers: { 'retry-after': '0' } });
    const url = new URL(`${receiver.url}/ingest`);
    const body = await transport.prepare('{"n":1}', 'application/json');
    const outcome = await withRetry((t) => transport.post(url, body, t), { deadline: Date.now() + 10_000, timeoutMs: 1000 });
    expect(outcome).toEqual({ delivered: true, attempts: 2, failedAttempts: 1 });
    expect(receiver.requests.map((r) => r.response.status ?? 200)).toEqual([503, 200]);
    expect(receiver.jsonBodies()).toEqual([{ n: 1 }]);
  });

  test('with retry: 400 is not retried', async () => {
    transport = new HttpTransport({ headers: {}, compression: 'none' });
    receiver.enqueue({ status: 400 });
    const url = new URL(`${receiver.url}/ingest`);
    const body = await transport.prepare('{}', 'application/json');
    const outcome = await withRetry((t) => transport.post(url, body, t), { deadline: Date.now() + 10_000, timeoutMs: 1000 });
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, reason: 'permanent' });
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('HttpTransport keep-alive', () => {
  test('reuses one connection; a connection the peer closed in between does not fail the next request', async () => {
    const sockets = new Set<unknown>();
    let requests = 0;
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      requests++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const transport = new HttpTransport({ headers: {}, compression: 'none' });
    try {
      const body = await transport.prepare('{}', 'application/json');
      expect(await transport.post(url, body, 1000)).toMatchObject({ status: 200 });
      expect(await transport.post(url, body, 1000)).toMatchObject({ status: 200 });
      expect(sockets.size).toBe(1);

      // The peer drops idle connections (as after a freeze) without the client noticing first.
      server.closeIdleConnections();
      const result = await transport.post(url, body, 1000);
      expect(result).toMatchObject({ kind: 'response', status: 200 });
      expect(requests).toBe(3);
    } finally {
      transport.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('HttpTransport stale kept-alive socket', () => {
  test('a reset on a reused socket is retried once at once on a new socket', async () => {
    const perSocket = new Map<unknown, number>();
    const server = http.createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      req.resume();
      // The second request on a socket finds it dead, as after a freeze.
      if (n === 2) req.socket.destroy();
      else req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const transport = new HttpTransport({ headers: {}, compression: 'none' });
    try {
      const body = await transport.prepare('{}', 'application/json');
      expect(await transport.post(url, body, 1000)).toMatchObject({ status: 200 });
      expect(await transport.post(url, body, 1000)).toMatchObject({ kind: 'response', status: 200 });
      expect([...perSocket.values()]).toEqual([2, 1]);
    } finally {
      transport.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('gzip round trip', () => {
  test('the prepared body gunzips to the input', async () => {
    const transport = new HttpTransport({ headers: {}, compression: 'gzip' });
    const body = await transport.prepare(Buffer.from([1, 2, 3, 250]), 'application/x-protobuf');
    expect(zlib.gunzipSync(body.bytes)).toEqual(Buffer.from([1, 2, 3, 250]));
    expect(body).toMatchObject({ contentType: 'application/x-protobuf', contentEncoding: 'gzip' });
    transport.close();
  });
});
