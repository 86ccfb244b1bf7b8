/**
 * Realistic Telemetry API deliveries: per invocation `platform.start`, five `function` lines
 * (three text lines as the Node runtime writes them, two JSON-format objects), one `extension`
 * line, `platform.runtimeDone` with spans and `platform.report` (10 events). A 1000-event
 * batch is 100 invocations, about 250 KiB of JSON: under the default subscription `maxBytes`
 * (256 KiB), as a real delivery would be.
 */
import { randomUUID } from 'node:crypto';

export const EVENTS_PER_INVOCATION = 10;

const iso = (ms: number) => new Date(ms).toISOString();

function traceHeader(requestId: string): string {
  const hex = requestId.replace(/-/g, '');
  return `Root=1-${hex.slice(0, 8)}-${hex.slice(8, 32)};Parent=${hex.slice(0, 16)};Sampled=1`;
}

/** The telemetry of one invocation; `count` limits it to its first events. */
export function invocationEvents(requestId: string, startMs: number, count = EVENTS_PER_INVOCATION): object[] {
  const tracing = { type: 'X-Amzn-Trace-Id', value: traceHeader(requestId), spanId: requestId.replace(/-/g, '').slice(16, 32) };
  const t = (offset: number) => iso(startMs + offset);
  const line = (offset: number, level: string, message: string) => `${t(offset)}\t${requestId}\t${level}\t${message}\n`;
  const events: object[] = [
    { time: t(0), type: 'platform.start', record: { requestId, version: '$LATEST', tracing } },
    { time: t(1), type: 'function', record: line(1, 'INFO', 'received order event {"orderId":"o-48213","items":3,"currency":"EUR"}') },
    {
      time: t(2),
      type: 'function',
      record: { timestamp: t(2), level: 'INFO', requestId, message: 'loaded customer profile', customerId: 'c-99102', cacheHit: true, durationMs: 4.2 },
    },
    { time: t(6), type: 'function', record: line(6, 'WARN', 'inventory service slow, retrying once (attempt 1 of 2)') },
    {
      time: t(9),
      type: 'function',
      record: { timestamp: t(9), level: 'INFO', requestId, message: 'order stored', table: 'orders', consumedCapacity: 1 },
    },
    { time: t(10), type: 'function', record: line(10, 'INFO', 'done in 10 ms') },
    { time: t(10), type: 'extension', record: `${t(10)}\tother-extension\tflushed 12 spans\n` },
    {
      time: t(11),
      type: 'platform.runtimeDone',
      record: {
        requestId,
        status: 'success',
        tracing,
        spans: [
          { name: 'responseLatency', start: t(0), durationMs: 10.4 },
          { name: 'responseDuration', start: t(10), durationMs: 0.2 },
          { name: 'runtimeOverhead', start: t(10), durationMs: 0.6 },
        ],
        metrics: { durationMs: 11.2, producedBytes: 142 },
      },
    },
    {
      time: t(12),
      type: 'platform.report',
      record: {
        requestId,
        status: 'success',
        tracing,
        metrics: { durationMs: 11.9, billedDurationMs: 12, memorySizeMB: 128, maxMemoryUsedMB: 71 },
      },
    },
    { time: t(12), type: 'function', record: line(12, 'DEBUG', 'metrics published') },
  ];
  return events.slice(0, count);
}

/** One batch of `size` events (whole invocations, then a partial one), starting at `startMs`. */
export function mixedBatch(size: number, startMs: number): object[] {
  const out: object[] = [];
  let i = 0;
  while (out.length < size) {
    out.push(...invocationEvents(randomUUID(), startMs + i * 20, Math.min(EVENTS_PER_INVOCATION, size - out.length)));
    i++;
  }
  return out;
}

/** `count` serialised batches of `size` events each, every one with its own request ids. */
export function buildBatches(count: number, size = 1000, startMs = Date.now() - 60_000): Buffer[] {
  return Array.from({ length: count }, (_, b) => Buffer.from(JSON.stringify(mixedBatch(size, startMs + b * size * 2))));
}

/** A batch whose last `function` line carries `marker` (to see it arrive at a sink). */
export function markerBatch(marker: string, startMs = Date.now()): Buffer {
  const requestId = randomUUID();
  return Buffer.from(JSON.stringify([
    { time: iso(startMs), type: 'function', record: `${iso(startMs)}\t${requestId}\tINFO\t${marker}\n` },
  ]));
}

/**
 * What Lambda delivers during invocation `requestId` when its handler returns at once: its
 * `platform.start`, log lines and `platform.runtimeDone`, plus the `platform.report` of the
 * previous invocation (produced only after that one's freeze).
 */
export function invocationDelivery(requestId: string, startMs: number, previousRequestId?: string): Buffer {
  const events = invocationEvents(requestId, startMs).filter((e) => (e as { type: string }).type !== 'platform.report');
  if (previousRequestId !== undefined) {
    const report = invocationEvents(previousRequestId, startMs - 20).find((e) => (e as { type: string }).type === 'platform.report');
    if (report) events.unshift(report);
  }
  return Buffer.from(JSON.stringify(events));
}

/** The `platform.report` of `requestId` alone (Lambda sends it after the freeze, or at SHUTDOWN). */
export function reportDelivery(requestId: string, startMs = Date.now()): Buffer {
  return Buffer.from(JSON.stringify(invocationEvents(requestId, startMs).filter((e) => (e as { type: string }).type === 'platform.report')));
}

/** The `function` log events of {@link invocationEvents}: three text lines, two JSON objects. */
const FUNCTION_EVENT_INDEXES = [1, 2, 3, 4, 5] as const;

/**
 * What Lambda delivers for the CPU rows' invocation (./cpu.ts): `platform.start`, three
 * `function` log lines (text, JSON, text), `platform.runtimeDone`, and the previous invocation's
 * `platform.report` (first), 6 events; the last log line carries `marker` when given.
 */
export function cpuInvocationDelivery(requestId: string, startMs: number, previousRequestId?: string, marker?: string): Buffer {
  const all = invocationEvents(requestId, startMs) as Array<{ type: string; time: string; record: unknown }>;
  const logs = all.filter((e) => e.type === 'function').slice(0, 3);
  if (marker !== undefined) logs[2] = { ...logs[2], record: `${logs[2].time}\t${requestId}\tINFO\t${marker}\n` };
  const events: object[] = [all[0], ...logs, all.find((e) => e.type === 'platform.runtimeDone')!];
  if (previousRequestId !== undefined) {
    events.unshift((invocationEvents(previousRequestId, startMs - 20) as Array<{ type: string }>).find((e) => e.type === 'platform.report')!);
  }
  return Buffer.from(JSON.stringify(events));
}

/** `count` deliveries of `size` `function` log events each (of 100 invocations a batch, as written by a handler). */
export function functionLogBatches(count: number, size = 1000, startMs = Date.now() - 60_000): Buffer[] {
  return Array.from({ length: count }, (_, b) => {
    const events: object[] = [];
    for (let i = 0; events.length < size; i++) {
      const all = invocationEvents(randomUUID(), startMs + (b * size + i) * 2);
      for (const index of FUNCTION_EVENT_INDEXES) if (events.length < size) events.push(all[index]);
    }
    return Buffer.from(JSON.stringify(events));
  });
}

/** The `platform.runtimeDone` of `requestId` alone. */
export function runtimeDoneDelivery(requestId: string, startMs = Date.now()): Buffer {
  return Buffer.from(JSON.stringify(invocationEvents(requestId, startMs).filter((e) => (e as { type: string }).type === 'platform.runtimeDone')));
}
