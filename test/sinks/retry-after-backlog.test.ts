/**
 * `Retry-After` of a request kept in the retry backlog (issue 10, item 7): the next export's
 * first attempt of that request waits until the instant the server asked for, and that wait
 * counts against the request's own give-up time (`maxElapsedMs`) and the export's deadline. A
 * real local HTTP server answers 429 with `Retry-After: 2`; time is virtual, so nothing sleeps.
 */
import { counted } from './counted';
import { parse, raw, T0 } from './events';
import type { RetryClock, RetryPolicy } from '../../extension-src/delivery/retry';
import { HttpSink } from '../../extension-src/sinks/http-sink';
import { OtlpSink } from '../../extension-src/sinks/otlp/otlp-sink';
import type { Sink } from '../../extension-src/sinks/sink';
import { Counters } from '../../extension-src/stats/counters';
import { OtlpReceiver } from '../support/otlp-receiver';

/** Virtual time: `sleep` advances it at once and is recorded. */
class VirtualClock implements RetryClock {
  readonly sleeps: number[] = [];
  t = Date.now();
  now = () => this.t;
  random = () => 1;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

type Kind = 'otlp' | 'http';
const POLICY: RetryPolicy = { initialBackoffMs: 100, maxBackoffMs: 5_000, multiplier: 2, maxElapsedMs: 30_000, maxAttempts: 10 };

let receiver: OtlpReceiver;
const sinks: Sink[] = [];

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.shutdown(Date.now() - 1);
  await receiver.close();
  jest.restoreAllMocks();
});

function make(kind: Kind, clock: VirtualClock, retryPolicy: Partial<RetryPolicy> = {}): Sink {
  const counters = new Counters();
  const common = { headers: {}, compression: 'none' as const, timeoutMs: 2_000, resource: { 'service.name': 'svc' }, clock, retryPolicy: { ...POLICY, ...retryPolicy } };
  const sink = kind === 'otlp'
    ? new OtlpSink({ ...common, counters, endpoint: receiver.url, protocol: 'http/protobuf', selfTelemetryIntervalMs: Number.MAX_SAFE_INTEGER })
    : new HttpSink({ ...common, endpoint: `${receiver.url}/events` });
  sinks.push(sink);
  return counted(sink, counters);
}

const oneLine = () => parse([raw.functionLog(T0, 'kept')]);

/** The first export is answered 429 + Retry-After: 2 and ends (deadline) before the wait would: the request is kept. */
async function keptAfter429(kind: Kind, clock: VirtualClock, retryPolicy?: Partial<RetryPolicy>): Promise<Sink> {
  receiver.enqueue({ status: 429, headers: { 'retry-after': '2' } });
  const sink = make(kind, clock, retryPolicy);
  expect(await sink.export(oneLine(), clock.now() + 500)).toEqual({ exported: 0, dropped: 0, failedAttempts: 1 });
  expect(clock.sleeps).toEqual([]);
  expect(receiver.requests).toHaveLength(1);
  return sink;
}

describe.each<Kind>(['otlp', 'http'])('%s sink: Retry-After of a request kept for a later export', (kind) => {
  test('the next export waits what the server asked before the kept request goes again', async () => {
    const clock = new VirtualClock();
    const sink = await keptAfter429(kind, clock);
    const answeredAt = clock.now();

    expect(await sink.export([], clock.now() + 60_000)).toEqual({ exported: 1, dropped: 0 });

    expect(clock.sleeps).toEqual([2_000]);
    expect(receiver.requests).toHaveLength(2);
    expect(clock.now() - answeredAt).toBe(2_000);
  });

  test('time that passed between the exports counts: only the rest is waited', async () => {
    const clock = new VirtualClock();
    const sink = await keptAfter429(kind, clock);
    clock.t += 1_500;

    expect(await sink.export([], clock.now() + 60_000)).toEqual({ exported: 1, dropped: 0 });

    expect(clock.sleeps).toEqual([500]);
  });

  test('an export whose deadline comes before the asked instant makes no attempt; the request stays kept', async () => {
    const clock = new VirtualClock();
    const sink = await keptAfter429(kind, clock);

    expect(await sink.export([], clock.now() + 1_000)).toEqual({ exported: 0, dropped: 0 });
    expect(receiver.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);

    expect(await sink.export([], clock.now() + 60_000)).toEqual({ exported: 1, dropped: 0 });
    expect(clock.sleeps).toEqual([2_000]);
  });

  test("the wait counts against the request's own give-up time (maxElapsedMs): no attempt when it would end past it", async () => {
    const clock = new VirtualClock();
    const sink = await keptAfter429(kind, clock, { maxElapsedMs: 1_500 });

    expect(await sink.export([], clock.now() + 60_000)).toEqual({ exported: 0, dropped: 0 });

    expect(receiver.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('at shutdown, the last chance, the kept request goes at once', async () => {
    const clock = new VirtualClock();
    const sink = await keptAfter429(kind, clock);

    expect(await sink.shutdown(clock.now() + 1_000)).toEqual({ exported: 1, dropped: 0 });
    // (The OTLP sink's shutdown also sends its self-telemetry: count the requests of the kept record.)
    expect(receiver.requests.filter((r) => r.path !== '/v1/metrics')).toHaveLength(2);
  });
});
