/**
 * The shared delivery (extension-src/delivery/): the per-attempt request signer and the
 * per-request splitter, against a real local HTTP server.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { EventGroup, newTally } from '../../extension-src/delivery/backlog';
import { Delivery, outcomeOf } from '../../extension-src/delivery/delivery';
import { splitToLimits, type Payload } from '../../extension-src/delivery/payload';
import type { RetryClock } from '../../extension-src/delivery/retry';
import type { SignableRequest } from '../../extension-src/delivery/signing';
import { HttpTransport } from '../../extension-src/delivery/transport';
import { OtlpReceiver } from '../support/otlp-receiver';

const clock: RetryClock = { now: () => Date.now(), sleep: async () => undefined, random: () => 0 };

let receiver: OtlpReceiver;
let delivery: Delivery | undefined;

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  await delivery?.close(Date.now() - 1);
  delivery = undefined;
  await receiver.close();
  jest.restoreAllMocks();
});

function make(options: Partial<ConstructorParameters<typeof Delivery>[0]> = {}): Delivery {
  delivery = new Delivery({
    transport: new HttpTransport({ headers: { 'x-team': 'blue' }, compression: 'gzip' }),
    compression: 'gzip',
    timeoutMs: 2_000,
    what: 'test export',
    clock,
    ...options,
  });
  return delivery;
}

/** A JSON payload of `items` numbered records; `split` halves it. */
function numbers(items: readonly number[]): Payload {
  return {
    label: 'numbers',
    url: new URL(`${receiver.url}/numbers`),
    contentType: 'application/json',
    items: items.length,
    encode: () => JSON.stringify({ items }),
    split: () => {
      const half = Math.ceil(items.length / 2);
      return items.length < 2 ? undefined : [numbers(items.slice(0, half)), numbers(items.slice(half))];
    },
  };
}

describe('request signer', () => {
  test('called before every attempt with the bytes sent; its headers go out with that attempt', async () => {
    receiver.enqueue({ status: 503 });
    const seen: SignableRequest[] = [];
    const d = make({
      sign: (request) => {
        seen.push(request);
        return { 'x-attempt': String(seen.length), 'x-body-sha256': createHash('sha256').update(request.body).digest('hex') };
      },
    });
    const tally = newTally();
    await d.send([{ payload: numbers([1, 2, 3]), groups: [new EventGroup(3)] }], Date.now() + 10_000, tally);

    expect(outcomeOf(tally)).toEqual({ exported: 3, dropped: 0, failedAttempts: 1 });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(seen[0].url.pathname).toBe('/numbers');
    expect(receiver.requests.map((r) => r.headers['x-attempt'])).toEqual(['1', '2']);
    receiver.requests.forEach((r, i) => {
      // The signer saw the bytes on the wire (gzipped), and its headers went out with them.
      expect(seen[i].body.byteLength).toBe(r.wireBytes);
      expect(gunzipSync(seen[i].body)).toEqual(r.rawBody);
      expect(r.headers['x-body-sha256']).toBe(createHash('sha256').update(seen[i].body).digest('hex'));
      expect(r.headers['x-team']).toBe('blue');
    });
  });

  test('a signer that throws fails the attempt (retryable): the request is kept, nothing is sent', async () => {
    const d = make({ sign: () => { throw new Error('credentials expired'); }, policy: { initialBackoffMs: 1, maxBackoffMs: 1, multiplier: 1, maxElapsedMs: 10_000, maxAttempts: 2 } });
    const tally = newTally();
    await d.send([{ payload: numbers([1]), groups: [new EventGroup(1)] }], Date.now() + 10_000, tally);

    expect(outcomeOf(tally)).toEqual({ exported: 0, dropped: 0, failedAttempts: 2 });
    expect(receiver.requests).toHaveLength(0);
    expect(d.backlog.size).toBe(1);
  });
});

describe('per-request splitter', () => {
  test('payloads above the item limit are halved until they fit; the events are exported once every part is', async () => {
    const d = make({ split: splitToLimits({ maxItems: 2 }) });
    const tally = newTally();
    await d.send([{ payload: numbers([1, 2, 3, 4, 5]), groups: [new EventGroup(5)] }], Date.now() + 10_000, tally);

    expect(outcomeOf(tally)).toEqual({ exported: 5, dropped: 0 });
    expect(receiver.requests.map((r) => (r.body as { items: number[] }).items)).toEqual([[1, 2], [3], [4, 5]]);
  });

  test('payloads above the byte limit are split too', async () => {
    const d = make({ split: splitToLimits({ maxBodyBytes: 20 }) });
    const tally = newTally();
    await d.send([{ payload: numbers([100000, 200000, 300000]), groups: [new EventGroup(3)] }], Date.now() + 10_000, tally);

    expect(outcomeOf(tally)).toEqual({ exported: 3, dropped: 0 });
    for (const r of receiver.requests) expect(JSON.stringify(r.body).length).toBeLessThanOrEqual(20);
    expect(receiver.requests.flatMap((r) => (r.body as { items: number[] }).items)).toEqual([100000, 200000, 300000]);
  });

  test('one part refused for good drops the events of the whole payload, once', async () => {
    receiver.enqueue({ status: 400 });
    const d = make({ split: splitToLimits({ maxItems: 1 }) });
    const tally = newTally();
    await d.send([{ payload: numbers([1, 2]), groups: [new EventGroup(2)] }], Date.now() + 10_000, tally);

    expect(outcomeOf(tally)).toEqual({ exported: 0, dropped: 2, failedAttempts: 1 });
    expect(receiver.requests).toHaveLength(2);
  });
});

describe('closed flag', () => {
  test('after close, sends are dropped without a request', async () => {
    const d = make();
    expect(await d.close(Date.now() + 1_000)).toEqual({ exported: 0, dropped: 0 });
    const tally = newTally();
    await d.send([{ payload: numbers([1, 2]), groups: [new EventGroup(2)] }], Date.now() + 1_000, tally);

    expect(d.closed).toBe(true);
    expect(outcomeOf(tally)).toEqual({ exported: 0, dropped: 2 });
    expect(receiver.requests).toHaveLength(0);
  });
});
