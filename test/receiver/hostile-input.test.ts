/**
 * Hostile input to the OTLP receiver (fast-check): arbitrary bytes as protobuf (plain and
 * gzipped) and arbitrary JSON values as OTLP/JSON are answered 200 (what decodes: unknown fields
 * are ignored, as the spec requires) or 400 with a Status, never 5xx; the receiver keeps serving.
 */
import * as zlib from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import * as fc from 'fast-check';
import { decodeStatus, post, startTestReceiver, type TestReceiver } from './helpers';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => receiver.close());

const SIGNALS = ['traces', 'metrics', 'logs'] as const;

async function check(signal: string, body: Buffer, headers: Record<string, string>): Promise<void> {
  const reply = await post(receiver.running.port, `/v1/${signal}`, body, headers);
  expect([200, 400]).toContain(reply.status);
  if (reply.status === 400) {
    expect(decodeStatus(reply.body, reply.headers['content-type']).code).toBe(3);
  } else if (headers['content-type'] === 'application/json') {
    expect(JsonTraceSerializer.deserializeResponse(reply.body)).toBeDefined();
  } else {
    expect(ProtobufTraceSerializer.deserializeResponse(reply.body)).toBeDefined();
  }
}

describe('hostile input', () => {
  it('arbitrary bytes as protobuf, plain or gzipped: 200 or 400, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SIGNALS), fc.uint8Array({ maxLength: 400 }), fc.boolean(), async (signal, bytes, gzip) => {
        const body = gzip ? zlib.gzipSync(Buffer.from(bytes)) : Buffer.from(bytes);
        const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
        if (gzip) headers['content-encoding'] = 'gzip';
        await check(signal, body, headers);
      }),
      { numRuns: 250 },
    );
  });

  it('arbitrary JSON values as OTLP/JSON: 200 or 400, never 5xx', async () => {
    const otlpish = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue(),
        fc.dictionary(fc.constantFrom('resourceSpans', 'resourceLogs', 'resourceMetrics', 'scopeSpans', 'spans', 'traceId', 'spanId', 'attributes', 'value', 'resource', '__proto__'), tie('node')),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SIGNALS), otlpish, async (signal, value) => {
        await check(signal, Buffer.from(JSON.stringify(value) ?? 'null'), { 'content-type': 'application/json' });
      }),
      { numRuns: 250 },
    );
  });

  it('__proto__ keys pollute nothing', async () => {
    const body = '{"__proto__":{"polluted":1},"resourceSpans":[{"__proto__":{"polluted":2},"scopeSpans":[{"spans":[{"__proto__":{"traceId":"ab"}}]}]}]}';
    const reply = await post(receiver.running.port, '/v1/traces', body, { 'content-type': 'application/json' });
    expect(reply.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('traceId');
  });
});
