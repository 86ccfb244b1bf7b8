/**
 * 4. Memory (resident set size from /proc/<pid>/status), against an idle node:http server
 * (floors/idle-server.cjs), on the machine as it is and in a {@link FUNCTION_MEMORY_MB} MB memory
 * cgroup (cap column `128MB`): Node.js sizes V8's heap for the memory it sees, so on a 24 GB
 * machine it lets garbage pile up far longer than in a 128 MB function.
 * - `memory.idle`: right after init (+ a short settle). Goal: <= floor + 10 MB.
 * - `memory.after-100k`: after 100k events went through to an OTLP receiver (`.peak`: VmHWM).
 * - `memory.outage.*`: the sink answers 503 to everything; deliveries are POSTed until the
 *   listener refuses them (queue full), then {@link OUTAGE_EXTRA_DELIVERIES} more are refused.
 *   `accepted` must stay within the queue's limits plus the one chunk the export loop holds
 *   (the cap holds); `rss` sums up the readings during the outage, `growth` compares the
 *   largest RSS over the last third of the refused deliveries with the first third (bounded: ~0).
 */
import { randomUUID } from 'node:crypto';
import { buildBatches, markerBatch } from './batches';
import { count, type BenchContext } from './context';
import { createMemoryLimit, NO_CAP, type CpuCap } from './cpu-cap';
import { BenchProcess, IDLE_SERVER, lambdaEnv } from './processes';
import type { BenchRow } from './report';
import { Session, type ExtensionSettings } from './session';
import { SinkServer } from './sink-server';
import { summarize, type Summary } from './stats';
import { DEFAULT_CHUNK_SIZE } from '../../extension-src/pipeline/export-loop';
import { LIMITS } from '../../lib/config/contract';

export const IDLE_GOAL_BYTES = 10_000_000;
/** Issue 12: RSS after 100k events and during a sink outage <= the idle floor + 15 MiB. */
export const BUSY_GOAL_MIB = 15;
export const OUTAGE_EXTRA_DELIVERIES = 90;
const SETTLE_MS = 300;
const MIB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function idleFloorRss(cap: CpuCap): Promise<number> {
  const proc = BenchProcess.spawn({ command: process.execPath, args: [IDLE_SERVER], env: lambdaEnv('127.0.0.1:9'), cap });
  try {
    for (let i = 0; i < 200 && !proc.lines.some((l) => l.startsWith('ready')); i++) await sleep(10);
    await sleep(SETTLE_MS);
    return proc.rssBytes();
  } finally {
    await proc.kill();
  }
}

function mib(values: number[]): Summary {
  return summarize(values.map((v) => v / MIB));
}

/** Measured on the machine as it is, then (not in smoke runs) in a memory cgroup of this size. */
export const FUNCTION_MEMORY_MB = 128;

export async function benchMemory(ctx: BenchContext): Promise<BenchRow[]> {
  const rows = await memoryUnder(ctx, NO_CAP);
  const limit = ctx.effort === 'smoke' ? undefined : createMemoryLimit(FUNCTION_MEMORY_MB);
  if (!limit) return rows;
  ctx.log(`memory: again in ${limit.describe()}`);
  try {
    rows.push(...(await memoryUnder(ctx, limit)));
  } finally {
    limit.dispose();
  }
  return rows;
}

async function memoryUnder(ctx: BenchContext, limit: CpuCap): Promise<BenchRow[]> {
  const samples = count(ctx, { smoke: 1, quick: 3, full: 5 });
  const deliveries = count(ctx, { smoke: 3, quick: 100, full: 100 });
  const cap = limit.label;
  const sink = await SinkServer.start();
  const otlp: ExtensionSettings = { sink: 'otlp', endpoint: sink.url, strategy: 'continuously' };
  const rows: BenchRow[] = [];
  try {
    // Idle.
    ctx.log(`memory: idle, ${samples} processes each`);
    const floorRss: number[] = [];
    const idleRss: number[] = [];
    for (let i = 0; i < samples; i++) {
      floorRss.push(await idleFloorRss(limit));
      const session = await Session.start({ kind: 'extension', layerDir: ctx.layerDir, settings: otlp, cap: limit });
      try {
        await sleep(SETTLE_MS);
        idleRss.push(session.proc.rssBytes());
      } finally {
        await session.close();
      }
    }
    const floor = mib(floorRss);
    const idle = mib(idleRss);
    rows.push({
      id: 'memory.idle',
      bench: 'memory',
      cap,
      unit: 'MiB',
      subject: idle,
      floor,
      goal: { text: '<=floor+10MB', met: idle.p50 * MIB <= floor.p50 * MIB + IDLE_GOAL_BYTES },
      note: 'OTLP sink configured; floor: an idle node:http server',
    });

    // After 100k events.
    ctx.log(`memory: after ${deliveries}k events`);
    const batches = buildBatches(Math.min(deliveries, 20));
    const session = await Session.start({ kind: 'extension', layerDir: ctx.layerDir, settings: otlp, cap: limit });
    try {
      const marker = `bench-end-${randomUUID()}`;
      const arrived = sink.waitForMarker(marker, 300_000);
      for (let i = 0; i < deliveries; i++) await session.pusher.postUntilTaken(batches[i % batches.length], 5, 100_000);
      await session.pusher.postUntilTaken(markerBatch(marker), 5, 100_000);
      await arrived;
      await sleep(SETTLE_MS);
      rows.push(
        {
          id: 'memory.after-100k',
          bench: 'memory',
          cap,
          unit: 'MiB',
          subject: mib([session.proc.rssBytes()]),
          floor,
          goal: busyGoal(session.proc.rssBytes() / MIB, floor.p50),
          note: `${deliveries * 1000} events delivered to the OTLP receiver, read ${SETTLE_MS} ms after the last export`,
        },
        { id: 'memory.after-100k.peak', bench: 'memory', cap, unit: 'MiB', subject: mib([session.proc.peakRssBytes()]), floor },
      );
    } finally {
      await session.close();
    }
  } finally {
    await sink.close();
  }
  rows.push(...(await outage(ctx, limit, rows[0].floor!)));
  return rows;
}

function busyGoal(rssMiB: number, floorMiB: number): NonNullable<BenchRow['goal']> {
  return { text: `<=floor+${BUSY_GOAL_MIB}MiB`, met: rssMiB <= floorMiB + BUSY_GOAL_MIB };
}

async function outage(ctx: BenchContext, limit: CpuCap, floor: Summary): Promise<BenchRow[]> {
  ctx.log('memory: sink outage');
  const cap = limit.label;
  const sink = await SinkServer.start({ mode: 'fail' });
  const session = await Session.start({ kind: 'extension', layerDir: ctx.layerDir, settings: { sink: 'otlp', endpoint: sink.url, strategy: 'continuously' }, cap: limit });
  try {
    const batches = buildBatches(25);
    let accepted = 0;
    let refused = 0;
    const beforeFull: number[] = [];
    const afterFull: number[] = [];
    for (let i = 0; refused < OUTAGE_EXTRA_DELIVERIES && i < 400; i++) {
      const reply = await session.pusher.post(batches[i % batches.length]);
      if (reply.status === 200) accepted += 1000;
      else if (reply.status === 503) refused++;
      else throw new Error(`listener answered ${reply.status} during the outage`);
      (refused === 0 ? beforeFull : afterFull).push(session.proc.rssBytes());
      if (refused > 0) await sleep(10);
    }
    const third = Math.max(1, Math.floor(afterFull.length / 3));
    const growth = Math.max(...afterFull.slice(-third)) - Math.max(...afterFull.slice(0, third));
    const limitItems = LIMITS.queueMaxItems.default + DEFAULT_CHUNK_SIZE;
    const bytesPerEvent = batches[0].length / 1000;
    const limitByBytes = Math.ceil(LIMITS.queueMaxBytes.default / bytesPerEvent) + 2 * DEFAULT_CHUNK_SIZE;
    const acceptedLimit = Math.min(limitItems, limitByBytes);
    const rss = mib([...beforeFull, ...afterFull]);
    return [
      {
        id: 'memory.outage.accepted',
        bench: 'memory',
        cap,
        unit: 'events',
        subject: summarize([accepted]),
        goal: { text: '<=queue cap+1 chunk', met: accepted <= acceptedLimit },
        note: `queue cap ${LIMITS.queueMaxItems.default} events / ${LIMITS.queueMaxBytes.default / MIB} MiB (about ${Math.floor(LIMITS.queueMaxBytes.default / bytesPerEvent)} of these events) + ${DEFAULT_CHUNK_SIZE} in flight; then ${refused} deliveries refused (503)`,
      },
      {
        id: 'memory.outage.rss',
        bench: 'memory',
        cap,
        unit: 'MiB',
        subject: rss,
        floor,
        goal: { text: `max<=floor+${BUSY_GOAL_MIB}MiB`, met: rss.max <= floor.p50 + BUSY_GOAL_MIB },
        note: 'RSS after every delivery, until the queue was full and while it refused; floor: the idle node:http server',
      },
      {
        id: 'memory.outage.growth',
        bench: 'memory',
        cap,
        unit: 'MiB',
        subject: summarize([growth / MIB]),
        note: `largest RSS over the last third of the refused deliveries minus over the first third (${afterFull.length} readings)`,
      },
    ];
  } finally {
    await session.close();
    await sink.close();
  }
}
