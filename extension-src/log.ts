/**
 * The extension's own log output. Every line starts with {@link LOG_MARKER}: the listener drops
 * `extension` log events that carry it, so that an extension subscribed to `extension` logs never
 * receives (and re-exports) its own output. Never called per event on the hot path.
 */
import { ENV } from '../lib/config/contract';

export const LOG_MARKER = '[telemetry-extension]';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

function write(level: LogLevel, message: string, fields?: LogFields): void {
  const extra = fields
    ? Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join('')
    : '';
  const line = `${LOG_MARKER} ${level} ${message}${extra}\n`;
  (level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout).write(line);
}

export const log = {
  debug: (message: string, fields?: LogFields) => {
    if (process.env[ENV.DEBUG] === '1') write('DEBUG', message, fields);
  },
  info: (message: string, fields?: LogFields) => write('INFO', message, fields),
  warn: (message: string, fields?: LogFields) => write('WARN', message, fields),
  error: (message: string, fields?: LogFields) => write('ERROR', message, fields),
};

/**
 * Logs at most `limit` times per `windowMs`, then one line saying how many were suppressed.
 * For events that can repeat at high rate (invalid events, export failures).
 */
export class RateLimitedLog {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  warn(message: string, fields?: LogFields): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) {
        write('WARN', `${this.suppressed} similar messages suppressed`);
      }
      this.windowStart = t;
      this.count = 0;
      this.suppressed = 0;
    }
    if (this.count < this.limit) {
      this.count++;
      write('WARN', message, fields);
    } else {
      this.suppressed++;
    }
  }
}

/** First characters of every line the stdout sink writes (one JSON object per event). */
export const STDOUT_SINK_LINE_PREFIX = '{"source":"telemetry-extension"';

/**
 * Is this `extension` log record the extension's own output (its log lines or stdout-sink
 * lines)? The listener drops those so that subscribing to `extension` logs never loops.
 */
export function isOwnOutput(record: unknown): boolean {
  if (typeof record === 'string') {
    return record.startsWith(LOG_MARKER) || record.startsWith(STDOUT_SINK_LINE_PREFIX);
  }
  if (record !== null && typeof record === 'object') {
    const message = (record as { message?: unknown }).message;
    return typeof message === 'string' && (message.startsWith(LOG_MARKER) || message.startsWith(STDOUT_SINK_LINE_PREFIX));
  }
  return false;
}
