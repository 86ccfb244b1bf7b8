import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Notifier } from '../emulator/notifier';
import type { TelemetryEvent } from '../emulator/platform-events';
import {
  DELIVERY_FAILED_REASON, OVERFLOW_REASON, TelemetryDispatcher, type DispatcherOptions,
} from '../emulator/telemetry-dispatcher';

interface Received {
  readonly events: TelemetryEvent[];
  readonly at: number;
}

/** A listener on 127.0.0.1 that answers with `statuses` in turn (last repeats), or holds answers. */
class Listener {
  public readonly received: Received[] = [];
  public statuses: number[] = [200];
  public hold = false;
  public concurrent = 0;
  public maxConcurrent = 0;
  private readonly held: (() => void)[] = [];
  private readonly server = http.createServer((req, res) => {
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({ events: JSON.parse(Buffer.concat(chunks).toString('utf8')), at: Date.now() });
      const answer = (): void => {
        this.concurrent -= 1;
        const status = this.statuses.length > 1 ? this.statuses.shift() as number : this.statuses[0];
        res.writeHead(status).end();
      };
      if (this.hold) this.held.push(answer);
      else answer();
      this.notifier.notify();
    });
  });

  public constructor(private readonly notifier: Notifier) {}

  public listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port)));
  }

  public release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  public close(): Promise<void> {
    this.release();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

let notifier: Notifier;
let listener: Listener;
let port: number;
const dispatchers: TelemetryDispatcher[] = [];

beforeEach(async () => {
  notifier = new Notifier();
  listener = new Listener(notifier);
  port = await listener.listen();
});

afterEach(async () => {
  for (const d of dispatchers.splice(0)) d.close();
  await listener.close();
});

function dispatcher(overrides: Partial<DispatcherOptions> = {}): TelemetryDispatcher {
  let self: TelemetryDispatcher | undefined;
  const d = new TelemetryDispatcher({
    port,
    path: '/telemetry',
    schemaVersion: '2022-12-13',
    buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 30000 },
    bufferLimit: { maxItems: 10000, maxBytes: 10 * 1024 * 1024 },
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 1000, attemptTimeoutMs: 5000 },
    onChange: () => notifier.notify(),
    reportDropped: (record) => self?.enqueue({ time: new Date().toISOString(), type: 'platform.logsDropped', record }, undefined, true),
    ...overrides,
  });
  self = d;
  dispatchers.push(d);
  return d;
}

function event(i: number, pad = 0): TelemetryEvent {
  return { time: '2025-01-01T00:00:00.000Z', type: 'function', record: `line ${i}${'x'.repeat(pad)}` };
}

const until = <T>(predicate: () => T | undefined | false): Promise<T> => notifier.until(predicate, { timeoutMs: 5000 });

describe('TelemetryDispatcher', () => {
  test('sends a batch as soon as maxItems events wait', async () => {
    const d = dispatcher({ buffering: { maxItems: 3, maxBytes: 262144, timeoutMs: 30000 } });

    for (let i = 0; i < 7; i++) d.enqueue(event(i));
    await until(() => listener.received.length === 2 && d.deliveries.every((r) => r.outcome === 'delivered'));

    expect(listener.received.map((r) => r.events.map((e) => e.record))).toEqual([
      ['line 0', 'line 1', 'line 2'], ['line 3', 'line 4', 'line 5'],
    ]);
    expect(d.queued).toBe(1);
  });

  test('sends a batch as soon as maxBytes are reached (the event crossing the limit included)', async () => {
    const size = Buffer.byteLength(JSON.stringify(event(0, 100)));
    const d = dispatcher({ buffering: { maxItems: 1000, maxBytes: size * 2 + 1, timeoutMs: 30000 } });

    for (let i = 0; i < 7; i++) d.enqueue(event(i, 100));
    await until(() => listener.received.length === 2);

    expect(listener.received.map((r) => r.events.length)).toEqual([3, 3]);
    expect(d.queued).toBe(1);
  });

  test('sends what waits once timeoutMs passed since the oldest event', async () => {
    const d = dispatcher({ buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 } });

    d.enqueue(event(0));
    d.enqueue(event(1));
    await until(() => listener.received.length === 1);

    expect(listener.received[0].events).toHaveLength(2);
    expect(d.deliveries[0].outcome).toBe('in-flight');
    await until(() => d.deliveries[0].outcome === 'delivered');
  });

  test('keeps one batch in flight and generation order', async () => {
    listener.hold = true;
    const d = dispatcher({ buffering: { maxItems: 2, maxBytes: 262144, timeoutMs: 30000 } });

    for (let i = 0; i < 6; i++) d.enqueue(event(i));
    await until(() => listener.received.length === 1);
    expect(d.queued).toBe(4);
    listener.release();
    await until(() => listener.received.length === 3 && d.idle);

    expect(listener.maxConcurrent).toBe(1);
    expect(listener.received.flatMap((r) => r.events.map((e) => e.record))).toEqual(
      ['line 0', 'line 1', 'line 2', 'line 3', 'line 4', 'line 5'],
    );
  });

  test('retries a failed batch with exponential backoff until it is accepted', async () => {
    listener.statuses = [500, 503, 200];
    const d = dispatcher({ buffering: { maxItems: 2, maxBytes: 262144, timeoutMs: 30000 } });

    d.enqueue(event(0));
    d.enqueue(event(1));
    await until(() => d.deliveries[0]?.outcome === 'delivered');

    const record = d.deliveries[0];
    expect(record.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
    expect(listener.received.map((r) => r.events)).toEqual([record.events, record.events, record.events]);
    expect(record.attempts[1].startedAt - (record.attempts[0].endedAt as number)).toBeGreaterThanOrEqual(19);
    expect(record.attempts[2].startedAt - (record.attempts[1].endedAt as number)).toBeGreaterThanOrEqual(39);
  });

  test('drops a batch after maxAttempts connection errors and reports it as platform.logsDropped', async () => {
    const closedPort = port;
    await listener.close();
    const d = dispatcher({ port: closedPort, buffering: { maxItems: 2, maxBytes: 262144, timeoutMs: 25 } });

    d.enqueue(event(0));
    d.enqueue(event(1));
    await until(() => d.deliveries[0]?.outcome === 'dropped');

    expect(d.deliveries[0].attempts).toHaveLength(3);
    expect(d.deliveries[0].attempts[0].error).toMatch(/ECONNREFUSED/);
    expect(d.dropped).toEqual({ records: 2, bytes: d.deliveries[0].bytes });
    await until(() => d.deliveries.length === 2);
    expect(d.deliveries[1].events).toEqual([{
      time: expect.any(String),
      type: 'platform.logsDropped',
      record: { droppedRecords: 2, droppedBytes: d.deliveries[0].bytes, reason: DELIVERY_FAILED_REASON },
    }]);
    listener = new Listener(notifier);
    await listener.listen();
  });

  test('a full buffer drops new events and reports them once there is room', async () => {
    listener.hold = true;
    const d = dispatcher({ buffering: { maxItems: 2, maxBytes: 262144, timeoutMs: 30000 }, bufferLimit: { maxItems: 3, maxBytes: 10_000_000 } });

    for (let i = 0; i < 10; i++) d.enqueue(event(i));
    await until(() => listener.received.length === 1);

    // 2 in flight, 3 waiting, 5 dropped
    expect(d.queued).toBe(3);
    expect(d.dropped.records).toBe(5);
    listener.release();
    await until(() => d.idle && listener.received.length === 3);

    const delivered = listener.received.flatMap((r) => r.events);
    expect(delivered.map((e) => e.record).slice(0, 5)).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    expect(delivered[5]).toMatchObject({
      type: 'platform.logsDropped',
      record: { droppedRecords: 5, droppedBytes: 5 * Buffer.byteLength(JSON.stringify(event(5))), reason: OVERFLOW_REASON },
    });
  });

  test('delivers nothing while paused (frozen), and what is due once resumed', async () => {
    const d = dispatcher({ buffering: { maxItems: 2, maxBytes: 262144, timeoutMs: 30000 } });

    d.pause();
    d.enqueue(event(0));
    d.enqueue(event(1));
    expect(d.deliveries).toHaveLength(0);
    d.resume();
    await until(() => d.deliveries[0]?.outcome === 'delivered');

    expect(listener.received).toHaveLength(1);
  });

  test('schema 2022-07-01 gets function lines as strings even in JSON log format', async () => {
    const d = dispatcher({ schemaVersion: '2022-07-01', buffering: { maxItems: 1, maxBytes: 262144, timeoutMs: 30000 } });
    const line = '{"level":"INFO","message":"hi"}';

    d.enqueue({ time: '2025-01-01T00:00:00.000Z', type: 'function', record: JSON.parse(line) }, line);
    await until(() => listener.received.length === 1);

    expect(listener.received[0].events[0].record).toBe(line);
  });

  test('close abandons the batch in flight', async () => {
    listener.hold = true;
    const d = dispatcher({ buffering: { maxItems: 1, maxBytes: 262144, timeoutMs: 30000 } });

    d.enqueue(event(0));
    await until(() => listener.received.length === 1);
    d.close();

    expect(d.deliveries[0].outcome).toBe('abandoned');
  });
});
