import { acceptFunctionTelemetry, countRefusedOnly, PROTOBUF_WEIGHT, queueWeight } from '../../extension-src/pipeline/function-source';
import { Ingest } from '../../extension-src/pipeline/ingest';
import type { PipelineItem } from '../../extension-src/pipeline/items';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import type { FunctionTelemetry } from '../../extension-src/receiver';
import { Counters } from '../../extension-src/stats/counters';

const traces = (items: number, encoding: 'protobuf' | 'json' = 'protobuf'): FunctionTelemetry =>
  ({ source: 'function', signal: 'traces', items, receivedAtMs: 1, encoding, resourceSpans: [] });

function setup(limits: { maxItems?: number; maxBytes?: number } = {}) {
  const queue = new BoundedQueue<PipelineItem>(limits);
  const counters = new Counters();
  const warnings: string[] = [];
  const ingest = new Ingest<PipelineItem>({ queue, counters, warnings: { warn: (m) => warnings.push(m) } });
  return { queue, counters, accept: acceptFunctionTelemetry(ingest), refused: countRefusedOnly(ingest) };
}

describe('the function as an ingest source', () => {
  test('one queue entry per request, counted in records, refused records as invalid', () => {
    const s = setup();
    expect(s.accept(traces(5), 1000, 2)).toBe('accepted');
    expect(s.queue.size).toBe(1);
    expect(s.counters.source('function')).toEqual({ received: 7, invalid: 2, unknown: 0, rejected: 0 });
    expect(s.counters.snapshot()).toMatchObject({ received: 7, invalid: 2 });
    s.refused(3);
    expect(s.counters.source('function')).toMatchObject({ received: 10, invalid: 5 });
    expect(s.queue.size).toBe(1);
  });

  test('weighed by encoding: protobuf at its decoded heap parity, JSON as it is', () => {
    expect(queueWeight(1000, 'protobuf')).toBe(1000 * PROTOBUF_WEIGHT);
    expect(queueWeight(1000, 'json')).toBe(1000);
    const s = setup();
    s.accept(traces(1), 1000, 0);
    s.accept(traces(1, 'json'), 1000, 0);
    expect(s.queue.bytes).toBeCloseTo(1000 * PROTOBUF_WEIGHT + 1000);
  });

  test('full: nothing queued, the records counted as rejected only', () => {
    const s = setup({ maxBytes: 4096 });
    expect(s.accept(traces(1), 1000, 0)).toBe('accepted');
    expect(s.accept(traces(4), 1000, 1)).toBe('full');
    expect(s.queue.size).toBe(1);
    expect(s.counters.source('function')).toEqual({ received: 1, invalid: 0, unknown: 0, rejected: 4 });
  });
});
