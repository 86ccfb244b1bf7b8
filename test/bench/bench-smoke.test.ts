/**
 * Keeps the benchmark suite from rotting: every module runs against the real layer with tiny
 * iteration counts and must produce well-formed rows. No timing is asserted: benchmarks print
 * figures, they never fail on speed.
 */
import { smokeContext } from './context';
import { benchCpu } from './cpu';
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

/** What a row must carry besides its figures: a floor of the same run, a goal, both or neither. */
type Shape = 'plain' | 'floor' | 'goal' | 'floor+goal';

/**
 * `shapes`: every row id the benchmark must produce (and no other), with what it carries. Every
 * expectation applies to every row: none is skipped when a field is missing.
 */
function expectWellFormed(rows: readonly BenchRow[], bench: string, shapes: Readonly<Record<string, Shape>>): void {
  expect(rows.map((r) => r.id).sort()).toEqual(Object.keys(shapes).sort());
  for (const row of rows) {
    const shape = shapes[row.id];
    expect({ id: row.id, bench: row.bench, cap: row.cap }).toEqual({ id: row.id, bench, cap: NO_CAP.label });
    expect(row.subject.n).toBeGreaterThan(0);
    for (const value of [row.subject.p50, row.subject.p90, row.subject.p99, row.subject.min, row.subject.max]) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(row.subject.min).toBeLessThanOrEqual(row.subject.p50);
    expect(row.subject.p50).toBeLessThanOrEqual(row.subject.max);
    const floorP50 = shape.startsWith('floor') ? row.floor?.p50 : Number.NaN;
    expect({ id: row.id, hasFloor: row.floor !== undefined, floorFinite: Number.isFinite(floorP50) }).toEqual({
      id: row.id,
      hasFloor: shape.startsWith('floor'),
      floorFinite: shape.startsWith('floor'),
    });
    expect({ id: row.id, goal: typeof row.goal?.met }).toEqual({ id: row.id, goal: shape.endsWith('goal') ? 'boolean' : 'undefined' });
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
    expectWellFormed(await benchSize(ctx), 'size', { 'size.node-runtime.zipped': 'goal', 'size.node-runtime.unzipped': 'plain' });
  });

  test('init', async () => {
    expectWellFormed(await benchInit(ctx), 'init', {
      'init.floor': 'plain',
      'init.stdout': 'floor+goal',
      'init.stdout.register': 'floor',
      'init.otlp': 'floor+goal',
      'init.otlp.register': 'floor',
    });
  });

  test('overhead', async () => {
    expectWellFormed(await benchOverhead(ctx), 'overhead', {
      'overhead.floor': 'plain',
      'overhead.adaptive.sink0ms': 'floor+goal',
      'overhead.adaptive.sink50ms': 'floor+goal',
      'overhead.continuously.sink0ms': 'floor+goal',
      'overhead.continuously.sink50ms': 'floor+goal',
      'overhead.periodically.sink0ms': 'floor',
      'overhead.periodically.sink50ms': 'floor',
      'overhead.end-of-invocation.sink0ms': 'floor+goal',
      'overhead.end-of-invocation.sink50ms': 'floor',
    });
  });

  test('ingest', async () => {
    expectWellFormed(await benchIngest(ctx), 'ingest', {
      'ingest.listener': 'floor+goal',
      'ingest.in-process.validate': 'floor',
      'ingest.e2e.otlp': 'goal',
      'ingest.e2e.otlp.default-interval': 'plain',
    });
  });

  test('memory', async () => {
    const rows = await benchMemory(ctx);
    expectWellFormed(rows, 'memory', {
      'memory.idle': 'floor+goal',
      'memory.after-100k': 'floor+goal',
      'memory.after-100k.peak': 'floor',
      'memory.outage.accepted': 'goal',
      'memory.outage.rss': 'floor+goal',
      'memory.outage.growth': 'plain',
    });
    expect(rows.find((r) => r.id === 'memory.outage.accepted')?.goal?.met).toBe(true);
  });

  test('shutdown', async () => {
    const rows = await benchShutdown(ctx);
    expectWellFormed(rows, 'shutdown', { 'shutdown.floor': 'plain', 'shutdown.full-queue.healthy-sink': 'floor+goal', 'shutdown.full-queue.hanging-sink': 'floor+goal' });
  });

  test('cpu', async () => {
    const rows = await benchCpu(ctx);
    expectWellFormed(rows, 'cpu', { 'cpu.invocation': 'floor+goal', 'cpu.log-event': 'floor+goal' });
    // CPU time is read from the processes themselves: a floor that did the work used some.
    for (const row of rows) {
      const used = { id: row.id, floorUsedCpu: row.floor!.min > 0, subjectUsedCpu: row.subject.min > 0 };
      expect(used).toEqual({ id: row.id, floorUsedCpu: true, subjectUsedCpu: true });
    }
  });
});
