/** What every benchmark module gets from the runner. */
import { NO_CAP, type CpuCap } from './cpu-cap';

/** `smoke`: a few iterations (tests); `quick`: `--quick`; `full`: the default run. */
export type Effort = 'smoke' | 'quick' | 'full';

export interface BundledNodeLayer {
  /** A layer folder with `telemetry-extension/bin/node`. */
  readonly layerDir: string;
  /** That Node.js binary (the floor runs on it too). */
  readonly nodeBin: string;
  /** e.g. `node22`. */
  readonly label: string;
}

export interface BenchContext {
  /** The Node-runtime layer folder (launcher + bundle). */
  readonly layerDir: string;
  readonly effort: Effort;
  readonly cap: CpuCap;
  /** Progress lines (stderr), not part of the table. */
  readonly log: (line: string) => void;
  /** A bundled-Node layer for this machine's architecture, when available. */
  readonly bundled?: BundledNodeLayer;
}

/** Picks a count by effort; capped runs (about 14x slower) take `capped` when given. */
export function count(ctx: BenchContext, counts: { smoke: number; quick: number; full: number; capped?: number }): number {
  const base = counts[ctx.effort];
  if (ctx.cap.method === 'none' || counts.capped === undefined || ctx.effort === 'smoke') return base;
  return Math.min(base, ctx.effort === 'quick' ? Math.max(1, Math.ceil(counts.capped / 2)) : counts.capped);
}

export function smokeContext(layerDir: string, log: (line: string) => void = () => undefined): BenchContext {
  return { layerDir, effort: 'smoke', cap: NO_CAP, log };
}
