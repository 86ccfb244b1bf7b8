/**
 * The stdout sink: one JSON line per event, for CloudWatch Logs (or a log subscription) to pick
 * up. Every line starts with {@link STDOUT_SINK_LINE_PREFIX} (`"source"` is the first key), so the
 * listener recognises and drops these lines when it is subscribed to `extension` logs.
 *
 * Line: `{"source":"telemetry-extension","time":...,"type":...,"record":...}` (+ `"unknown":true`
 * for events of unknown types).
 *
 * Backpressure: lines are written in chunks; when the stream's buffer is full the sink waits for
 * `drain`, but never past the deadline: what is not written by then is dropped (and reported in
 * the outcome).
 */
import { once } from 'node:events';
import { STDOUT_SINK_LINE_PREFIX } from '../log';
import type { ExportOutcome, Sink } from './sink';
import type { ParsedEvent } from '../telemetry/schemas';

export interface StdoutSinkOptions {
  /**
   * @deprecated Not used: sinks report, the export loop counts. Accepted only while
   * test/reliability/listener.test.ts still passes it; remove with that argument.
   */
  readonly counters?: unknown;
  /** Default `process.stdout`. */
  readonly output?: NodeJS.WritableStream;
  /** Characters per write. Default 64 KiB. */
  readonly chunkChars?: number;
}

export class StdoutSink implements Sink {
  readonly name = 'stdout';
  private readonly output: NodeJS.WritableStream;
  private readonly chunkChars: number;
  private broken = false;

  constructor(options: StdoutSinkOptions) {
    this.output = options.output ?? process.stdout;
    this.chunkChars = options.chunkChars ?? 64 * 1024;
    this.output.on('error', () => {
      // EPIPE and the like: nothing more can be written. Counted per export from now on.
      this.broken = true;
    });
  }

  async export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome> {
    let written = 0;
    let chunk = '';
    let chunkEvents = 0;
    for (const event of events) {
      chunk += line(event);
      chunkEvents++;
      if (chunk.length >= this.chunkChars) {
        if (!(await this.write(chunk, deadline))) break;
        written += chunkEvents;
        chunk = '';
        chunkEvents = 0;
      }
    }
    if (chunkEvents > 0 && written + chunkEvents === events.length && (await this.write(chunk, deadline))) {
      written += chunkEvents;
    }
    return { exported: written, dropped: events.length - written };
  }

  /** Nothing is held; stdout stays open (it belongs to the process). */
  async shutdown(_deadline: number): Promise<ExportOutcome> {
    return { exported: 0, dropped: 0 };
  }

  /** Write when the stream can take it; false when broken or the deadline passed first. */
  private async write(text: string, deadline: number): Promise<boolean> {
    if (this.broken) return false;
    if (this.needsDrain() && !(await this.drained(deadline))) return false;
    this.output.write(text);
    return !this.broken;
  }

  private needsDrain(): boolean {
    const stream = this.output as NodeJS.WritableStream & { writableNeedDrain?: boolean };
    return stream.writableNeedDrain === true;
  }

  /** Resolves true on `drain`, false on an error or when `deadline` comes first. */
  private async drained(deadline: number): Promise<boolean> {
    const wait = deadline - Date.now();
    if (wait <= 0) return false;
    try {
      await once(this.output, 'drain', { signal: AbortSignal.timeout(wait) });
      return true;
    } catch {
      return false; // timed out, or the stream errored ('error' rejects `once`)
    }
  }
}

/** One event as one JSON line starting with {@link STDOUT_SINK_LINE_PREFIX}. */
export function line(event: ParsedEvent): string {
  const body = JSON.stringify({
    time: event.time,
    type: event.type,
    record: event.record,
    ...('unknown' in event && event.unknown === true ? { unknown: true } : {}),
  });
  return `${STDOUT_SINK_LINE_PREFIX},${body.slice(1)}\n`;
}
