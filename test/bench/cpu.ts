/**
 * 7. CPU time the extension process spends (issue 12): what a small function pays for it out of
 * its own CPU share (a 128 MB function gets about 1/14 of a core), read from outside as the
 * process's own CPU time ({@link BenchProcess.cpuMs}: all threads, user + system), far steadier
 * than wall time on a shared machine. The layer runs with its defaults (adaptive flushing every
 * 1 s, gzip), `platform` + `function` types, OTLP sink to a local receiver; the floor
 * (floors/floor-extension.cjs: node:http + JSON.parse, exports nothing) does the same work in the
 * same run, under the same cap.
 *
 * - `cpu.invocation`: CPU per invocation: INVOKE, one delivery of `platform.start`, three
 *   function log lines, `platform.runtimeDone` and the previous `platform.report`, then `next`.
 *   One sample per block of invocations; a block's last log line carries a marker and the block
 *   ends when the receiver has it, so every sample includes the export of its own telemetry.
 *   Goal (issue 12): p50 <= 1.5 x floor.
 * - `cpu.log-event`: CPU per `function` log event end to end: deliveries of 1000 log events
 *   (./batches.ts), resent after 503 as Lambda does, one sample per run of {@link RUN_BATCHES}
 *   deliveries, ended by a marker reaching the receiver; the defaults flush the queue's tail at
 *   the next invocation, so each run ends with one (INVOKE, its runtimeDone alone, `next`; the
 *   floor's runs too). Goal (issue 12): p50 <= 4 x floor.
 * Under the CPU cap, invocations are {@link CAPPED_GAP_MS} apart (as in ./overhead.ts).
 */
import { randomUUID } from 'node:crypto';
import { cpuInvocationDelivery, functionLogBatches, markerBatch, runtimeDoneDelivery } from './batches';
import { count, type BenchContext } from './context';
import { CAPPED_GAP_MS } from './overhead';
import type { BenchRow } from './report';
import { Session, type ExtensionSettings } from './session';
import { SinkServer } from './sink-server';
import { summarize } from './stats';
import { ENV } from '../../lib/config/contract';

export const CPU_INVOCATION_GOAL_RATIO = 1.5;
export const CPU_EVENT_GOAL_RATIO = 4;
export const RUN_BATCHES = 10;
export const BATCH_EVENTS = 1000;

/** The layer's defaults, but `platform` + `function` types only (the bench's default adds `extension`). */
export function defaultSettings(endpoint: string, extraEnv: Readonly<Record<string, string>> = {}): ExtensionSettings {
  return { sink: 'otlp', endpoint, extraEnv: { [ENV.TYPES]: 'platform,function', ...extraEnv } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Per-invocation CPU of `session`, ms, one figure per block. With a `receiver`, each block waits
 * for its marker there before the CPU is read (the floor exports nothing: no receiver).
 */
export async function invocationCpu(
  session: Session, blocks: number, blockSize: number, warmup: number, gapMs: number, receiver?: SinkServer,
): Promise<number[]> {
  let previous: string | undefined;
  const invoke = async (marker?: string) => {
    const requestId = randomUUID();
    const nextNumber = session.nextCount + 1;
    const body = cpuInvocationDelivery(requestId, Date.now(), previous, marker);
    session.lambda.invoke(requestId, Date.now() + 3_000);
    const pushed = session.pusher.postUntilTaken(body, 5, 1_000);
    await session.lambda.waitForNext(nextNumber, 15_000);
    await pushed;
    previous = requestId;
    if (gapMs > 0) await sleep(gapMs);
  };
  const block = async (size: number) => {
    const marker = receiver ? `bench-cpu-${randomUUID()}` : undefined;
    const arrived = marker ? receiver!.waitForMarker(marker, 120_000) : undefined;
    for (let i = 0; i < size; i++) await invoke(i === size - 1 ? marker : undefined);
    await arrived;
  };
  await block(warmup);
  const samples: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const start = session.proc.cpuMs();
    await block(blockSize);
    samples.push((session.proc.cpuMs() - start) / blockSize);
  }
  return samples;
}

/** Per-event CPU of `session`, us, one figure per run of `runBatches` deliveries (after one warm-up run). */
export async function eventCpu(
  session: Session, batches: readonly Buffer[], runs: number, runBatches: number, receiver?: SinkServer,
): Promise<number[]> {
  const run = async () => {
    const marker = `bench-cpu-${randomUUID()}`;
    const arrived = receiver?.waitForMarker(marker, 60_000);
    for (let i = 0; i < runBatches; i++) await session.pusher.postUntilTaken(batches[i % batches.length], 5, 100_000);
    await session.pusher.postUntilTaken(markerBatch(marker), 5, 100_000);
    // With the defaults (adaptive, infrequent invocations: flush at the end of each) the queue's
    // tail leaves at the next invocation: one, with only its runtimeDone (the floor gets it too).
    const requestId = randomUUID();
    const nextNumber = session.nextCount + 1;
    session.lambda.invoke(requestId, Date.now() + 10_000);
    await session.pusher.postUntilTaken(runtimeDoneDelivery(requestId), 5, 1_000);
    await session.lambda.waitForNext(nextNumber, 15_000);
    await arrived;
  };
  await run();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = session.proc.cpuMs();
    await run();
    samples.push(((session.proc.cpuMs() - start) * 1000) / (runBatches * BATCH_EVENTS));
  }
  return samples;
}

/** Runs `measure` against the floor, then against the layer with its own receiver. */
async function sideBySide(
  ctx: BenchContext, measure: (session: Session, receiver?: SinkServer) => Promise<number[]>, extraEnv?: Readonly<Record<string, string>>,
) {
  const floorSession = await Session.start({ kind: 'floor', cap: ctx.cap });
  let floor: number[];
  try {
    floor = await measure(floorSession);
  } finally {
    await floorSession.close();
  }
  const receiver = await SinkServer.start();
  try {
    const session = await Session.start({ kind: 'extension', layerDir: ctx.layerDir, settings: defaultSettings(receiver.url, extraEnv), cap: ctx.cap });
    try {
      const subject = await measure(session, receiver);
      return { floor: summarize(floor), subject: summarize(subject), sinkRequests: receiver.requests, sinkBytes: receiver.wireBytes };
    } finally {
      await session.close();
    }
  } finally {
    await receiver.close();
  }
}

/** `extraEnv`: extension environment on top of the defaults (experiments with launcher or settings). */
export async function benchCpu(ctx: BenchContext, extraEnv?: Readonly<Record<string, string>>): Promise<BenchRow[]> {
  const capped = ctx.cap.method !== 'none';
  const blocks = count(ctx, { smoke: 2, quick: 4, full: 10, capped: 4 });
  const blockSize = count(ctx, { smoke: 5, quick: 200, full: 300, capped: 50 });
  const warmup = count(ctx, { smoke: 3, quick: 100, full: 200, capped: 30 });
  const gapMs = capped ? CAPPED_GAP_MS : 0;
  const runs = count(ctx, { smoke: 2, quick: 5, full: 10, capped: 4 });
  const runBatches = count(ctx, { smoke: 2, quick: RUN_BATCHES, full: RUN_BATCHES * 2, capped: RUN_BATCHES });
  const batches = functionLogBatches(Math.min(runBatches, 20), BATCH_EVENTS);
  const rows: BenchRow[] = [];

  ctx.log(`cpu: per invocation, ${blocks} blocks of ${blockSize} (+${warmup} warm-up)`);
  const inv = await sideBySide(ctx, (session, receiver) => invocationCpu(session, blocks, blockSize, warmup, gapMs, receiver), extraEnv);
  rows.push({
    id: 'cpu.invocation',
    bench: 'cpu',
    cap: ctx.cap.label,
    unit: 'ms',
    subject: inv.subject,
    floor: inv.floor,
    goal: { text: `p50<=${CPU_INVOCATION_GOAL_RATIO}x floor`, met: inv.subject.p50 <= CPU_INVOCATION_GOAL_RATIO * inv.floor.p50 },
    note: `CPU ms per invocation (INVOKE, platform.start, 3 log lines, runtimeDone, report, next), per block of ${blockSize}, export included; defaults, platform+function, OTLP; ${inv.sinkRequests} sink requests; floor: node:http + JSON.parse, keep-alive to the API like the layer${gapMs > 0 ? `; ${gapMs} ms between invocations` : ''}`,
  });

  ctx.log(`cpu: per log event, ${runs} runs of ${runBatches} x ${BATCH_EVENTS} function log events`);
  const ev = await sideBySide(ctx, (session, receiver) => eventCpu(session, batches, runs, runBatches, receiver), extraEnv);
  rows.push({
    id: 'cpu.log-event',
    bench: 'cpu',
    cap: ctx.cap.label,
    unit: 'us',
    subject: ev.subject,
    floor: ev.floor,
    goal: { text: `p50<=${CPU_EVENT_GOAL_RATIO}x floor`, met: ev.subject.p50 <= CPU_EVENT_GOAL_RATIO * ev.floor.p50 },
    note: `CPU us per function log event end to end to the OTLP receiver, per run of ${runBatches} deliveries of ${BATCH_EVENTS}; ${(ev.sinkBytes / 1024).toFixed(0)} KiB on the wire in ${ev.sinkRequests} requests`,
  });
  return rows;
}
