import { BoundedQueue, DEFAULT_QUEUE_LIMITS } from '../../extension-src/queue/bounded-queue';
import { waitFor, whenAvailable } from '../support/queue-waits';

describe('BoundedQueue', () => {
  test('defaults hold two of the largest Telemetry API deliveries', () => {
    expect(DEFAULT_QUEUE_LIMITS.maxItems).toBeGreaterThanOrEqual(2 * 10_000);
    expect(DEFAULT_QUEUE_LIMITS.maxBytes).toBeGreaterThanOrEqual(2 * 2 * 1_048_576);
    expect(new BoundedQueue().limits).toEqual(DEFAULT_QUEUE_LIMITS);
  });

  test('refuses silly limits', () => {
    expect(() => new BoundedQueue({ maxItems: 0 })).toThrow(RangeError);
  });

  test('offer then take keeps order and tracks size and bytes', () => {
    const q = new BoundedQueue<number>({ maxItems: 10, maxBytes: 1000 });
    expect(q.offer([1, 2, 3], 300)).toBe(true);
    expect(q.offer([4], 50)).toBe(true);
    expect(q.size).toBe(4);
    expect(q.bytes).toBe(350);
    expect(q.take(2)).toEqual([1, 2]);
    expect(q.size).toBe(2);
    expect(q.bytes).toBe(150);
    expect(q.drain()).toEqual([3, 4]);
    expect(q.size).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.take(5)).toEqual([]);
  });

  test('all or nothing: a batch that does not fit in items is refused whole', () => {
    const q = new BoundedQueue<number>({ maxItems: 5, maxBytes: 1000 });
    expect(q.offer([1, 2, 3], 30)).toBe(true);
    expect(q.offer([4, 5, 6], 30)).toBe(false);
    expect(q.size).toBe(3);
    expect(q.offer([4, 5], 30)).toBe(true);
    expect(q.drain()).toEqual([1, 2, 3, 4, 5]);
  });

  test('all or nothing: a batch that does not fit in bytes is refused whole', () => {
    const q = new BoundedQueue<number>({ maxItems: 100, maxBytes: 100 });
    expect(q.offer([1], 60)).toBe(true);
    expect(q.offer([2, 3], 41)).toBe(false);
    expect(q.bytes).toBe(60);
    expect(q.offer([2, 3], 40)).toBe(true);
  });

  test('an empty queue accepts an oversized batch, so no batch is refused forever', () => {
    const q = new BoundedQueue<number>({ maxItems: 2, maxBytes: 10 });
    expect(q.offer([1, 2, 3], 500)).toBe(true);
    expect(q.offer([4], 1)).toBe(false);
    q.drain();
    expect(q.offer([4], 1)).toBe(true);
  });

  test('an empty batch is accepted and wakes nobody', async () => {
    const q = new BoundedQueue<number>();
    const listener = jest.fn();
    q.onOffer(listener);
    expect(q.offer([], 0)).toBe(true);
    expect(listener).not.toHaveBeenCalled();
  });

  test('bytes are shared across the batch and given back as events are taken', () => {
    const q = new BoundedQueue<string>({ maxItems: 100, maxBytes: 1000 });
    q.offer(['a', 'b', 'c', 'd'], 100);
    q.take(1);
    expect(q.bytes).toBe(75);
    q.take(2);
    expect(q.bytes).toBe(25);
  });

  test('many small takes keep order (compaction)', () => {
    const q = new BoundedQueue<number>({ maxItems: 10_000, maxBytes: 1e9 });
    const all = Array.from({ length: 5000 }, (_, i) => i);
    q.offer(all, 5000);
    const out: number[] = [];
    while (q.size > 0) {
      out.push(...q.take(7));
      if (out.length === 2100) q.offer([5000, 5001], 2);
    }
    expect(out).toEqual([...all, 5000, 5001]);
    expect(q.bytes).toBe(0);
  });

  test('whenAvailable resolves at once when there are items, else on the next offer', async () => {
    const q = new BoundedQueue<number>();
    q.offer([1], 1);
    await expect(whenAvailable(q)).resolves.toBe(true);
    q.drain();
    const waiting = whenAvailable(q);
    let settled = false;
    void waiting.then(() => { settled = true; });
    await Promise.resolve();
    expect(settled).toBe(false);
    q.offer([2], 1);
    await expect(waiting).resolves.toBe(true);
  });

  test('whenAvailable resolves false on abort', async () => {
    const q = new BoundedQueue<number>();
    const controller = new AbortController();
    const waiting = whenAvailable(q, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBe(false);
    await expect(whenAvailable(q, controller.signal)).resolves.toBe(false);
    q.offer([1], 1);
    await expect(whenAvailable(q, controller.signal)).resolves.toBe(true);
  });

  test('waitFor resolves with the first matching event offered later', async () => {
    const q = new BoundedQueue<{ id: number; kind: string }>();
    q.offer([{ id: 0, kind: 'done' }], 1);
    const waiting = waitFor(q, (e) => e.kind === 'done');
    q.offer([{ id: 1, kind: 'log' }], 1);
    q.offer([{ id: 2, kind: 'log' }, { id: 3, kind: 'done' }, { id: 4, kind: 'done' }], 1);
    await expect(waiting).resolves.toEqual({ id: 3, kind: 'done' });
  });

  test('waitFor resolves undefined on abort and stops listening', async () => {
    const q = new BoundedQueue<number>();
    const controller = new AbortController();
    const predicate = jest.fn(() => false);
    const waiting = waitFor(q, predicate, controller.signal);
    q.offer([1], 1);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    q.offer([2], 1);
    expect(predicate).toHaveBeenCalledTimes(1);
  });

  test('a refused batch is not seen by listeners', () => {
    const q = new BoundedQueue<number>({ maxItems: 1, maxBytes: 100 });
    const listener = jest.fn();
    q.onOffer(listener);
    q.offer([1], 1);
    q.offer([2], 1);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith([1]);
  });
});

describe('BoundedQueue.acceptEverything (SHUTDOWN)', () => {
  test('accepts batches a full queue refused before', () => {
    const queue = new BoundedQueue<number>({ maxItems: 2, maxBytes: 100 });
    expect(queue.offer([1, 2], 10)).toBe(true);
    expect(queue.offer([3], 10)).toBe(false);
    queue.acceptEverything();
    expect(queue.offer([3], 10)).toBe(true);
    expect(queue.offer([4, 5, 6], 1000)).toBe(true);
    expect(queue.take(10)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
