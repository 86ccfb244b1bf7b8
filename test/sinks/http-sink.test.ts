import { counted } from './counted';
import { fixture, parse, raw, T0 } from './events';
import type { RetryClock } from '../../extension-src/delivery/retry';
import { HttpSink, type HttpSinkOptions } from '../../extension-src/sinks/http-sink';
import { Counters } from '../../extension-src/stats/counters';
import { OtlpReceiver } from '../support/otlp-receiver';

class SkipSleepClock implements RetryClock {
  readonly sleeps: number[] = [];
  now = () => Date.now();
  random = () => 0.5;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
  };
}

const resource = { 'service.name': 'orders', 'cloud.provider': 'aws', 'faas.max_memory': 536870912 };

describe('HttpSink', () => {
  let receiver: OtlpReceiver;
  let sink: HttpSink;
  let counters: Counters;
  let clock: SkipSleepClock;

  function make(overrides: Partial<HttpSinkOptions> = {}): HttpSink {
    sink = counted(new HttpSink({
      endpoint: `${receiver.url}/ingest/telemetry`,
      headers: { authorization: 'Bearer t0ken' },
      compression: 'gzip',
      timeoutMs: 2000,
      resource,
      clock,
      ...overrides,
    }), counters);
    return sink;
  }

  beforeEach(async () => {
    receiver = await OtlpReceiver.start();
    counters = new Counters();
    clock = new SkipSleepClock();
  });

  afterEach(async () => {
    await sink?.shutdown(Date.now());
    await receiver.close();
  });

  test('POSTs {resource, events} as gzipped JSON; unknown events raw', async () => {
    make();
    const events = [...fixture('02-rust-runtime-invoke-success.json'), ...parse([raw.unknown(T0)])];
    expect(await sink.export(events, Date.now() + 10_000)).toEqual({ exported: 4, dropped: 0 });
    const [req] = receiver.requests;
    expect(req.path).toBe('/ingest/telemetry');
    expect(req.contentType).toBe('application/json');
    expect(req.contentEncoding).toBe('gzip');
    expect(req.headers.authorization).toBe('Bearer t0ken');
    const body = req.body as { resource: unknown; events: Array<Record<string, unknown>> };
    expect(body.resource).toEqual(resource);
    expect(body.events.map((e) => e.type)).toEqual(['platform.start', 'platform.runtimeDone', 'platform.report', 'platform.future']);
    expect(body.events[0]).toMatchObject({ time: '2022-10-21T14:05:03.165Z', timeMs: Date.parse('2022-10-21T14:05:03.165Z'), record: { requestId: '459921b5-681c-4a96-beb0-81e0aa586026' } });
    expect(body.events[3]).toEqual({ type: 'platform.future', time: new Date(T0).toISOString(), timeMs: T0, record: { anything: [1, 2] }, unknown: true });
  });

  test('compression none', async () => {
    make({ compression: 'none' });
    await sink.export(fixture('09-rust-runtime-text-log-records.json'), Date.now() + 10_000);
    expect(receiver.requests[0].contentEncoding).toBe('identity');
    expect((await receiver.waitForJson(1))[0]).toMatchObject({ events: [{ type: 'function', record: 'hello world' }, {}, {}, {}] });
  });

  test('503 then success, with Retry-After honoured', async () => {
    make();
    receiver.enqueue({ status: 503, headers: { 'retry-after': '2' } });
    expect(await sink.export(fixture('01-rust-runtime-cold-start-init-events.json'), Date.now() + 10_000)).toEqual({ exported: 5, dropped: 0, failedAttempts: 1 });
    expect(clock.sleeps).toEqual([2000]);
    expect(counters.failedExports).toBe(1);
    expect(receiver.jsonBodies()).toHaveLength(1);
  });

  test.each([400, 401, 403, 413])('%i is not retried; the batch is dropped and counted', async (status) => {
    make();
    receiver.enqueue({ status });
    expect(await sink.export(fixture('01-rust-runtime-cold-start-init-events.json'), Date.now() + 10_000)).toEqual({ exported: 0, dropped: 5, failedAttempts: 1 });
    expect(receiver.requests).toHaveLength(1);
    expect(counters.dropped).toBe(5);
  });

  test('large hand-overs are split; each request stands alone', async () => {
    make({ maxEventsPerRequest: 2 });
    receiver.enqueue({ status: 400 });
    const events = fixture('01-rust-runtime-cold-start-init-events.json');
    expect(await sink.export(events, Date.now() + 10_000)).toEqual({ exported: 3, dropped: 2, failedAttempts: 1 });
    expect(receiver.requests.map((r) => (r.body as { events: unknown[] }).events.length)).toEqual([2, 2, 1]);
  });

  test('deadline already passed: nothing sent, all kept; the next export sends them', async () => {
    make();
    expect(await sink.export(fixture('01-rust-runtime-cold-start-init-events.json'), Date.now() - 1)).toEqual({ exported: 0, dropped: 0 });
    expect(receiver.requests).toHaveLength(0);
    expect(await sink.export([], Date.now() + 10_000)).toEqual({ exported: 5, dropped: 0 });
    expect(receiver.requests).toHaveLength(1);
  });

  test('per-request timeout against a hanging server', async () => {
    make({ timeoutMs: 50, retryPolicy: { initialBackoffMs: 1, maxBackoffMs: 1, multiplier: 1, maxElapsedMs: 10_000, maxAttempts: 2 } });
    receiver.enqueue({ hang: true }, { hang: true });
    expect(await sink.export(parse([raw.functionLog(T0, 'x')]), Date.now() + 10_000)).toEqual({ exported: 0, dropped: 0, failedAttempts: 2 });
    expect(counters.failedExports).toBe(2);
    expect(await sink.shutdown(Date.now() - 1)).toEqual({ exported: 0, dropped: 1 });
    expect(counters.dropped).toBe(1);
  });

  test('after shutdown, exports are dropped', async () => {
    make();
    await sink.shutdown(Date.now() + 1000);
    expect(await sink.export(parse([raw.functionLog(T0, 'x')]), Date.now() + 1000)).toEqual({ exported: 0, dropped: 1 });
  });

  test('non-HTTP endpoints are refused at construction', () => {
    expect(() => new HttpSink({ endpoint: 'file:///etc/passwd', headers: {}, compression: 'none', timeoutMs: 1, resource })).toThrow('HTTP sink endpoint must be http(s), got file:');
  });
});
