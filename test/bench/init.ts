/**
 * 1. Init: spawn of the launcher -> its first `event/next`, including register, listener start
 * and subscribe. Floor: floors/floor-extension.cjs (register + listen + subscribe + next with
 * node:http and nothing else) on the same Node.js. Subjects and floor alternate, one process at
 * a time, so both see the same machine load. Goal (issue 12): p50 <= 1.25 x the floor's p50.
 *
 * `.register` rows: spawn -> `register` (Lambda starts the runtime once every extension has
 * registered). With a bundled Node.js 22 layer, the launcher's V8 compile cache
 * (NODE_COMPILE_CACHE, Node >= 22.1) is measured empty (a fresh environment: every first cold
 * start) and warm (a re-init of the same environment: /tmp survives a reset).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { count, type BenchContext } from './context';
import type { BenchRow } from './report';
import { Session, type ExtensionSettings, type InitTimes } from './session';
import { SinkServer } from './sink-server';
import { summarize } from './stats';

/** Issue 12: spawn to first `next` p50 <= 1.25 x the floor's (it was floor + 15 ms before). */
export const INIT_GOAL_RATIO = 1.25;

interface Variant {
  readonly id: string;
  readonly kind: 'extension' | 'floor';
  readonly layerDir?: string;
  readonly nodeBin?: string;
  readonly settings?: ExtensionSettings;
  readonly floorOf?: string;
  /** The V8 compile cache folder: `cold` = a new empty one for every start. */
  readonly compileCache?: 'cold' | 'warm';
}

const COMPILE_CACHE = 'NODE_COMPILE_CACHE';

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
    const otlp: ExtensionSettings = { sink: 'otlp', endpoint: sink.url };
    variants.push(
      { id: `floor.${b.label}`, kind: 'floor', nodeBin: b.nodeBin },
      { id: `init.otlp.bundled-${b.label}`, kind: 'extension', layerDir: b.layerDir, settings: otlp, floorOf: `floor.${b.label}`, compileCache: 'cold' },
      { id: `init.otlp.bundled-${b.label}.warm-cache`, kind: 'extension', layerDir: b.layerDir, settings: otlp, floorOf: `floor.${b.label}`, compileCache: 'warm' },
    );
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-init-'));
  const warmCache = path.join(scratch, 'warm');
  let cold = 0;
  const start = (v: Variant, cacheDir: string) => Session.start({
    kind: v.kind,
    layerDir: v.layerDir,
    settings: v.settings && { ...v.settings, extraEnv: { [COMPILE_CACHE]: cacheDir } },
    nodeBin: v.nodeBin,
    cap: ctx.cap,
  });
  const times = new Map<string, InitTimes[]>(variants.map((v) => [v.id, []]));
  try {
    // The warm cache is written when the process exits normally (at SHUTDOWN), as in Lambda.
    const warm = variants.find((v) => v.compileCache === 'warm');
    if (warm) {
      const primer = await start(warm, warmCache);
      await primer.shutdown();
      await primer.close();
    }
    for (let i = 0; i < iterations; i++) {
      for (const v of variants) {
        const cacheDir = v.compileCache === 'warm' ? warmCache : path.join(scratch, `cold-${cold++}`);
        const session = await start(v, cacheDir);
        times.get(v.id)?.push(session.init);
        await session.close();
        if (v.compileCache !== 'warm') fs.rmSync(cacheDir, { recursive: true, force: true });
      }
      if ((i + 1) % 10 === 0) ctx.log(`init: ${i + 1}/${iterations}`);
    }
  } finally {
    await sink.close();
    fs.rmSync(scratch, { recursive: true, force: true });
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
      goal: { text: `p50<=${INIT_GOAL_RATIO}x floor`, met: subject.p50 <= INIT_GOAL_RATIO * floorSummary.p50 },
      note: `p50 ms from spawn: ${phases(own)}; floor: ${phases(floor)}`,
    }, {
      id: `${v.id}.register`,
      bench: 'init',
      cap: ctx.cap.label,
      unit: 'ms',
      subject: summarize(own.map((t) => t.registerMs)),
      floor: summarize(floor.map((t) => t.registerMs)),
    });
  }
  return rows;
}
