import { ExportLoop } from '../../extension-src/pipeline/export-loop';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import type { ExportOptions, ExportOutcome, Sink } from '../../extension-src/sinks/sink';
import { Counters } from '../../extension-src/stats/counters';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';

function event(n: number): ParsedEvent {
  return { type: 'function', time: '2024-01-01T00:00:00.000Z', timeMs: n, record: `line ${n}` };
}
const events = (from: number, count: number) => Array.from({ length: count }, (_, i) => event(from + i));

interface Call {
  readonly events: readonly ParsedEvent[];
  readonly deadline: number;
  readonly final: boolean;
  answer(outcome?: Partial<ExportOutcome>): void;
  fail(error: Error): void;
}

/** A sink whose export calls stay pending until the test answers them. */
class ManualSink implements Sink {
  readonly name = 'manual';
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private arrived: Array<() => void> = [];

  export(batch: readonly ParsedEvent[], deadline: number, options?: ExportOptions): Promise<ExportOutcome> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => {
      this.calls.push({
        events: batch,
        deadline,
        final: options?.final === true,
        answer: (o = {}) => {
          this.inFlight--;
          resolve({ exported: o.exported ?? batch.length, dropped: o.dropped ?? 0 }); // sinks report, the loop counts
        },
        fail: (e) => {
          this.inFlight--;
          reject(e);
        },
      });
      const waiting = this.arrived;
      this.arrived = [];
      for (const wake of waiting) wake();
    });
  }

  async shutdown(): Promise<ExportOutcome> {
    return { exported: 0, dropped: 0 };
  }

  /** Resolves with call number `index` once it has been made. */
  async call(index: number): Promise<Call> {
    while (this.calls.length <= index) await new Promise<void>((resolve) => this.arrived.push(resolve));
    return this.calls[index];
  }
}

class Clock {
  constructor(public now = 1_000_000) {}
  read = () => this.now;
}

function setup(options: { chunkSize?: number; backgroundBudgetMs?: number } = {}) {
  const queue = new BoundedQueue<ParsedEvent>();
  const counters = new Counters();
  const sink = new ManualSink();
  const clock = new Clock();
  const warnings = { warn: jest.fn() };
  const loop = new ExportLoop({ queue, sink, counters, now: clock.read, warnings, ...options });
  return { queue, sink, counters, clock, warnings, loop };
}

describe('ExportLoop', () => {
  test('flushing an empty queue resolves at once without calling the sink', async () => {
    const { loop, sink } = setup();
    await expect(loop.flush(2_000_000)).resolves.toEqual({ complete: true, remaining: 0 });
    expect(sink.calls).toHaveLength(0);
    expect(loop.busy).toBe(false);
  });

  test('hands everything over in order, in chunks, one call at a time, and counts the outcomes', async () => {
    const { loop, sink, queue, counters } = setup({ chunkSize: 2 });
    queue.offer(events(0, 5), 500);
    const flushed = loop.flush(2_000_000);
    (await sink.call(0)).answer();
    (await sink.call(1)).answer({ exported: 1, dropped: 1 });
    (await sink.call(2)).answer();
    await expect(flushed).resolves.toEqual({ complete: true, remaining: 0 });
    expect(sink.calls.map((c) => c.events.map((e) => e.timeMs))).toEqual([[0, 1], [2, 3], [4]]);
    expect(sink.calls.every((c) => c.deadline === 2_000_000)).toBe(true);
    expect(sink.maxInFlight).toBe(1);
    expect(counters.snapshot()).toMatchObject({ exported: 4, dropped: 1 }); // once: the loop counts what the sink reported
    expect(loop.busy).toBe(false);
  });

  test('the last chunk of a blocking flush is final (nothing may be held past a freeze); a background flush never is', async () => {
    const { loop, sink, queue } = setup({ chunkSize: 2 });
    queue.offer(events(0, 3), 300);
    const flushed = loop.flush(2_000_000);
    (await sink.call(0)).answer();
    (await sink.call(1)).answer();
    await flushed;
    expect(sink.calls.map((c) => c.final)).toEqual([false, true]);
    queue.offer(events(3, 1), 100);
    const background = loop.flushInBackground();
    (await sink.call(2)).answer();
    await background;
    expect(sink.calls[2].final).toBe(false);
  });

  test('a flush covers what was queued before the call, not what arrives during it', async () => {
    const { loop, sink, queue } = setup();
    queue.offer(events(0, 2), 1);
    const flushed = loop.flush(2_000_000);
    const first = await sink.call(0);
    queue.offer(events(2, 3), 1);
    first.answer();
    await expect(flushed).resolves.toEqual({ complete: true, remaining: 3 });
    expect(sink.calls).toHaveLength(1);
    expect(queue.size).toBe(3);
  });

  test('a second flush waits for its own events too, after the first ones, order preserved', async () => {
    const { loop, sink, queue } = setup();
    queue.offer(events(0, 2), 1);
    const first = loop.flush(2_000_000);
    const call0 = await sink.call(0);
    queue.offer(events(2, 2), 1);
    const second = loop.flush(2_000_000);
    call0.answer();
    await expect(first).resolves.toMatchObject({ complete: true });
    (await sink.call(1)).answer();
    await expect(second).resolves.toEqual({ complete: true, remaining: 0 });
    expect(sink.calls.flatMap((c) => c.events.map((e) => e.timeMs))).toEqual([0, 1, 2, 3]);
  });

  test('no chunk starts after the deadline: the flush returns incomplete, the rest stays queued', async () => {
    const { loop, sink, queue, clock } = setup({ chunkSize: 2 });
    queue.offer(events(0, 6), 1);
    const flushed = loop.flush(clock.now + 100);
    const call0 = await sink.call(0);
    clock.now += 100;
    call0.answer();
    await expect(flushed).resolves.toEqual({ complete: false, remaining: 4 });
    expect(sink.calls).toHaveLength(1);
  });

  test('a flush whose deadline already passed does nothing', async () => {
    const { loop, sink, queue, clock } = setup();
    queue.offer(events(0, 1), 1);
    await expect(loop.flush(clock.now)).resolves.toEqual({ complete: false, remaining: 1 });
    expect(sink.calls).toHaveLength(0);
  });

  test('abort stops waiting; the export in flight is still counted when it answers', async () => {
    const { loop, sink, queue, counters } = setup();
    queue.offer(events(0, 3), 1);
    const controller = new AbortController();
    const flushed = loop.flush(2_000_000, controller.signal);
    const call0 = await sink.call(0);
    controller.abort();
    await expect(flushed).resolves.toEqual({ complete: false, remaining: 0 });
    expect(loop.busy).toBe(true);
    expect(loop.inFlight).toBe(3);
    call0.answer();
    await loop.flush(Number.MAX_SAFE_INTEGER); // resolves once the answered chunk is accounted for
    expect(counters.exported).toBe(3);
    expect(loop.busy).toBe(false);
    expect(loop.inFlight).toBe(0);
  });

  test('background flushes use a rolling deadline and never need to be awaited', async () => {
    const { loop, sink, queue, clock } = setup({ chunkSize: 1, backgroundBudgetMs: 5_000 });
    queue.offer(events(0, 2), 1);
    const background = loop.flushInBackground();
    const call0 = await sink.call(0);
    expect(call0.deadline).toBe(clock.now + 5_000);
    clock.now += 60_000; // e.g. frozen in between
    call0.answer();
    const call1 = await sink.call(1);
    expect(call1.deadline).toBe(clock.now + 5_000);
    call1.answer();
    await expect(background).resolves.toEqual({ complete: true, remaining: 0 });
  });

  test('a blocking flush joins a background one in progress', async () => {
    const { loop, sink, queue } = setup({ chunkSize: 1 });
    queue.offer(events(0, 1), 1);
    void loop.flushInBackground();
    const call0 = await sink.call(0);
    queue.offer(events(1, 1), 1);
    const blocking = loop.flush(2_000_000);
    call0.answer();
    (await sink.call(1)).answer();
    await expect(blocking).resolves.toEqual({ complete: true, remaining: 0 });
    expect(sink.maxInFlight).toBe(1);
  });

  test('a sink that rejects (against its contract) costs that chunk only', async () => {
    const { loop, sink, queue, counters, warnings } = setup({ chunkSize: 2 });
    queue.offer(events(0, 4), 1);
    const flushed = loop.flush(2_000_000);
    (await sink.call(0)).fail(new Error('boom'));
    (await sink.call(1)).answer();
    await expect(flushed).resolves.toEqual({ complete: true, remaining: 0 });
    expect(counters.snapshot()).toMatchObject({ exported: 2, dropped: 2 });
    expect(warnings.warn).toHaveBeenCalledWith('sink export failed unexpectedly; events dropped', { sink: 'manual', count: 2, error: 'boom' });
  });

  test('abandon drops what is left and releases waiters', async () => {
    const { loop, queue, counters, clock } = setup();
    queue.offer(events(0, 3), 1);
    const stale = loop.flush(clock.now - 1);
    expect(loop.abandon()).toBe(3);
    expect(counters.dropped).toBe(3);
    expect(queue.size).toBe(0);
    await expect(stale).resolves.toMatchObject({ complete: false });
  });
});
