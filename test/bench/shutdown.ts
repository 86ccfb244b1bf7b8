/**
 * 6. Shutdown: from writing SHUTDOWN (deadline 2 s, as Lambda gives with external extensions) to
 * the process's exit, with a full queue. The extension runs `end-of-invocation`, so after one
 * invocation the deliveries POSTed next stay queued until the listener refuses one (queue full)
 * or {@link FILL_DELIVERIES} were taken. Right after SHUTDOWN the harness delivers the last
 * invocation's `platform.report` (resent while refused), as Lambda does.
 * - healthy sink (OTLP receiver answering at once): goal <= 1.5 s, and everything exported;
 * - hanging sink (never answers): goal: exit before the deadline (not SIGKILLed).
 * Floor: the floor extension, which exits as soon as SHUTDOWN arrives.
 */
import { buildBatches, reportDelivery } from './batches';
import { count, type BenchContext } from './context';
import type { BenchRow } from './report';
import { Session } from './session';
import { SinkServer, type SinkMode } from './sink-server';
import { summarize } from './stats';

export const SHUTDOWN_BUDGET_MS = 2_000;
export const HEALTHY_GOAL_MS = 1_500;
export const FILL_DELIVERIES = 17;

interface Outcome {
  readonly exitMs: number;
  readonly killed: boolean;
  readonly queued: number;
  readonly fields: Record<string, string>;
}

async function shutdownOnce(ctx: BenchContext, mode: SinkMode, batches: readonly Buffer[]): Promise<Outcome> {
  const sink = await SinkServer.start({ mode });
  const session = await Session.start({ kind: 'extension', layerDir: ctx.layerDir, cap: ctx.cap, settings: { sink: 'otlp', endpoint: sink.url, strategy: 'end-of-invocation' } });
  try {
    if (mode === 'hang') sink.mode = 'ok';
    const last = await session.invokeOnce();
    if (mode === 'hang') sink.mode = 'hang';
    let queued = 0;
    for (const body of batches) {
      const reply = await session.pusher.post(body);
      if (reply.status !== 200) break;
      queued += 1000;
    }
    const result = await session.shutdown(SHUTDOWN_BUDGET_MS, async () => {
      void session.pusher.postUntilTaken(reportDelivery(last), 20, 100).catch(() => undefined);
    });
    return { exitMs: result.exitMs, killed: result.killed, queued, fields: session.logFields('INFO shutdown') };
  } finally {
    await session.close();
    await sink.close();
  }
}

export async function benchShutdown(ctx: BenchContext): Promise<BenchRow[]> {
  const reps = count(ctx, { smoke: 1, quick: 3, full: 5 });
  const batches = buildBatches(FILL_DELIVERIES);
  const cap = ctx.cap.label;

  const floorMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const session = await Session.start({ kind: 'floor', cap: ctx.cap });
    try {
      floorMs.push((await session.shutdown(SHUTDOWN_BUDGET_MS)).exitMs);
    } finally {
      await session.close();
    }
  }
  const floor = summarize(floorMs);
  const rows: BenchRow[] = [{ id: 'shutdown.floor', bench: 'shutdown', cap, unit: 'ms', subject: floor }];

  for (const mode of ['ok', 'hang'] as const) {
    ctx.log(`shutdown: ${mode === 'ok' ? 'healthy' : 'hanging'} sink, ${reps} times`);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < reps; i++) outcomes.push(await shutdownOnce(ctx, mode, batches));
    const subject = summarize(outcomes.map((o) => o.exitMs));
    const killed = outcomes.filter((o) => o.killed).length;
    const f = outcomes[outcomes.length - 1].fields;
    const accounting = `last run: ${outcomes[outcomes.length - 1].queued} events queued; exported=${f.exported ?? '?'} dropped=${f.dropped ?? '?'} unsent=${f.unsent ?? '?'} sinkShutdown=${f.sinkShutdown ?? '?'}`;
    rows.push(mode === 'ok'
      ? {
        id: 'shutdown.full-queue.healthy-sink',
        bench: 'shutdown',
        cap,
        unit: 'ms',
        subject,
        floor,
        goal: { text: `max<=${HEALTHY_GOAL_MS}ms`, met: subject.max <= HEALTHY_GOAL_MS && killed === 0 },
        note: accounting,
      }
      : {
        id: 'shutdown.full-queue.hanging-sink',
        bench: 'shutdown',
        cap,
        unit: 'ms',
        subject,
        floor,
        goal: { text: `exit<${SHUTDOWN_BUDGET_MS}ms,no SIGKILL`, met: killed === 0 && subject.max < SHUTDOWN_BUDGET_MS },
        note: `${killed} of ${outcomes.length} SIGKILLed at the deadline; ${accounting}`,
      });
  }
  return rows;
}
