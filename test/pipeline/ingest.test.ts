import { Ingest, type IngestSource } from '../../extension-src/pipeline/ingest';
import { TELEMETRY_API_SOURCE } from '../../extension-src/pipeline/telemetry-api-source';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import { Counters } from '../../extension-src/stats/counters';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';

const time = '2024-01-01T00:00:00.000Z';
const fnLog = (text: string) => ({ time, type: 'function', record: text });
const ownLine = { time, type: 'extension', record: '[telemetry-extension] INFO started' };

/** A second source with its own item kind, as the function's OTLP receiver will be. */
interface Span { readonly kind: 'span'; readonly name: string }
const OTLP_SOURCE: IngestSource<Span> = { name: 'otlp', itemsName: 'OTLP spans' };

function setup(limits: { maxItems?: number; maxBytes?: number } = {}) {
  const queue = new BoundedQueue<ParsedEvent | Span>(limits);
  const counters = new Counters();
  const warnings = { warn: jest.fn() };
  return { queue, counters, warnings, ingest: new Ingest({ queue, counters, warnings }) };
}

function telemetry(raw: unknown[], bytes: number) {
  const batch = parseBatch(raw, 0);
  return { items: batch.events, invalid: batch.invalid, unknown: batch.unknown, bytes };
}

describe('Ingest: one accounting rule between parse and queue', () => {
  test('accepted: queued, counted in total and for its source, invalid items reported once', () => {
    const s = setup();
    const result = s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([fnLog('a'), { time, type: 'platform.start', record: {} }, { time, type: 'platform.fault', record: {} }], 300));
    expect(result).toBe('accepted');
    expect(s.queue.size).toBe(2);
    expect(s.queue.bytes).toBeCloseTo(200, 6); // the delivery's bytes shared over its three items
    expect(s.counters.snapshot()).toMatchObject({ received: 3, invalid: 1, unknown: 1, rejected: 0 });
    expect(s.counters.sourcesSnapshot()).toEqual({ 'telemetry-api': { received: 3, invalid: 1, unknown: 1, rejected: 0 } });
    expect(s.warnings.warn).toHaveBeenCalledTimes(1);
    expect(s.warnings.warn).toHaveBeenCalledWith('invalid telemetry events dropped', { count: 1, first: expect.stringContaining('#1 (platform.start): record.requestId') });
  });

  test('the extension\'s own output is neither queued nor counted', () => {
    const s = setup();
    s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([ownLine, fnLog('a')], 100));
    expect(s.queue.drain()).toHaveLength(1);
    expect(s.counters.received).toBe(1);
  });

  test('full: nothing queued, only rejected counted (the sender resends)', () => {
    const s = setup({ maxItems: 1 });
    expect(s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([fnLog('a')], 10))).toBe('accepted');
    expect(s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([fnLog('b'), { time, type: 'platform.start', record: {} }], 10))).toBe('full');
    expect(s.queue.size).toBe(1);
    expect(s.counters.snapshot()).toMatchObject({ received: 1, invalid: 0, rejected: 1 });
    expect(s.warnings.warn).not.toHaveBeenCalled();
  });

  test('platform.logsDropped is accounted by the Telemetry API source', () => {
    const s = setup();
    s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([{ time, type: 'platform.logsDropped', record: { droppedBytes: 10, droppedRecords: 2, reason: 'x' } }], 10));
    expect(s.counters.snapshot()).toMatchObject({ platformDroppedRecords: 2, platformDroppedBytes: 10 });
  });

  test('a second source with its own item kind: same queue, same totals, its own counts', () => {
    const s = setup();
    s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([fnLog('a')], 10));
    const spans: Span[] = [{ kind: 'span', name: 'GET /' }, { kind: 'span', name: 'db' }];
    expect(s.ingest.ingest(OTLP_SOURCE, { items: spans, invalid: [{ index: 2, reason: 'no trace id' }], unknown: 0, bytes: 90 })).toBe('accepted');
    expect(s.queue.drain()).toEqual([expect.objectContaining({ type: 'function' }), ...spans]);
    expect(s.counters.snapshot()).toMatchObject({ received: 4, invalid: 1 });
    expect(s.counters.sourcesSnapshot()).toEqual({
      'telemetry-api': { received: 1, invalid: 0, unknown: 0, rejected: 0 },
      'otlp': { received: 3, invalid: 1, unknown: 0, rejected: 0 },
    });
    expect(s.warnings.warn).toHaveBeenCalledWith('invalid OTLP spans dropped', { count: 1, first: '#2: no trace id' });
  });

  test('an empty delivery is accepted and counts nothing', () => {
    const s = setup();
    expect(s.ingest.ingest(TELEMETRY_API_SOURCE, telemetry([], 2))).toBe('accepted');
    expect(s.queue.bytes).toBe(0);
    expect(s.counters.received).toBe(0);
  });
});
