/**
 * Keeps the benchmark suite from rotting: every module runs against the real layer with tiny
 * iteration counts and must produce well-formed rows. No timing is asserted: benchmarks print
 * figures, they never fail on speed.
 */
import { smokeContext } from './context';
import { NO_CAP } from './cpu-cap';
import { benchIngest } from './ingest';
import { benchInit } from './init';
import { benchMemory } from './memory';
import { benchOverhead } from './overhead';
import { BENCH_NAMES, formatRow, formatTable, type BenchRow } from './report';
import { parseArgs } from './run';
import { benchShutdown } from './shutdown';
import { benchSize } from './size';
import { percentile, summarize } from './stats';
import { DEFAULT_LAYER_DIR } from '../../projenrc/bundle-extension';

const ctx = smokeContext(DEFAULT_LAYER_DIR);

function expectWellFormed(rows: readonly BenchRow[], bench: string, ids: readonly string[]): void {
  expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining([...ids]));
  for (const row of rows) {
    expect(row.bench).toBe(bench);
    expect(row.cap).toBe(NO_CAP.label);
    expect(row.subject.n).toBeGreaterThan(0);
    for (const value of [row.subject.p50, row.subject.p90, row.subject.p99, row.subject.min, row.subject.max]) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(row.subject.min).toBeLessThanOrEqual(row.subject.p50);
    expect(row.subject.p50).toBeLessThanOrEqual(row.subject.max);
    if (row.floor) expect(Number.isFinite(row.floor.p50)).toBe(true);
    if (row.goal) expect(typeof row.goal.met).toBe('boolean');
    const line = formatRow(row);
    expect(line.startsWith(`bench  ${row.id}`)).toBe(true);
    expect(line).not.toContain('NaN');
  }
}

describe('statistics and output', () => {
  test('percentiles are nearest-rank values of the samples', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(summarize([3, 1, 2])).toMatchObject({ n: 3, p50: 2, min: 1, max: 3, mean: 2 });
    expect(summarize([]).n).toBe(0);
  });

  test('every row is one line with the same columns as the header', () => {
    const row: BenchRow = { id: 'init.example', bench: 'init', cap: 'none', unit: 'ms', subject: summarize([1, 2]), floor: summarize([1]) };
    const [header, line] = formatTable([row]).split('\n');
    expect(line.split(/\s{2,}/).length).toBe(header.split(/\s{2,}/).length);
  });

  test('arguments', () => {
    expect(parseArgs(['--quick', '--only=init,size', '--cap=off'])).toMatchObject({ effort: 'quick', only: ['init', 'size'], cap: 'off' });
    expect(parseArgs([]).only).toEqual(BENCH_NAMES);
    expect(() => parseArgs(['--only=nope'])).toThrow(/unknown benchmark nope/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument/);
  });
});

describe('each benchmark produces well-formed figures', () => {
  test('size', async () => {
    expectWellFormed(await benchSize(ctx), 'size', ['size.node-runtime.zipped', 'size.node-runtime.unzipped']);
  });

  test('init', async () => {
    expectWellFormed(await benchInit(ctx), 'init', ['init.floor', 'init.stdout', 'init.otlp']);
  });

  test('overhead', async () => {
    expectWellFormed(await benchOverhead(ctx), 'overhead', [
      'overhead.floor',
      'overhead.adaptive.sink0ms',
      'overhead.continuously.sink50ms',
      'overhead.end-of-invocation.sink50ms',
    ]);
  });

  test('ingest', async () => {
    expectWellFormed(await benchIngest(ctx), 'ingest', ['ingest.listener', 'ingest.in-process.validate', 'ingest.e2e.otlp', 'ingest.e2e.otlp.default-interval']);
  });

  test('memory', async () => {
    const rows = await benchMemory(ctx);
    expectWellFormed(rows, 'memory', ['memory.idle', 'memory.after-100k', 'memory.outage.accepted', 'memory.outage.growth']);
    expect(rows.find((r) => r.id === 'memory.outage.accepted')?.goal?.met).toBe(true);
  });

  test('shutdown', async () => {
    const rows = await benchShutdown(ctx);
    expectWellFormed(rows, 'shutdown', ['shutdown.floor', 'shutdown.full-queue.healthy-sink', 'shutdown.full-queue.hanging-sink']);
  });
});
