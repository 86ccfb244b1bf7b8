import { Writable } from 'node:stream';
import { counted } from './counted';
import { fixture, parse, raw, T0 } from './events';
import { isOwnOutput, STDOUT_SINK_LINE_PREFIX } from '../../extension-src/log';
import { line, StdoutSink } from '../../extension-src/sinks/stdout-sink';
import { Counters } from '../../extension-src/stats/counters';

/** A stream whose writes complete only when the test says so. */
class SlowStream extends Writable {
  readonly chunks: string[] = [];
  private pending: Array<() => void> = [];

  constructor(highWaterMark: number) {
    super({ highWaterMark, decodeStrings: false });
  }

  override _write(chunk: string, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.pending.push(() => callback());
  }

  /** Complete every write so far. */
  release(): void {
    const pending = this.pending;
    this.pending = [];
    for (const done of pending) done();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

describe('StdoutSink', () => {
  test('one JSON line per event, each starting with the prefix the listener drops', async () => {
    const out = new SlowStream(1024 * 1024);
    const counters = new Counters();
    const sink = counted(new StdoutSink({ output: out }), counters);
    const events = [...fixture('02-rust-runtime-invoke-success.json'), ...fixture('07-docs-function-and-extension-logs-text-vs-json.json'), ...parse([raw.unknown(T0)])];
    expect(await sink.export(events, Date.now() + 1000)).toEqual({ exported: events.length, dropped: 0 });
    out.release();
    const lines = out.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(events.length);
    for (const l of lines) {
      expect(l.startsWith(STDOUT_SINK_LINE_PREFIX)).toBe(true);
      expect(isOwnOutput(l)).toBe(true);
      expect(Object.keys(JSON.parse(l))[0]).toBe('source');
    }
    expect(JSON.parse(lines[0])).toEqual({
      source: 'telemetry-extension',
      time: '2022-10-21T14:05:03.165Z',
      type: 'platform.start',
      record: events[0].record,
    });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ source: 'telemetry-extension', time: new Date(T0).toISOString(), type: 'platform.future', record: { anything: [1, 2] }, unknown: true });
    expect(counters.dropped).toBe(0);
  });

  test('a record with line breaks stays on one line', () => {
    const [event] = parse([raw.functionLog(T0, 'a\nb\r\nc')]);
    const text = line(event);
    expect(text.indexOf('\n')).toBe(text.length - 1);
  });

  test('never writes while the stream needs drain; everything arrives', async () => {
    // Each write completes on a later turn of the event loop, like a slow pipe.
    const chunks: string[] = [];
    const out = new Writable({
      highWaterMark: 100,
      decodeStrings: false,
      write: (chunk: string, _enc, cb) => {
        chunks.push(chunk);
        setImmediate(cb);
      },
    });
    const needDrainAtWrite: boolean[] = [];
    const write = out.write.bind(out);
    out.write = ((chunk: string) => {
      needDrainAtWrite.push(out.writableNeedDrain);
      return write(chunk);
    }) as typeof out.write;
    const sink = new StdoutSink({ output: out, chunkChars: 50 });
    const events = parse(Array.from({ length: 20 }, (_, i) => raw.functionLog(T0 + i, `line ${i}`)));
    expect(await sink.export(events, Date.now() + 10_000)).toEqual({ exported: 20, dropped: 0 });
    await new Promise<void>((resolve) => out.end(resolve));
    expect(needDrainAtWrite.length).toBeGreaterThan(1);
    expect(needDrainAtWrite.every((needDrain) => !needDrain)).toBe(true);
    expect(chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l).record)).toEqual(events.map((e) => e.record));
  });

  test('a stream that never drains: no wait past the deadline, the rest dropped and counted', async () => {
    const out = new SlowStream(10);
    const counters = new Counters();
    const sink = counted(new StdoutSink({ output: out, chunkChars: 1 }), counters);
    const events = parse([raw.functionLog(T0, 'first'), raw.functionLog(T0 + 1, 'second'), raw.functionLog(T0 + 2, 'third')]);
    const outcome = await sink.export(events, Date.now() + 30);
    expect(outcome).toEqual({ exported: 1, dropped: 2 });
    expect(counters.dropped).toBe(2);
    out.release();
  });

  test('a broken stream (EPIPE) drops and counts', async () => {
    const out = new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    const counters = new Counters();
    const sink = counted(new StdoutSink({ output: out }), counters);
    await sink.export(parse([raw.functionLog(T0, 'x')]), Date.now() + 1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await sink.export(parse([raw.functionLog(T0, 'y')]), Date.now() + 1000)).toEqual({ exported: 0, dropped: 1 });
    expect(counters.dropped).toBeGreaterThanOrEqual(1);
  });
});
