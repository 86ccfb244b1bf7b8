/**
 * Flush strategies, end to end. Checked by causal order, never by durations: end-of-invocation
 * exports invocation N before the extension's `next` for N; the background strategies call `next`
 * before a slow handler has even answered.
 */
import { Duration } from 'aws-cdk-lib';
import { attr, ExampleRun, runExample } from './harness';
import { FlushStrategy } from '../../lib';
import type { InvokeResult } from '../emulator/emulator';

const EXT = 'telemetry-extension';

function serverSpanArrival(run: ExampleRun, requestId: string): number | undefined {
  const request = run.receiver
    .requestsFor('traces')
    .find((r) => run.receiver.spansOf(r).some((s) => s.kind === 'SPAN_KIND_SERVER' && attr(s, 'faas.invocation_id') === requestId));
  return request?.receivedAt;
}

async function invokeAll(run: ExampleRun, actions: string[]): Promise<InvokeResult[]> {
  const results: InvokeResult[] = [];
  for (const action of actions) results.push(await run.emulator.invoke({ action }));
  return results;
}

describe('end-of-invocation', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test("delivers invocation N's span before N's next returns, every time", async () => {
    run = await runExample({ stack: () => ({ flushStrategy: FlushStrategy.endOfInvocation() }) });
    const results = await invokeAll(run, ['ok', 'slow', 'fail', 'ok']);
    for (const r of results) {
      const arrived = serverSpanArrival(run, r.requestId);
      expect({ requestId: r.requestId, delivered: arrived !== undefined }).toEqual({ requestId: r.requestId, delivered: true });
      expect(arrived!).toBeLessThanOrEqual(r.extensionsNextAt[EXT]);
      expect(r.extensionsNextAt[EXT]).toBeGreaterThanOrEqual(r.runtimeDoneAt!);
    }
  }, 60_000);
});

describe.each([
  ['continuously', FlushStrategy.continuously(Duration.millis(200))],
  ['periodically', FlushStrategy.periodically(Duration.millis(200))],
])('%s', (_name, flushStrategy) => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('never delays next: the extension is done before the slow handler answers, and nothing is lost', async () => {
    run = await runExample({ stack: () => ({ flushStrategy }) });
    const results = await invokeAll(run, ['slow', 'slow', 'slow']);
    for (const r of results) {
      expect(r.extensionsNextAt[EXT]).toBeLessThan(r.runtimeResponseAt!);
    }
    await run.emulator.shutdown();
    const spans = await run.receiver.waitForSpans(results.length);
    expect(new Set(spans.filter((s) => s.kind === 'SPAN_KIND_SERVER').map((s) => attr(s, 'faas.invocation_id')))).toEqual(
      new Set(results.map((r) => r.requestId)),
    );
  }, 60_000);
});

describe('adaptive (default)', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('waits for the runtime while invocations are rare, stops delaying next once they are frequent', async () => {
    run = await runExample();
    const results = await invokeAll(run, ['slow', 'slow', 'slow', 'slow', 'slow', 'slow', 'slow', 'slow']);
    // The first invocations: no history, so end-of-invocation.
    expect(results[0].extensionsNextAt[EXT]).toBeGreaterThanOrEqual(results[0].runtimeDoneAt!);
    // Back to back (gaps well under a second): continuous, so next is no longer delayed.
    const last = results.at(-1)!;
    expect(last.extensionsNextAt[EXT]).toBeLessThan(last.runtimeResponseAt!);
    await run.emulator.shutdown();
    const spans = await run.receiver.waitForSpans(results.length);
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_SERVER')).toHaveLength(results.length);
  }, 60_000);
});
