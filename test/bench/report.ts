/**
 * The benchmark's output: one row per metric, printed as a fixed-column table (stable, so that
 * runs can be compared with `diff` or `grep '^bench '`) and written as JSON.
 *
 * Row ids are a contract: never rename one, add new ids instead. Columns: `p50 p90 p99 min max`
 * of the subject (the built layer), `floor` = p50 of the floor measured in the same run,
 * `x_floor` = subject p50 / floor p50, `goal` and whether this run `met` it (`-`: no goal).
 * Timing never fails anything: `met` is information.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Summary } from './stats';

export type BenchName = 'init' | 'overhead' | 'ingest' | 'memory' | 'size' | 'shutdown' | 'cpu';
export const BENCH_NAMES: readonly BenchName[] = ['init', 'overhead', 'ingest', 'memory', 'size', 'shutdown', 'cpu'];

export type Unit = 'ms' | 'us' | 'ev/s' | 'MiB' | 'KiB' | 'events';

export interface Goal {
  /** Human-readable, e.g. `p50<=floor+15ms`. */
  readonly text: string;
  readonly met: boolean;
}

export interface BenchRow {
  /** Stable id, e.g. `init.otlp`. */
  readonly id: string;
  readonly bench: BenchName;
  /** `none`, or the CPU cap the subject and its floor ran under (e.g. `7%`). */
  readonly cap: string;
  readonly unit: Unit;
  readonly subject: Summary;
  readonly floor?: Summary;
  readonly goal?: Goal;
  /** Free text: what was measured, caveats. Printed below the table, not in the row. */
  readonly note?: string;
}

export interface BenchReport {
  readonly format: 'telemetry-extension-bench/1';
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string; readonly platform: string };
  readonly options: Readonly<Record<string, unknown>>;
  readonly rows: readonly BenchRow[];
  readonly notes: readonly string[];
}

export function ratio(row: BenchRow): number | undefined {
  if (!row.floor || !(row.floor.p50 > 0)) return undefined;
  return row.subject.p50 / row.floor.p50;
}

/** A number in at most 9 characters, precision by magnitude. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 100_000) return value.toFixed(0);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  return value.toFixed(3);
}

const COLUMNS: ReadonlyArray<readonly [string, number, 'left' | 'right']> = [
  ['bench', 5, 'left'],
  ['id', 46, 'left'],
  ['cap', 4, 'left'],
  ['unit', 6, 'left'],
  ['n', 5, 'right'],
  ['p50', 9, 'right'],
  ['p90', 9, 'right'],
  ['p99', 9, 'right'],
  ['min', 9, 'right'],
  ['max', 9, 'right'],
  ['floor', 9, 'right'],
  ['x_floor', 7, 'right'],
  ['goal', 26, 'left'],
  ['met', 3, 'left'],
];

function cell(text: string, width: number, align: 'left' | 'right'): string {
  return align === 'left' ? text.padEnd(width) : text.padStart(width);
}

function line(values: readonly string[]): string {
  return values.map((v, i) => cell(v, COLUMNS[i][1], COLUMNS[i][2])).join('  ').trimEnd();
}

export function formatRow(row: BenchRow): string {
  const s = row.subject;
  const r = ratio(row);
  return line([
    'bench',
    row.id,
    row.cap,
    row.unit,
    String(s.n),
    formatNumber(s.p50),
    formatNumber(s.p90),
    formatNumber(s.p99),
    formatNumber(s.min),
    formatNumber(s.max),
    formatNumber(row.floor?.p50),
    r === undefined ? '-' : `${r.toFixed(2)}x`,
    row.goal?.text ?? '-',
    row.goal ? (row.goal.met ? 'yes' : 'NO') : '-',
  ]);
}

/** The whole table: a header, one line per row, then the rows' notes. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = line(COLUMNS.map(([name]) => name));
  const out = [header, ...rows.map(formatRow)];
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.id} [${r.cap}]: ${r.note}`);
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` };
}

/** Writes `report` as pretty JSON (creates the folder). */
export function writeReport(file: string, report: BenchReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && Number.isNaN(value) ? null : value), 2)}\n`);
}
