/**
 * 1. Init: spawn of the launcher -> its first `event/next`, including register, listener start
 * and subscribe. Floor: floors/floor-extension.cjs (register + listen + subscribe + next with
 * node:http and nothing else) on the same Node.js. Subjects and floor alternate, one process at
 * a time, so both see the same machine load. Goal: p50 <= floor p50 + 15 ms.
 */
import { count, type BenchContext } from './context';
import type { BenchRow } from './report';
import { Session, type ExtensionSettings, type InitTimes } from './session';
import { SinkServer } from './sink-server';
import { summarize } from './stats';

export const INIT_GOAL_MS = 15;

interface Variant {
  readonly id: string;
  readonly kind: 'extension' | 'floor';
  readonly layerDir?: string;
  readonly nodeBin?: string;
  readonly settings?: ExtensionSettings;
  readonly floorOf?: string;
}

function median(values: number[]): number {
  return summarize(values).p50;
}

export async function benchInit(ctx: BenchContext): Promise<BenchRow[]> {
  const iterations = count(ctx, { smoke: 2, quick: 10, full: 30, capped: 10 });
  const sink = await SinkServer.start();
  const variants: Variant[] = [
    { id: 'floor', kind: 'floor' },
    { id: 'init.stdout', kind: 'extension', layerDir: ctx.layerDir, settings: { sink: 'stdout' }, floorOf: 'floor' },
    { id: 'init.otlp', kind: 'extension', layerDir: ctx.layerDir, settings: { sink: 'otlp', endpoint: sink.url }, floorOf: 'floor' },
  ];
  if (ctx.bundled) {
    const b = ctx.bundled;
    variants.push(
      { id: `floor.${b.label}`, kind: 'floor', nodeBin: b.nodeBin },
      { id: `init.otlp.bundled-${b.label}`, kind: 'extension', layerDir: b.layerDir, settings: { sink: 'otlp', endpoint: sink.url }, floorOf: `floor.${b.label}` },
    );
  }
  const times = new Map<string, InitTimes[]>(variants.map((v) => [v.id, []]));
  try {
    for (let i = 0; i < iterations; i++) {
      for (const v of variants) {
        const session = await Session.start({ kind: v.kind, layerDir: v.layerDir, settings: v.settings, nodeBin: v.nodeBin, cap: ctx.cap });
        times.get(v.id)?.push(session.init);
        await session.close();
      }
      if ((i + 1) % 10 === 0) ctx.log(`init: ${i + 1}/${iterations}`);
    }
  } finally {
    await sink.close();
  }

  const rows: BenchRow[] = [];
  for (const v of variants) {
    if (!v.floorOf) {
      rows.push({ id: `init.${v.id}`, bench: 'init', cap: ctx.cap.label, unit: 'ms', subject: summarize((times.get(v.id) ?? []).map((t) => t.nextMs)) });
      continue;
    }
    const own = times.get(v.id) ?? [];
    const floor = times.get(v.floorOf) ?? [];
    const subject = summarize(own.map((t) => t.nextMs));
    const floorSummary = summarize(floor.map((t) => t.nextMs));
    const phases = (list: InitTimes[]) =>
      `register ${median(list.map((t) => t.registerMs)).toFixed(1)}, subscribe ${median(list.map((t) => t.subscribeMs)).toFixed(1)}, next ${median(list.map((t) => t.nextMs)).toFixed(1)}`;
    rows.push({
      id: v.id,
      bench: 'init',
      cap: ctx.cap.label,
      unit: 'ms',
      subject,
      floor: floorSummary,
      goal: { text: `p50<=floor+${INIT_GOAL_MS}ms`, met: subject.p50 <= floorSummary.p50 + INIT_GOAL_MS },
      note: `p50 ms from spawn: ${phases(own)}; floor: ${phases(floor)}`,
    });
  }
  return rows;
}
