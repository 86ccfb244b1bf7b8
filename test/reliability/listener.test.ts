/**
 * Hostile input to the telemetry listener: property-based (fast-check) over arbitrary bytes and
 * arbitrary JSON, plus the explicit cases of issue #7. The listener runs in-process on
 * 127.0.0.1 (`app.callback()`); the same hostile corpus is then thrown at the real bundled
 * extension in the emulator, whose process must survive it. That last test is also the proof of
 * "no unhandled rejection": Node (>= 15) ends a process on one, and jest hides them in-process.
 */
import * as http from 'node:http';
import { PassThrough } from 'node:stream';
import * as fc from 'fast-check';
import { startWithLayer, closeAll, extensionLines, otlpEnv, shutdownCounters } from './support/bundle-emulator';
import { HOSTILE_KEYS, TEMPLATES, hostileJson, junkEvent, validEvent, wrongTypeVariants, type ValidEvent } from './support/events';
import { freePort } from '../support/free-port';
import { Release } from './support/release';
import { bodyLimitFor, createListenerApp } from '../../extension-src/listener/app';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import { HttpSink } from '../../extension-src/sinks/http-sink';
import { OtlpSink } from '../../extension-src/sinks/otlp/otlp-sink';
import type { Sink } from '../../extension-src/sinks/sink';
import { StdoutSink } from '../../extension-src/sinks/stdout-sink';
import { Counters } from '../../extension-src/stats/counters';
import { MAX_EVENT_DEPTH } from '../../extension-src/telemetry/parse-batch';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { LIMITS } from '../../lib/config/contract';
import { request, serve, type Reply } from '../listener/http-helpers';
import { OtlpReceiver } from '../support/otlp-receiver';

/** The body limit of the default subscription (maxBytes 256 KiB): 576 KiB. */
const MAX_BODY = bodyLimitFor({ maxBytes: LIMITS.bufferingMaxBytes.default });
const RECEIVED_AT = Date.UTC(2031, 0, 1);

interface Listener {
  readonly queue: BoundedQueue<ParsedEvent>;
  readonly counters: Counters;
  readonly warnings: string[];
  readonly port: number;
  post(body: string | Buffer, path?: string): Promise<Reply>;
  close(): Promise<void>;
}

async function startListener(): Promise<Listener> {
  const queue = new BoundedQueue<ParsedEvent>({ maxItems: 1_000_000, maxBytes: 1024 * 1024 * 1024 });
  const counters = new Counters();
  const warnings: string[] = [];
  const app = createListenerApp({
    queue,
    counters,
    maxBodyBytes: MAX_BODY,
    now: () => RECEIVED_AT,
    warnings: { warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields ?? {})}`) },
  });
  const server = await serve(app.callback());
  return {
    queue,
    counters,
    warnings,
    port: server.port,
    close: server.close,
    post: (body, path = '/') => request(server.port, 'POST', path, body, { 'content-type': 'application/json' }),
  };
}

/** What changed in the counters between two snapshots. */
function delta(before: ReturnType<Counters['snapshot']>, after: ReturnType<Counters['snapshot']>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]]));
}

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Own property names of the built-in prototypes, to detect pollution. */
function prototypeShape(): string {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype]
    .map((proto) => Object.getOwnPropertyNames(proto).sort().join(',')).join('|');
}

/** Every object reachable from `value` has a built-in prototype (no `__proto__` was honoured). */
function assertPlainTree(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || typeof item !== 'object') continue;
    const proto = Object.getPrototypeOf(item);
    if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
      throw new Error(`an object with a foreign prototype: ${JSON.stringify(proto)?.slice(0, 100)}`);
    }
    stack.push(...Object.values(item));
  }
}

/** The identity of a kept event, comparable with {@link ValidEvent}. */
function keyOf(event: ParsedEvent): { type: string; time: string; key: string } {
  const record = event.record as unknown;
  let key = '';
  if ('unknown' in event) {key = '';} else if (typeof record === 'string') {key = record;} else if (!('unknown' in event) && record !== null && typeof record === 'object' && typeof (record as { requestId?: unknown }).requestId === 'string') {
    key = event.type === 'function' ? '' : (record as { requestId: string }).requestId;
  }
  return { type: event.type, time: event.time, key };
}

const PROTOTYPES_BEFORE = prototypeShape();

let listener: Listener;
beforeAll(async () => {
  listener = await startListener();
});
afterEach(() => {
  listener.queue.drain();
  expect(prototypeShape()).toBe(PROTOTYPES_BEFORE);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
afterAll(async () => {
  await listener.close();
  await closeAll();
});

describe('listener: properties', () => {
  test('arbitrary bytes: 200 exactly when the body is a JSON array, else 400; never 5xx, nothing kept from a refused body', async () => {
    const validBody = fc.array(validEvent, { maxLength: 5 }).map((events) => Buffer.from(`[${events.map((e) => e.text).join(',')}]`));
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      hostileJson.map((text) => Buffer.from(text)),
      // valid bodies with a few bytes overwritten
      fc.tuple(validBody, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }))
        .map(([body, edits]) => {
          const copy = Buffer.from(body);
          for (const [at, byte] of edits) if (copy.length > 0) copy[at % copy.length] = byte;
          return copy;
        }),
    );
    await fc.assert(fc.asyncProperty(bytes, async (body) => {
      const before = listener.counters.snapshot();
      const reply = await listener.post(body);
      const parsed = tryJson(body.toString('utf8'));
      const isArray = parsed.ok && Array.isArray(parsed.value);
      expect(reply.status).toBe(isArray ? 200 : 400);
      if (!isArray) {
        expect(listener.queue.size).toBe(0);
        expect(delta(before, listener.counters.snapshot())).toMatchObject({ received: 0, invalid: 0 });
        expect(reply.body).toMatch(/not valid JSON|expected a JSON array/);
      }
      listener.queue.drain();
    }), { numRuns: 250 });
  });

  test('arbitrary JSON (hostile keys included): arrays are taken item by item, anything else is 400; no prototype is polluted', async () => {
    const body = fc.oneof(hostileJson, fc.array(hostileJson, { maxLength: 8 }).map((items) => `[${items.join(',')}]`));
    await fc.assert(fc.asyncProperty(body, async (text) => {
      const before = listener.counters.snapshot();
      const reply = await listener.post(text);
      const value = JSON.parse(text) as unknown;
      if (!Array.isArray(value)) {
        expect(reply.status).toBe(400);
        expect(reply.body).toMatch(/^expected a JSON array of events, got /);
        return;
      }
      expect(reply.status).toBe(200);
      const kept = listener.queue.drain();
      const d = delta(before, listener.counters.snapshot());
      expect(d.received).toBe(value.length);
      expect(kept.length + d.invalid).toBe(value.length);
      for (const event of kept) assertPlainTree(event);
      expect(prototypeShape()).toBe(PROTOTYPES_BEFORE);
    }), { numRuns: 250 });
  });

  test('a mixed batch keeps every valid event, in order, and counts every invalid one', async () => {
    const item = fc.oneof(validEvent.map((valid) => ({ valid })), junkEvent.map((junk) => ({ junk })));
    await fc.assert(fc.asyncProperty(fc.array(item, { maxLength: 25 }), async (items) => {
      const before = listener.counters.snapshot();
      const reply = await listener.post(`[${items.map((i) => ('valid' in i ? i.valid.text : i.junk)).join(',')}]`);
      expect(reply.status).toBe(200);
      const valid = items.flatMap((i) => ('valid' in i ? [i.valid] : [])) as ValidEvent[];
      const kept = listener.queue.drain();
      expect(kept.map(keyOf)).toEqual(valid.map(({ type, time, key }) => ({ type, time, key })));
      expect(delta(before, listener.counters.snapshot())).toMatchObject({
        received: items.length,
        invalid: items.length - valid.length,
        unknown: valid.filter((v) => v.type.startsWith('platform.future.')).length,
      });
      for (const event of kept) assertPlainTree(event);
    }), { numRuns: 200 });
  });
});

describe('listener: explicit cases', () => {
  test.each([
    ['not JSON', '[{"time":', /^body is not valid JSON: /],
    ['an object', '{"type":"platform.start"}', /^expected a JSON array of events, got an object$/],
    ['a string', '"[]"', /^expected a JSON array of events, got string$/],
    ['null', 'null', /^expected a JSON array of events, got null$/],
    ['empty', '', /^body is not valid JSON: /],
    ['a bare invalid UTF-8 byte', Buffer.from([0x5b, 0xff, 0x5d]), /^body is not valid JSON: /],
  ])('%s: 400 with a clear message, nothing kept', async (_name, body, message) => {
    const reply = await listener.post(body);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(message);
    expect(listener.queue.size).toBe(0);
  });

  test('an empty array: 200, nothing kept', async () => {
    expect((await listener.post('[]')).status).toBe(200);
    expect(listener.queue.size).toBe(0);
  });

  test.each([
    ['with content-length', false],
    ['chunked, without content-length', true],
  ])('a 10 MB body, %s: refused (413) before it is read whole; the listener keeps serving', async (_name, chunked) => {
    const outcome = await postLarge(listener.port, 10 * 1024 * 1024, chunked);
    expect(outcome.status ?? 413).toBe(413);
    expect(outcome.bytesAccepted).toBeLessThan(MAX_BODY + 4 * 1024 * 1024);
    expect(listener.queue.size).toBe(0);
    expect((await listener.post(JSON.stringify([TEMPLATES[3]]))).status).toBe(200);
    expect(listener.queue.drain()).toHaveLength(1);
  });

  test('a deeply nested record (the whole body limit of nesting) is refused as an invalid event; its neighbours are kept', async () => {
    const depth = 100_000;
    const deep = `{"time":"2030-01-01T00:00:00Z","type":"function","record":{"timestamp":"t","level":"INFO","message":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const before = listener.counters.snapshot();
    const reply = await listener.post(`[${JSON.stringify(TEMPLATES[3])},${deep},${JSON.stringify(TEMPLATES[4])}]`);
    expect(reply.status).toBe(200);
    expect(listener.queue.drain().map((e) => e.type)).toEqual(['platform.start', 'platform.runtimeDone']);
    expect(delta(before, listener.counters.snapshot())).toMatchObject({ received: 3, invalid: 1 });
    expect(listener.warnings.at(-1)).toMatch(/nested deeper than/);
  });

  test(`nesting up to ${MAX_EVENT_DEPTH} levels (the event included) is fine, one more is invalid`, async () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const event = (levels: number) => `{"time":"2030-01-01T00:00:00Z","type":"function","record":{"timestamp":"t","level":"INFO","message":${nested(levels)}}}`;
    const before = listener.counters.snapshot();
    // event (1) > record (2) > message array (3 ...)
    expect((await listener.post(`[${event(MAX_EVENT_DEPTH - 2)},${event(MAX_EVENT_DEPTH - 1)}]`)).status).toBe(200);
    expect(listener.queue.drain()).toHaveLength(1);
    expect(delta(before, listener.counters.snapshot())).toMatchObject({ received: 2, invalid: 1 });
  });

  test('very long strings are kept whole; a warning about a bad field never prints them', async () => {
    const long = 'x'.repeat(250_000);
    const wrong = { ...TEMPLATES[4], record: { requestId: 'r', status: 'success', metrics: { durationMs: long } } };
    const reply = await listener.post(JSON.stringify([{ time: '2030-01-01T00:00:00Z', type: 'function', record: long }, wrong]));
    expect(reply.status).toBe(200);
    expect(listener.queue.drain().map((e) => e.record)).toEqual([long]);
    const warning = listener.warnings.at(-1) as string;
    expect(warning).toMatch(/invalid telemetry events dropped/);
    expect(warning.length).toBeLessThan(1_000);
  });

  test('invalid UTF-8 inside a string is replaced (U+FFFD), the event kept', async () => {
    const body = Buffer.concat([Buffer.from('[{"time":"2030-01-01T00:00:00Z","type":"function","record":"a'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('b"}]')]);
    const reply = await listener.post(body);
    expect(reply.status).toBe(200);
    expect(listener.queue.drain().map((e) => e.record)).toEqual(['a\uFFFD(\uFFFDb']);
  });

  test.each(HOSTILE_KEYS.map((key) => [key]))('key %s at every level: no prototype pollution, the event kept', async (key) => {
    const hostile = `{${JSON.stringify(key)}:{"polluted":true,"requestId":"evil","type":"platform.start"}}`;
    const body = `[{"time":"2030-01-01T00:00:00Z","type":"platform.start",${JSON.stringify(key)}:{"polluted":1},"record":{"requestId":"r1",${JSON.stringify(key)}:${hostile}}},`
      + `{"time":"2030-01-01T00:00:00Z","type":"function","record":{"timestamp":"t","level":"INFO","message":${hostile},${JSON.stringify(key)}:${hostile}}},`
      + `{"time":"2030-01-01T00:00:00Z","type":"platform.someday","record":${hostile}},`
      + `${hostile}]`;
    const before = listener.counters.snapshot();
    const reply = await listener.post(body);
    expect(reply.status).toBe(200);
    const kept = listener.queue.drain();
    expect(kept.map((e) => e.type)).toEqual(['platform.start', 'function', 'platform.someday']);
    expect((kept[0].record as { requestId: string }).requestId).toBe('r1');
    for (const event of kept) assertPlainTree(event);
    expect(delta(before, listener.counters.snapshot())).toMatchObject({ received: 4, invalid: 1, unknown: 1 });
    expect(prototypeShape()).toBe(PROTOTYPES_BEFORE);
  });

  test('a wrong type in any field of any known event makes that event invalid, never its neighbours', async () => {
    const variants = wrongTypeVariants();
    expect(variants.length).toBeGreaterThan(80);
    const good = JSON.stringify(TEMPLATES[3]);
    for (const [label, event] of variants) {
      const before = listener.counters.snapshot();
      const reply = await listener.post(`[${good},${JSON.stringify(event)},${good}]`);
      expect({ label, status: reply.status }).toEqual({ label, status: 200 });
      expect({ label, kept: listener.queue.drain().length }).toEqual({ label, kept: 2 });
      expect({ label, invalid: delta(before, listener.counters.snapshot()).invalid }).toEqual({ label, invalid: 1 });
    }
  });

  test('every template is valid as it is (the wrong-type cases above start from valid events)', async () => {
    const reply = await listener.post(JSON.stringify(TEMPLATES));
    expect(reply.status).toBe(200);
    expect(listener.queue.drain().map((e) => e.type)).toEqual(TEMPLATES.map((t) => t.type));
  });

  test('unknown event types are kept raw and counted as unknown', async () => {
    const before = listener.counters.snapshot();
    await listener.post('[{"time":"2030-01-01T00:00:00Z","type":"platform.quantum","record":{"x":[1,2]}},{"time":"x","type":"","record":null}]');
    expect(listener.queue.drain().map((e) => [e.type, e.record])).toEqual([['platform.quantum', { x: [1, 2] }], ['', null]]);
    expect(delta(before, listener.counters.snapshot())).toMatchObject({ received: 2, unknown: 2, invalid: 0 });
  });

  test('duplicate events (Lambda resends a batch) are both kept: the listener has no id to deduplicate on', async () => {
    const batch = JSON.stringify([TEMPLATES[3], TEMPLATES[3]]);
    expect((await listener.post(batch)).status).toBe(200);
    expect((await listener.post(batch)).status).toBe(200);
    expect(listener.queue.drain()).toHaveLength(4);
  });

  test.each(['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD'])('%s on / is 405 (Allow: POST), nothing kept', async (method) => {
    const body = method === 'GET' || method === 'HEAD' ? undefined : '[]';
    const reply = await request(listener.port, method, '/', body, body ? { 'content-length': body.length } : {});
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(listener.queue.size).toBe(0);
  });

  test('OPTIONS on / answers which method is allowed, nothing kept', async () => {
    const reply = await request(listener.port, 'OPTIONS', '/', undefined);
    expect(reply.status).toBe(200);
    expect(reply.headers.allow).toBe('POST');
    expect(listener.queue.size).toBe(0);
  });

  // `//` is `/` with a trailing slash, which the router tolerates (Lambda always posts to `/`).
  test.each(['/v1/logs', '/foo', '/%2e%2e/', '/..%2f', '/x', '/x/..'])('POST %s is 404, nothing kept', async (path) => {
    const reply = await listener.post(JSON.stringify([TEMPLATES[3]]), path);
    expect(reply.status).toBe(404);
    expect(listener.queue.size).toBe(0);
  });
});

describe('hostile events through every sink', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });

  function sinks(counters: Counters): Sink[] {
    const common = { headers: {}, compression: 'none' as const, timeoutMs: 5_000, resource: { 'service.name': 'svc' }, counters };
    return [
      new OtlpSink({ ...common, endpoint: receiver.url, protocol: 'http/protobuf' }),
      new OtlpSink({ ...common, endpoint: receiver.url, protocol: 'http/json' }),
      new HttpSink({ ...common, endpoint: `${receiver.url}/events` }),
      new StdoutSink({ counters, output: new PassThrough({ highWaterMark: 2 ** 30 }) }),
    ];
  }

  test('whatever the listener keeps, every sink delivers: nothing throws, nothing is dropped, the receiver can decode it all', async () => {
    const item = fc.oneof(validEvent.map((v) => v.text), junkEvent);
    await fc.assert(fc.asyncProperty(fc.array(item, { maxLength: 20 }), async (items) => {
      const reply = await listener.post(`[${items.join(',')}]`);
      expect(reply.status).toBe(200);
      const kept = listener.queue.drain();
      const counters = new Counters();
      for (const sink of sinks(counters)) {
        const outcome = await sink.export(kept, Date.now() + 10_000);
        expect({ sink: sink.name, ...outcome }).toEqual({ sink: sink.name, exported: kept.length, dropped: 0 });
        await sink.shutdown(Date.now() + 1_000);
      }
      expect(counters.dropped).toBe(0);
      expect(receiver.requests.filter((r) => r.decodeError !== undefined)).toEqual([]);
    }), { numRuns: 25 });
  });
});

describe('the real extension process under hostile input', () => {
  test('survives the corpus (no crash, no unhandled rejection), then exports a normal invocation and exits 0', async () => {
    const receiver = await OtlpReceiver.start();
    const hold = await Release.start();
    try {
      const port = await freePort();
      const emu = await startWithLayer({ handler: 'handlers.hold', timeoutMs: 30_000, env: otlpEnv(receiver.url, port) });
      // The environment is thawed only during an invocation: attack while the handler holds it.
      const invocation = emu.invoke({ releasePort: hold.port });
      await hold.held();
      const corpus: Array<string | Buffer> = [
        '', '[', 'null', '{}', '[]', '"x"', Buffer.from([0xff, 0xfe]), `[${'['.repeat(50_000)}${']'.repeat(50_000)}]`,
        `[{"time":"2030-01-01T00:00:00Z","type":"function","record":{"timestamp":"t","level":"I","message":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}]`,
        ...HOSTILE_KEYS.map((key) => `[{"time":"2030-01-01T00:00:00Z","type":"platform.start","record":{"requestId":"r",${JSON.stringify(key)}:{"polluted":1}}},{${JSON.stringify(key)}:1}]`),
        JSON.stringify(wrongTypeVariants().map(([, e]) => e)),
        ...fc.sample(fc.array(fc.oneof(validEvent.map((v) => v.text), junkEvent), { maxLength: 10 }), { numRuns: 60, seed: 7 }).map((items) => `[${items.join(',')}]`),
        ...fc.sample(fc.uint8Array({ maxLength: 200 }), { numRuns: 30, seed: 7 }).map((b) => Buffer.from(b)),
      ];
      const statuses = new Set<number>();
      for (const body of corpus) statuses.add((await request(port, 'POST', '/', body)).status);
      const large = await postLarge(port, 10 * 1024 * 1024, true);
      expect(large.status ?? 413).toBe(413);
      for (const method of ['GET', 'PUT', 'DELETE']) statuses.add((await request(port, method, '/x')).status);
      expect([...statuses].filter((s) => s >= 500)).toEqual([]);

      hold.release();
      const result = await invocation;
      expect(result.status).toBe('success');
      await emu.invoke({});
      const shutdown = await emu.shutdown();
      expect(shutdown.extensions[0]).toMatchObject({ exitCode: 0, signal: null });
      const lines = extensionLines(emu);
      expect(lines.filter((l) => /Unhandled|TypeError|RangeError|at .*\(.*:\d+:\d+\)/.test(l))).toEqual([]);
      expect(emu.extensionErrors).toEqual([]);
      const counters = shutdownCounters(emu);
      expect(counters.invalid).toBeGreaterThan(0);
      expect(counters.dropped).toBe(0);
      expect(receiver.spans().filter((s) => s.attributes['faas.invocation_id'] === result.requestId)).toHaveLength(1);
    } finally {
      await hold.close();
      await receiver.close();
    }
  });
});

/**
 * POST `size` bytes of a JSON array in 64 KiB writes, stopping as soon as an answer comes.
 * Resolves with the status, or without one when the server reset the connection first (it stops
 * reading a body over its limit: the reset may overtake the 413); `bytesAccepted` is how much the
 * socket had taken by then.
 */
function postLarge(port: number, size: number, chunked: boolean): Promise<{ status?: number; bytesAccepted: number }> {
  return new Promise((resolve, reject) => {
    let done = false;
    let sent = 0;
    const finish = (status?: number) => {
      if (done) return;
      done = true;
      resolve({ status, bytesAccepted: sent });
      req.destroy();
    };
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (!chunked) headers['content-length'] = size;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      res.resume();
      finish(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') finish(undefined);
      else if (!done) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, ' ');
    chunk[0] = 0x5b; // '[': never a complete JSON value
    const write = () => {
      while (!done && sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      if (!done) req.end();
    };
    write();
  });
}
