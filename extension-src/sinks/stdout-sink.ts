/**
 * The stdout sink: one JSON line per event, for CloudWatch Logs (or a log subscription) to pick
 * up. Every line starts with {@link STDOUT_SINK_LINE_PREFIX} (`"source"` is the first key), so the
 * listener recognises and drops these lines when it is subscribed to `extension` logs.
 *
 * Line: `{"source":"telemetry-extension","time":...,"type":...,"record":...}` (+ `"unknown":true`
 * for events of unknown types). The function's own OTLP data (one line per export request of its
 * SDK): `{"source":"telemetry-extension","time":<ISO receive time>,"type":"function.traces"
 * (or function.metrics, function.logs),"record":{"signal":...,"receivedAtMs":...,"records":3,
 * "request":{"resourceSpans":[...]}}}` (see ./function-json.ts; resources merged with the
 * extension's when the sink has one).
 *
 * Backpressure: lines are written in chunks; when the stream's buffer is full the sink waits for
 * `drain`, but never past the deadline: what is not written by then is dropped (and reported in
 * the outcome).
 */
import { once } from 'node:events';
import { STDOUT_SINK_LINE_PREFIX } from '../log';
import { functionItemJson } from './function-json';
import type { ResourceAttributes } from './resource';
import type { ExportOutcome, Sink } from './sink';
import { isFunctionTelemetry, recordsOf, type PipelineItem } from '../pipeline/items';
import type { FunctionTelemetry } from '../receiver/function-telemetry';
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
  /** The extension's resource, merged into the function's data. Default: none (the function's resources as they came). */
  readonly resource?: ResourceAttributes;
}

export class StdoutSink implements Sink {
  readonly name = 'stdout';
  private readonly output: NodeJS.WritableStream;
  private readonly chunkChars: number;
  private readonly resource: ResourceAttributes;
  private broken = false;

  constructor(options: StdoutSinkOptions) {
    this.output = options.output ?? process.stdout;
    this.chunkChars = options.chunkChars ?? 64 * 1024;
    this.resource = options.resource ?? {};
    this.output.on('error', () => {
      // EPIPE and the like: nothing more can be written. Counted per export from now on.
      this.broken = true;
    });
  }

  async export(items: readonly PipelineItem[], deadline: number): Promise<ExportOutcome> {
    // Counted in records: an event is one, a function item its spans / data points / log records.
    let written = 0;
    let writtenFunction = 0;
    let chunk = '';
    let chunkRecords = 0;
    let chunkFunction = 0;
    let stopped = false;
    for (const item of items) {
      const records = recordsOf(item);
      chunk += isFunctionTelemetry(item) ? functionLine(item, this.resource) : line(item);
      chunkRecords += records;
      if (isFunctionTelemetry(item)) chunkFunction += records;
      if (chunk.length >= this.chunkChars) {
        if (!(await this.write(chunk, deadline))) {
          stopped = true;
          break;
        }
        written += chunkRecords;
        writtenFunction += chunkFunction;
        chunk = '';
        chunkRecords = 0;
        chunkFunction = 0;
      }
    }
    if (chunkRecords > 0 && !stopped && (await this.write(chunk, deadline))) {
      written += chunkRecords;
      writtenFunction += chunkFunction;
    }
    let total = 0;
    let totalFunction = 0;
    for (const item of items) {
      const records = recordsOf(item);
      total += records;
      if (isFunctionTelemetry(item)) totalFunction += records;
    }
    const outcome = { exported: written, dropped: total - written };
    return totalFunction > 0 ? { ...outcome, function: { exported: writtenFunction, dropped: totalFunction - writtenFunction } } : outcome;
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

/** One request of the function's own OTLP data as one JSON line (see the header). */
export function functionLine(item: FunctionTelemetry, resource: Readonly<ResourceAttributes>): string {
  const body = JSON.stringify({ time: new Date(item.receivedAtMs).toISOString(), type: `function.${item.signal}`, record: functionItemJson(item, resource) });
  return `${STDOUT_SINK_LINE_PREFIX},${body.slice(1)}\n`;
}
