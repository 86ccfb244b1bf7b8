import { InvocationTracker } from '../../extension-src/pipeline/invocation-tracker';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';

function events(...raw: unknown[]): ParsedEvent[] {
  return parseBatch(raw, 0).events;
}
const time = '2024-01-01T00:00:00.000Z';
const runtimeDone = (requestId: string) => ({ time, type: 'platform.runtimeDone', record: { requestId, status: 'success' } });
const report = (requestId: string) => ({ time, type: 'platform.report', record: { requestId, metrics: { durationMs: 1 } } });

describe('InvocationTracker', () => {
  test('resolves a wait when runtimeDone of that request arrives, not for another request', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue);
    const waiting = tracker.waitForRuntimeDone('b');
    let done = false;
    void waiting.then(() => { done = true; });
    queue.offer(events(runtimeDone('a'), report('b')), 10);
    await Promise.resolve();
    expect(done).toBe(false);
    queue.offer(events(runtimeDone('b')), 10);
    await expect(waiting).resolves.toBe(true);
    tracker.dispose();
  });

  test('remembers what already arrived, even after the queue was drained', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue);
    queue.offer(events(runtimeDone('a'), report('a')), 10);
    queue.drain();
    expect(tracker.hasRuntimeDone('a')).toBe(true);
    expect(tracker.hasReport('a')).toBe(true);
    expect(tracker.hasReport('b')).toBe(false);
    await expect(tracker.waitForRuntimeDone('a')).resolves.toBe(true);
    await expect(tracker.waitForReport('a')).resolves.toBe(true);
    tracker.dispose();
  });

  test('a wait resolves false on abort; several waiters for one request all wake', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue);
    const controller = new AbortController();
    const aborted = tracker.waitForReport('x', controller.signal);
    const first = tracker.waitForReport('y');
    const second = tracker.waitForReport('y');
    controller.abort();
    await expect(aborted).resolves.toBe(false);
    queue.offer(events(report('y')), 1);
    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
    tracker.dispose();
  });

  test('forgets the oldest ids beyond its memory', () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue, 2);
    queue.offer(events(runtimeDone('1'), runtimeDone('2'), runtimeDone('3')), 1);
    expect([tracker.hasRuntimeDone('1'), tracker.hasRuntimeDone('2'), tracker.hasRuntimeDone('3')]).toEqual([false, true, true]);
    tracker.dispose();
  });

  test('dispose releases pending waits with false and stops observing', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue);
    const waiting = tracker.waitForRuntimeDone('z');
    tracker.dispose();
    await expect(waiting).resolves.toBe(false);
    queue.offer(events(runtimeDone('z')), 1);
    expect(tracker.hasRuntimeDone('z')).toBe(false);
  });
});

describe('InvocationTracker: open invocations', () => {
  const start = (requestId: string) => ({ time, type: 'platform.start', record: { requestId } });

  test('an invocation is open from its platform.start until its platform.report, several at once', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue);
    expect(tracker.openInvocations()).toEqual([]);
    await expect(tracker.waitForOpenReports()).resolves.toBe(true);
    queue.offer(events(start('a'), start('b'), runtimeDone('a'), start('c')), 10);
    expect(tracker.openInvocations()).toEqual(['a', 'b', 'c']);
    expect(tracker.started).toBe(3);
    const waiting = tracker.waitForOpenReports();
    let done = false;
    void waiting.then(() => { done = true; });
    queue.offer(events(report('b'), report('a')), 10);
    await Promise.resolve();
    expect(done).toBe(false);
    expect(tracker.openInvocations()).toEqual(['c']);
    queue.offer(events(report('c')), 10);
    await expect(waiting).resolves.toBe(true);
    expect(tracker.openInvocations()).toEqual([]);
    tracker.dispose();
  });

  test('a start after its own report does not reopen it; the wait ends false on abort and on dispose', async () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue);
    queue.offer(events(report('x'), start('x'), start('y')), 10);
    expect(tracker.openInvocations()).toEqual(['y']);
    await expect(tracker.waitForOpenReports(AbortSignal.abort())).resolves.toBe(false);
    const controller = new AbortController();
    const aborted = tracker.waitForOpenReports(controller.signal);
    controller.abort();
    await expect(aborted).resolves.toBe(false);
    const disposed = tracker.waitForOpenReports();
    tracker.dispose();
    await expect(disposed).resolves.toBe(false);
  });

  test('at most `memory` open invocations are remembered, the oldest forgotten', () => {
    const queue = new BoundedQueue<ParsedEvent>();
    const tracker = new InvocationTracker(queue, 2);
    queue.offer(events(start('1'), start('2'), start('3')), 10);
    expect(tracker.openInvocations()).toEqual(['2', '3']);
    tracker.dispose();
  });
});
