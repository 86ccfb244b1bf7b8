/**
 * Sink faults: the real OTLP and HTTP sinks in-process against the local receiver (behind a
 * fault proxy when the test needs an outage that ends), with a controllable clock for the backoff
 * maths. Connection refused, DNS failure, TLS error, slow and never-ending responses, 5xx, 429
 * with Retry-After, permanent 4xx; outages shorter and longer than what the sink can hold.
 */
import { FaultProxy } from './support/fault-proxy';
import type { BacklogLimits } from '../../extension-src/delivery/backlog';
import type { RetryPolicy } from '../../extension-src/delivery/retry';
import { HttpSink } from '../../extension-src/sinks/http-sink';
import { OtlpSink } from '../../extension-src/sinks/otlp/otlp-sink';
import type { ExportOutcome } from '../../extension-src/sinks/sink';
import { Counters } from '../../extension-src/stats/counters';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { counted } from '../sinks/counted';
import { parse, raw, T0 } from '../sinks/events';
import { FakeClock } from '../support/fake-clock';
import { freePort } from '../support/free-port';
import { startHttpServer, type LocalServer } from '../support/http-server';
import { OtlpReceiver } from '../support/otlp-receiver';

/** Virtual time: `sleep` advances it at once and is recorded; `random` is fixed (full jitter). */
const virtualClock = (advanceOnSleep?: (ms: number) => number) => new FakeClock({ random: 1, advanceOnSleep });

type Kind = 'otlp' | 'http';
type TestSink = OtlpSink | HttpSink;

const DEFAULT_RETRY: RetryPolicy = { initialBackoffMs: 100, maxBackoffMs: 5_000, multiplier: 2, maxElapsedMs: 30_000, maxAttempts: 10 };

interface Made {
  readonly sink: TestSink;
  readonly counters: Counters;
  readonly clock: FakeClock;
}

const made: TestSink[] = [];

function makeSink(kind: Kind, baseUrl: string, options: {
  clock?: FakeClock; timeoutMs?: number; retryPolicy?: Partial<RetryPolicy>; backlogLimits?: Partial<BacklogLimits>;
} = {}): Made {
  const counters = new Counters();
  const clock = options.clock ?? virtualClock();
  const common = {
    headers: {},
    compression: 'gzip' as const,
    timeoutMs: options.timeoutMs ?? 2_000,
    resource: { 'service.name': 'svc' },
    counters,
    clock,
    retryPolicy: { ...DEFAULT_RETRY, ...options.retryPolicy },
    backlogLimits: options.backlogLimits,
  };
  const sink = counted(kind === 'otlp'
    ? new OtlpSink({ ...common, endpoint: baseUrl, protocol: 'http/protobuf', selfTelemetryIntervalMs: Number.MAX_SAFE_INTEGER })
    : new HttpSink({ ...common, endpoint: `${baseUrl}/events` }), counters);
  made.push(sink);
  return { sink, counters, clock };
}

/** `n` function log lines `<tag> <i>`: each is one event with one record (OTLP: one log record). */
function lines(tag: string, n: number): ParsedEvent[] {
  return parse(Array.from({ length: n }, (_, i) => raw.functionLog(T0 + i, `${tag} ${i}`)));
}

/** Log lines the receiver accepted, in arrival order (duplicates kept). */
function deliveredLines(kind: Kind, receiver: OtlpReceiver): string[] {
  if (kind === 'otlp') return receiver.logs().map((l) => String(l.body));
  return receiver.jsonBodies().flatMap((b) => (b as { events: Array<{ record: string }> }).events.map((e) => e.record));
}

/** First occurrences, in order. */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

let stderr: string[];
let receiver: OtlpReceiver;
const proxies: FaultProxy[] = [];
const servers: LocalServer[] = [];

beforeEach(async () => {
  stderr = [];
  const write = process.stderr.write.bind(process.stderr);
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr.push(String(chunk));
    return typeof rest[0] === 'function' ? write(chunk, rest[0] as () => void) : true;
  });
  receiver = await OtlpReceiver.start();
});

afterEach(async () => {
  for (const sink of made.splice(0)) await sink.shutdown(Date.now() - 1);
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const server of servers.splice(0)) await server.close();
  await receiver.close();
  jest.restoreAllMocks();
});

/** A proxy in front of the receiver that answers `fault` while `down` is true. */
async function switchable(fault: { status: number; headers?: Record<string, string> } | { destroy: true }) {
  const state = { down: true };
  const proxy = await FaultProxy.start(receiver.port, () => (state.down ? fault : undefined));
  proxies.push(proxy);
  return { proxy, state };
}

const FULL_JITTER_CAPS = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000];

describe.each<Kind>(['otlp', 'http'])('%s sink', (kind) => {
  test('connection refused: 10 attempts with capped exponential backoff, then kept (not dropped); dropped and counted only at shutdown', async () => {
    const { sink, counters, clock } = makeSink(kind, `http://127.0.0.1:${await freePort()}`);

    const first = await sink.export(lines('a', 3), clock.now() + 60_000);

    expect(first).toEqual({ exported: 0, dropped: 0, failedAttempts: 10 });
    expect(clock.sleeps).toEqual(FULL_JITTER_CAPS);
    expect(counters.failedExports).toBe(10);
    expect(sink.backlog.size).toBe(1);
    expect(stderr.join('')).toMatch(/failed; kept for retry .*reason=exhausted error="connect ECONNREFUSED/);

    // The next export retries the oldest request only: the new one joins the backlog untried.
    const second = await sink.export(lines('b', 2), clock.now() + 60_000);
    expect(second).toEqual({ exported: 0, dropped: 0, failedAttempts: 10 });
    expect(counters.failedExports).toBe(20);
    expect(sink.backlog.size).toBe(2);

    const last = await sink.shutdown(clock.now() + 1_000);
    expect(last).toEqual({ exported: 0, dropped: 5, failedAttempts: 4 });
    expect(counters.dropped).toBe(5);
    expect(stderr.join('')).toMatch(/gave up on requests kept for retry requests=\d events=5/);
  });

  test('DNS failure (a name under .invalid): a connection error, retried and kept like any other', async () => {
    const { sink, counters } = makeSink(kind, 'http://collector.invalid:4318', { retryPolicy: { maxAttempts: 2 } });

    expect(await sink.export(lines('a', 2), Date.now() + 60_000)).toEqual({ exported: 0, dropped: 0, failedAttempts: 2 });

    expect(counters.failedExports).toBe(2);
    expect(sink.backlog.size).toBe(1);
    expect(stderr.join('')).toMatch(/kept for retry .*error="getaddrinfo (ENOTFOUND|EAI_AGAIN) collector.invalid"/);
  });

  test('TLS error (https:// to a plain-HTTP port): retried and kept', async () => {
    const { sink, counters } = makeSink(kind, `https://127.0.0.1:${receiver.port}`, { retryPolicy: { maxAttempts: 2 } });

    expect(await sink.export(lines('a', 2), Date.now() + 60_000)).toEqual({ exported: 0, dropped: 0, failedAttempts: 2 });

    expect(counters.failedExports).toBe(2);
    expect(sink.backlog.size).toBe(1);
    expect(stderr.join('')).toMatch(/kept for retry .*error=".*(EPROTO|wrong version number)/);
  });

  test('a response slower than the timeout: that attempt is abandoned, the retry delivers', async () => {
    receiver.enqueue({ delayMs: 2_000 });
    const { sink, counters, clock } = makeSink(kind, receiver.url, { timeoutMs: 150 });

    expect(await sink.export(lines('a', 2), Date.now() + 60_000)).toEqual({ exported: 2, dropped: 0, failedAttempts: 1 });

    expect(counters.failedExports).toBe(1);
    expect(clock.sleeps).toEqual([100]);
    expect(unique(deliveredLines(kind, receiver))).toEqual(['a 0', 'a 1']);
    expect(stderr.join('')).not.toMatch(/kept for retry|dropped/);
  });

  test('a response that never ends (headers, part of the body, then nothing): timed out, retried, delivered', async () => {
    let requests = 0;
    const server = await startHttpServer((req, res) => {
      requests++;
      req.resume();
      if (requests === 1) {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      }
    });
    servers.push(server);
    const { sink, counters } = makeSink(kind, server.url, { timeoutMs: 150 });

    expect(await sink.export(lines('a', 2), Date.now() + 60_000)).toEqual({ exported: 2, dropped: 0, failedAttempts: 1 });

    expect(requests).toBe(2);
    expect(counters.failedExports).toBe(1);
  });

  test.each([500, 502, 503])('%i: retried after a backoff, then delivered', async (status) => {
    receiver.enqueue({ status }, { status });
    const { sink, counters, clock } = makeSink(kind, receiver.url);

    expect(await sink.export(lines('a', 2), Date.now() + 60_000)).toEqual({ exported: 2, dropped: 0, failedAttempts: 2 });

    expect(clock.sleeps).toEqual([100, 200]);
    expect(counters.failedExports).toBe(2);
    expect(deliveredLines(kind, receiver)).toEqual(['a 0', 'a 1']);
  });

  test('429 with Retry-After (seconds, then an HTTP date): waits what the server asked, not the backoff', async () => {
    const clock = virtualClock();
    receiver.enqueue(
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': new Date(clock.now() + 7_000 + 3_000).toUTCString() } },
    );
    const { sink } = makeSink(kind, receiver.url, { clock });

    expect(await sink.export(lines('a', 1), clock.now() + 60_000)).toEqual({ exported: 1, dropped: 0, failedAttempts: 2 });

    expect(clock.sleeps[0]).toBe(7_000);
    expect(clock.sleeps[1]).toBeGreaterThan(2_000);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(3_000);
  });

  test.each([400, 413])('%i is permanent: one request, no retry, dropped and counted at once, never sent again', async (status) => {
    receiver.enqueue({ status });
    const { sink, counters, clock } = makeSink(kind, receiver.url);

    expect(await sink.export(lines('a', 3), clock.now() + 60_000)).toEqual({ exported: 0, dropped: 3, failedAttempts: 1 });
    expect(receiver.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(counters.dropped).toBe(3);
    expect(stderr.join('')).toMatch(new RegExp(`failed; dropped .*reason=permanent error="HTTP ${status}"`));

    expect(await sink.export(lines('b', 1), clock.now() + 60_000)).toEqual({ exported: 1, dropped: 0 });
    expect(receiver.requests).toHaveLength(2);
    expect(sink.backlog.size).toBe(0);
  });

  test('an outage the backlog can hold loses nothing: everything arrives after it, oldest first', async () => {
    const { proxy, state } = await switchable({ status: 503 });
    const { sink, counters } = makeSink(kind, proxy.url, { retryPolicy: { maxAttempts: 3 } });
    const outcomes: ExportOutcome[] = [];

    for (let i = 0; i < 6; i++) outcomes.push(await sink.export(lines(`during${i}`, 3), Date.now() + 60_000));
    const duringOutage = proxy.requests.length;
    state.down = false;
    outcomes.push(await sink.export(lines('after', 3), Date.now() + 60_000));

    expect(outcomes.slice(0, 6)).toEqual(Array(6).fill({ exported: 0, dropped: 0, failedAttempts: 3 }));
    expect(outcomes[6]).toEqual({ exported: 21, dropped: 0 });
    // No storm: one request chain (3 attempts) per export, whatever the backlog holds.
    expect(duringOutage).toBe(6 * 3);
    expect(counters.dropped).toBe(0);
    const expected = [...Array.from({ length: 6 }, (_, i) => [0, 1, 2].map((j) => `during${i} ${j}`)).flat(), 'after 0', 'after 1', 'after 2'];
    expect(unique(deliveredLines(kind, receiver))).toEqual(expected);
  });

  test('an outage beyond the backlog: memory stays bounded, the oldest are dropped, every dropped event is counted and reported', async () => {
    const { proxy, state } = await switchable({ destroy: true });
    const maxBytes = 64 * 1024;
    const { sink, counters } = makeSink(kind, proxy.url, { retryPolicy: { maxAttempts: 2 }, backlogLimits: { maxRequests: 4, maxBytes } });

    let settled = { exported: 0, dropped: 0 };
    const add = (o: ExportOutcome) => {
      settled = { exported: settled.exported + o.exported, dropped: settled.dropped + o.dropped };
    };
    for (let i = 0; i < 12; i++) {
      add(await sink.export(lines(`during${i}`, 3), Date.now() + 60_000));
      expect(sink.backlog.size).toBeLessThanOrEqual(4);
      expect(sink.backlog.bytes).toBeLessThanOrEqual(maxBytes);
    }
    state.down = false;
    add(await sink.export([], Date.now() + 60_000));
    add(await sink.shutdown(Date.now() + 60_000));

    expect(settled).toEqual({ exported: 12, dropped: 24 });
    expect(counters.dropped).toBe(24);
    expect(stderr.join('')).toMatch(/retry backlog full; oldest requests dropped requests=1 events=3 maxRequests=4/);
    // The newest survived.
    expect(unique(deliveredLines(kind, receiver))).toEqual([8, 9, 10, 11].flatMap((i) => [0, 1, 2].map((j) => `during${i} ${j}`)));
    if (kind === 'otlp') {
      // Reported to the collector too: the self-telemetry sent at shutdown.
      const droppedMetric = receiver.metrics().filter((m) => m.name === 'telemetry_extension.events.dropped').at(-1);
      expect(droppedMetric?.dataPoints[0].value).toBe(24);
    }
  });

  test('time frozen in the middle of the retries (the clock jumps past the deadline): the request is kept, then delivered', async () => {
    receiver.enqueue({ status: 503 });
    // Each backoff sleep "takes" 10 minutes, as if the environment was frozen during it.
    const clock = virtualClock(() => 600_000);
    const { sink } = makeSink(kind, receiver.url, { clock });

    expect(await sink.export(lines('a', 2), clock.now() + 60_000)).toEqual({ exported: 0, dropped: 0, failedAttempts: 1 });
    expect(sink.backlog.size).toBe(1);

    expect(await sink.export([], clock.now() + 60_000)).toEqual({ exported: 2, dropped: 0 });
    expect(deliveredLines(kind, receiver)).toEqual(['a 0', 'a 1']);
  });
});
