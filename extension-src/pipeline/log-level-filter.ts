/**
 * The minimum log level (`TELEMETRY_EXTENSION_MIN_LOG_LEVEL`): `function` and `extension` records
 * below it are left out at ingest, before the queue, so no sink ever sees them and they are
 * counted as `filtered` (not `dropped`: nothing was lost that was meant to be sent).
 *
 * The record's level is read as the converter reads it (../otlp/log-line.ts and
 * ../otlp/log-records.ts): the level token of the managed runtimes' text formats; for a JSON object
 * (Lambda's JSON log format, pino, bunyan, ...) a text `level` or a pino/bunyan number (10 trace,
 * 20 debug, 30 info, 40 warn, 50 error, 60 fatal); a text line that is itself a JSON object (pino
 * writing to stdout in the Text log format) is read as that object. Records without a readable
 * level are kept: the filter never guesses.
 */
import type { LogLevelName } from '../../lib/config/contract';
import type { ParsedEvent } from '../telemetry/schemas';

/** Rank of each level, lowest first (the OpenTelemetry severity ranges: TRACE 1-4, ..., FATAL 21-24). */
const RANK: Readonly<Record<LogLevelName, number>> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/** pino / bunyan numbers: each covers [level, next level). */
const NUMERIC: ReadonlyArray<readonly [from: number, rank: number]> = [[60, 21], [50, 17], [40, 13], [30, 9], [20, 5], [-Infinity, 1]];

type SeverityOf = (level: string | undefined) => number;
type ParseLine = (line: string) => { readonly level?: string };

/** `true`: keep the event. Events other than `function` / `extension` records are always kept. */
export type EventFilter = (event: ParsedEvent) => boolean;

/**
 * The filter for `minLevel`, or `undefined` for none. The text parsers load only when a level is
 * configured (they import the OpenTelemetry logs API's severity numbers).
 */
export function logLevelFilter(minLevel: LogLevelName | undefined): EventFilter | undefined {
  if (minLevel === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseLogLine, severityNumber } = require('../otlp/log-line') as { parseLogLine: ParseLine; severityNumber: SeverityOf };
  const min = RANK[minLevel];
  return (event) => {
    if (event.type !== 'function' && event.type !== 'extension') return true;
    const severity = recordSeverity(event.record, parseLogLine, severityNumber);
    return severity === undefined || severity >= min;
  };
}

/** The OTel severity number of a record's level; `undefined` when it has no readable level. */
export function recordSeverity(record: unknown, parseLine: ParseLine, severityOf: SeverityOf): number | undefined {
  if (typeof record === 'string') {
    const text = record.trim();
    if (text.startsWith('{') && text.endsWith('}')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return objectSeverity(parsed as Record<string, unknown>, severityOf);
      } catch {
        // Not JSON after all: a text line.
      }
    }
    return known(severityOf(parseLine(record).level));
  }
  if (record !== null && typeof record === 'object' && !Array.isArray(record)) return objectSeverity(record as Record<string, unknown>, severityOf);
  return undefined;
}

function objectSeverity(record: Record<string, unknown>, severityOf: SeverityOf): number | undefined {
  const level = record.level;
  if (typeof level === 'number' && Number.isFinite(level)) return NUMERIC.find(([from]) => level >= from)![1];
  if (typeof level === 'string') return known(severityOf(level));
  return undefined;
}

/** 0 is OpenTelemetry's UNSPECIFIED: an unknown level name. */
function known(severity: number): number | undefined {
  return severity > 0 ? severity : undefined;
}
