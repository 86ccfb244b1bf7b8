/** The test receiver itself: decoding, scripting, waiting. */
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { otlpSchema } from '../support/otlp-proto/decode';
import { OtlpReceiver } from '../support/otlp-receiver';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A traces request encoded by protobufjs from the official schema (not by the extension's encoder). */
function protoTraces(): Buffer {
  const type = otlpSchema().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const message = type.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [{
        scope: { name: 'scope', version: '1' },
        spans: [{
          traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
          spanId: Buffer.from('b7ad6b7169203331', 'hex'),
          name: 'op',
          kind: 2,
          startTimeUnixNano: '1700000000000000001',
          endTimeUnixNano: '1700000000500000000',
          attributes: [{ key: 'n', value: { intValue: 3 } }, { key: 'ok', value: { boolValue: true } }],
          status: { code: 2, message: 'bad' },
        }],
      }],
    }],
  });
  return Buffer.from(type.encode(message).finish());
}

describe('OtlpReceiver', () => {
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await OtlpReceiver.start({ waitTimeoutMs: 2000 });
  });

  afterEach(async () => {
    await receiver.close();
  });

  test('decodes protobuf (gzipped) with the official schema; nanosecond precision kept', async () => {
    const res = await post(`${receiver.url}/v1/traces`, zlib.gzipSync(protoTraces()), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-protobuf');
    const [span] = await receiver.waitForSpans(1);
    expect(span).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      parentSpanId: undefined,
      name: 'op',
      kind: 'SPAN_KIND_SERVER',
      attributes: { n: 3, ok: true },
      status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
      resource: { 'service.name': 'svc' },
      scope: { name: 'scope', version: '1' },
    });
    expect(span.startTimeUnixNano).toBe(1700000000000000001n);
  });

  test('decodes OTLP/JSON (hex ids, integer enums, string int64) to the same shape', async () => {
    const json = {
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [{
          scope: { name: 'scope', version: '1' },
          spans: [{
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            parentSpanId: '00f067aa0ba902b7',
            name: 'op',
            kind: 2,
            startTimeUnixNano: '1700000000000000001',
            endTimeUnixNano: '1700000000500000000',
            attributes: [{ key: 'n', value: { intValue: '3' } }],
            status: { code: 2, message: 'bad' },
          }],
        }],
      }],
    };
    await post(`${receiver.url}/v1/traces`, JSON.stringify(json), { 'content-type': 'application/json' });
    const [span] = await receiver.waitForSpans(1);
    expect(span).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: '00f067aa0ba902b7', kind: 'SPAN_KIND_SERVER', attributes: { n: 3 } });
    expect(span.startTimeUnixNano).toBe(1700000000000000001n);
  });

  test('undecodable bodies are recorded with the reason and answered 400', async () => {
    const res = await post(`${receiver.url}/v1/logs`, Buffer.from([0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(receiver.requests[0].decodeError).toBeDefined();
    expect(receiver.logs()).toEqual([]);
  });

  test('scripted responses apply in order, optionally per signal; the rest get 200', async () => {
    receiver.enqueue({ status: 503, headers: { 'retry-after': '1' }, match: 'metrics' }, { status: 429 });
    const empty = Buffer.alloc(0);
    const h = { 'content-type': 'application/x-protobuf' };
    expect((await post(`${receiver.url}/v1/traces`, empty, h)).status).toBe(429);
    const metrics = await post(`${receiver.url}/v1/metrics`, empty, h);
    expect([metrics.status, metrics.headers['retry-after']]).toEqual([503, '1']);
    expect((await post(`${receiver.url}/v1/metrics`, empty, h)).status).toBe(200);
  });

  test('plain JSON mode on other paths', async () => {
    await post(`${receiver.url}/ingest`, zlib.gzipSync('{"events":[1]}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(await receiver.waitForJson(1)).toEqual([{ events: [1] }]);
    expect(receiver.requests[0].signal).toBeUndefined();
  });

  test('waitFor* resolve on arrival and reject with what arrived on timeout', async () => {
    const waiting = receiver.waitForRequests(1, (r) => r.path === '/x');
    await post(`${receiver.url}/x`, '{}', { 'content-type': 'application/json' });
    await expect(waiting).resolves.toHaveLength(1);
    await expect(receiver.waitForSpans(1, 20)).rejects.toThrow('timed out after 20 ms waiting for 1 span(s); received POST /x -> 200');
  });

  test('a delayed response arrives after the delay', async () => {
    receiver.enqueue({ delayMs: 30, status: 202 });
    const started = Date.now();
    const res = await post(`${receiver.url}/v1/logs`, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  test('destroy: the client sees a reset', async () => {
    receiver.enqueue({ destroy: true });
    const error = await post(`${receiver.url}/v1/logs`, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' }).catch((err: Error) => err);
    expect((error as Error).message).toMatch(/socket hang up|ECONNRESET/);
    expect(receiver.requests).toHaveLength(1);
  });

  test('close() ends hanging requests', async () => {
    receiver.enqueue({ hang: true });
    const pending = post(`${receiver.url}/v1/logs`, Buffer.alloc(0), { 'content-type': 'application/x-protobuf' }).catch((err: Error) => err);
    await receiver.waitForRequests(1);
    await receiver.close();
    expect(((await pending) as Error).message).toMatch(/socket hang up|ECONNRESET/);
  });
});
