/**
 * 3. Ingest throughput, with realistic 1000-event deliveries of mixed types (./batches.ts),
 * POSTed one at a time on one kept-alive connection, as Lambda delivers to a subscriber.
 *
 * - `ingest.listener` (headline): events/s through the process's listener -> validation ->
 *   queue while the sink does nothing: `end-of-invocation` flushes only at an invocation, so a
 *   round of {@link ROUND_BATCHES} deliveries (under the queue's limits) is timed from the
 *   first POST to the last answer, then one invocation drains the queue (not timed). Floor: the
 *   floor extension (node:http + JSON.parse + 200) fed the same rounds. Goal: >= 0.7 x floor.
 * - `ingest.in-process.validate`: `JSON.parse` + `parseBatch` in the harness itself (no HTTP),
 *   against `JSON.parse` alone: the share of validation in the figure above.
 * - `ingest.e2e.otlp`: end to end, listener -> queue -> OTLP (http/protobuf, gzip) -> a local
 *   receiver, `continuously` every 10 ms (what the pipeline can move); 503 answers (queue full)
 *   are resent after 5 ms, as Lambda resends. Timed from the first POST until a marker line sent
 *   last reaches the receiver. Goal: >= 100k events/s.
 * - `ingest.e2e.otlp.default-interval`: the same with the default settings, timed until the
 *   last delivery was accepted (the 1 s timer would otherwise dominate the tail).
 */
import { randomUUID } from 'node:crypto';
import { buildBatches, markerBatch } from './batches';
import { count, type BenchContext } from './context';
import type { BenchRow } from './report';
import { Session } from './session';
import { SinkServer } from './sink-server';
import { nsToMs, summarize } from './stats';
import { parseBatch } from '../../extension-src/telemetry/parse-batch';

export const ROUND_BATCHES = 10;
export const BATCH_EVENTS = 1000;
export const INGEST_GOAL_RATIO = 0.7;
export const E2E_GOAL_EVENTS_PER_S = 100_000;

const E2E_VARIANTS = [
  {
    id: 'ingest.e2e.otlp',
    intervalMs: 10 as number | undefined,
    until: 'received' as const,
    goal: true,
    note: 'continuously every 10 ms (the pipeline\'s capacity), timed until the last event reached the receiver',
  },
  {
    id: 'ingest.e2e.otlp.default-interval',
    intervalMs: undefined,
    until: 'accepted' as const,
    goal: false,
    note: 'continuously with the defaults (1 s; a half-full queue flushes at once), timed until the last delivery was accepted (at most one queue, 20k events, still on its way)',
  },
];

/** Times one round of POSTs; undefined when the listener refused one (queue not drained yet). */
async function timedRound(session: Session, batches: readonly Buffer[]): Promise<number | undefined> {
  const start = process.hrtime.bigint();
  let refused = false;
  let last = start;
  for (const body of batches) {
    const reply = await session.pusher.post(body);
    if (reply.status !== 200) refused = true;
    last = reply.at;
  }
  return refused ? undefined : (batches.length * BATCH_EVENTS) / (nsToMs(last - start) / 1000);
}

async function listenerRounds(session: Session, batches: readonly Buffer[], rounds: number, drain: boolean): Promise<number[]> {
  const rates: number[] = [];
  for (let r = 0, attempts = 0; r < rounds && attempts < rounds * 3; attempts++) {
    const slice = batches.slice((r % Math.floor(batches.length / ROUND_BATCHES)) * ROUND_BATCHES).slice(0, ROUND_BATCHES);
    const rate = await timedRound(session, slice);
    if (rate !== undefined) {
      rates.push(rate);
      r++;
    }
    if (drain) await session.invokeOnce();
  }
  return rates;
}

export async function benchIngest(ctx: BenchContext): Promise<BenchRow[]> {
  const rounds = count(ctx, { smoke: 1, quick: 5, full: 15, capped: 3 });
  const e2eBatches = count(ctx, { smoke: 3, quick: 30, full: 100, capped: 20 });
  const e2eRuns = count(ctx, { smoke: 1, quick: 1, full: 3, capped: 1 });
  const batches = buildBatches(Math.max(ROUND_BATCHES * 3, e2eBatches), BATCH_EVENTS);
  const batchKiB = batches.reduce((sum, b) => sum + b.length, 0) / batches.length / 1024;
  const rows: BenchRow[] = [];

  // Listener -> validation -> queue, sink idle; floor first, then the extension.
  ctx.log(`ingest: listener, ${rounds} rounds of ${ROUND_BATCHES} x ${BATCH_EVENTS} events (${batchKiB.toFixed(0)} KiB each)`);
  const floorSession = await Session.start({ kind: 'floor', cap: ctx.cap });
  let floorRates: number[];
  try {
    floorRates = await listenerRounds(floorSession, batches, rounds, false);
  } finally {
    await floorSession.close();
  }
  const sink = await SinkServer.start();
  let rates: number[];
  try {
    const session = await Session.start({
      kind: 'extension',
      layerDir: ctx.layerDir,
      cap: ctx.cap,
      settings: { sink: 'http', endpoint: sink.url, compression: 'none', strategy: 'end-of-invocation' },
    });
    try {
      await session.invokeOnce();
      rates = await listenerRounds(session, batches, rounds, true);
    } finally {
      await session.close();
    }
  } finally {
    await sink.close();
  }
  const floor = summarize(floorRates);
  const subject = summarize(rates);
  rows.push({
    id: 'ingest.listener',
    bench: 'ingest',
    cap: ctx.cap.label,
    unit: 'ev/s',
    subject,
    floor,
    goal: { text: `p50>=${INGEST_GOAL_RATIO}x floor`, met: subject.p50 >= INGEST_GOAL_RATIO * floor.p50 },
    note: `per round of ${ROUND_BATCHES} deliveries of ${BATCH_EVENTS} events (${batchKiB.toFixed(0)} KiB); floor: node:http + JSON.parse + 200`,
  });

  // In-process: the validation's share (uncapped runs only: the harness is not under the cap).
  if (ctx.cap.method === 'none') {
    const texts = batches.slice(0, ROUND_BATCHES).map((b) => b.toString('utf8'));
    const repeat = count(ctx, { smoke: 1, quick: 5, full: 15 });
    const parseOnly: number[] = [];
    const validate: number[] = [];
    for (let r = 0; r < repeat; r++) {
      let start = process.hrtime.bigint();
      for (const text of texts) JSON.parse(text);
      parseOnly.push((texts.length * BATCH_EVENTS) / (nsToMs(process.hrtime.bigint() - start) / 1000));
      start = process.hrtime.bigint();
      let kept = 0;
      for (const text of texts) kept += parseBatch(JSON.parse(text), Date.now()).events.length;
      validate.push((texts.length * BATCH_EVENTS) / (nsToMs(process.hrtime.bigint() - start) / 1000));
      if (kept !== texts.length * BATCH_EVENTS) throw new Error(`parseBatch kept ${kept} of ${texts.length * BATCH_EVENTS} events`);
    }
    rows.push({
      id: 'ingest.in-process.validate',
      bench: 'ingest',
      cap: ctx.cap.label,
      unit: 'ev/s',
      subject: summarize(validate),
      floor: summarize(parseOnly),
      note: 'JSON.parse + parseBatch in the harness process; floor: JSON.parse alone',
    });
  }

  // End to end to a local OTLP receiver: pipeline capacity (10 ms interval), then the defaults.
  ctx.log(`ingest: end to end, ${e2eRuns} x ${e2eBatches} deliveries, twice`);
  for (const variant of E2E_VARIANTS) {
    const e2eRates: number[] = [];
    let resent = 0;
    for (let run = 0; run < e2eRuns; run++) {
      const receiver = await SinkServer.start();
      const session = await Session.start({
        kind: 'extension',
        layerDir: ctx.layerDir,
        cap: ctx.cap,
        settings: { sink: 'otlp', endpoint: receiver.url, strategy: 'continuously', intervalMs: variant.intervalMs },
      });
      try {
        const marker = `bench-end-${randomUUID()}`;
        const arrived = receiver.waitForMarker(marker, 300_000);
        const start = process.hrtime.bigint();
        let accepted = start;
        for (const body of batches.slice(0, e2eBatches)) {
          resent += await session.pusher.postUntilTaken(body, 5, 100_000);
          accepted = process.hrtime.bigint();
        }
        await session.pusher.postUntilTaken(markerBatch(marker), 5, 100_000);
        const end = variant.until === 'received' ? await arrived : accepted;
        e2eRates.push((e2eBatches * BATCH_EVENTS) / (nsToMs(end - start) / 1000));
        await arrived;
      } finally {
        await session.close();
        await receiver.close();
      }
    }
    const summary = summarize(e2eRates);
    rows.push({
      id: variant.id,
      bench: 'ingest',
      cap: ctx.cap.label,
      unit: 'ev/s',
      subject: summary,
      goal: variant.goal && ctx.cap.method === 'none' ? { text: `p50>=${E2E_GOAL_EVENTS_PER_S / 1000}k ev/s`, met: summary.p50 >= E2E_GOAL_EVENTS_PER_S } : undefined,
      note: `${e2eBatches * BATCH_EVENTS} events per run, OTLP http/protobuf gzip, ${variant.note}; ${resent} deliveries resent after 503 (queue full)`,
    });
  }
  return rows;
}
