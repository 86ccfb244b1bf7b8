/**
 * Building OpenTelemetry `ReadableLogRecord`s: `function` / `extension` records (text lines of the
 * managed runtimes' formats, or JSON objects), and the invocation's REPORT line from
 * `platform.report`. Each carries the trace context of its invocation, found by request id.
 */
import { SeverityNumber, type LogAttributes } from '@opentelemetry/api-logs';
import { millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { spanContextOf, type TraceIds } from './invocation-context';
import type { InvocationTable } from './invocations';
import { parseLogLine, severityNumber } from './log-line';
import type { ExtensionLogEvent, FunctionLogEvent, PlatformReportEvent } from '../telemetry/schemas';
import { parseTime } from '../telemetry/time';

export class LogRecordBuilder {
  constructor(private readonly resource: Resource, private readonly scope: InstrumentationScope) {}

  /**
   * The invocation's `platform.report` as one log record: the REPORT line Lambda users know from
   * CloudWatch Logs, with its figures as attributes, in the invocation's trace. (The invocation's
   * span has ended by the time the report arrives, and metrics aggregate, so this is where the
   * per-invocation billed duration and memory live.)
   */
  report(event: PlatformReportEvent, ctx: TraceIds | undefined): ReadableLogRecord {
    const r = event.record;
    const m = r.metrics;
    const attributes: LogAttributes = { 'aws.lambda.log.source': event.type, 'faas.invocation_id': r.requestId };
    const figures: Array<[label: string, key: string, value: number | undefined, unit: string]> = [
      ['Duration', 'aws.lambda.duration_ms', m.durationMs, 'ms'],
      ['Billed Duration', 'aws.lambda.billed_duration_ms', m.billedDurationMs, 'ms'],
      ['Memory Size', 'aws.lambda.memory_size_mb', m.memorySizeMB, 'MB'],
      ['Max Memory Used', 'aws.lambda.max_memory_used_mb', m.maxMemoryUsedMB, 'MB'],
      ['Init Duration', 'aws.lambda.init_duration_ms', m.initDurationMs, 'ms'],
      ['Restore Duration', 'aws.lambda.restore_duration_ms', m.restoreDurationMs, 'ms'],
    ];
    let body = `REPORT RequestId: ${r.requestId}`;
    for (const [label, key, value, unit] of figures) {
      if (value === undefined) continue;
      attributes[key] = value;
      body += `\t${label}: ${value} ${unit}`;
    }
    const status = r.status ?? 'success';
    attributes['aws.lambda.invocation.status'] = status;
    if (status !== 'success') body += `\tStatus: ${status}`;
    if (r.errorType) {
      attributes['error.type'] = r.errorType;
      body += `\tError Type: ${r.errorType}`;
    }
    const level = status === 'success' ? 'INFO' : 'ERROR';
    return this.record(event.timeMs, event.timeMs, ctx, level, severityNumber(level), body, attributes);
  }

  /**
   * A `function` / `extension` record: a text line (./log-line.ts) or a JSON object of any shape
   * (see {@link objectRecordFields}). Its trace context is its own request id's, else (records
   * that carry none) the invocation started last.
   */
  log(event: FunctionLogEvent | ExtensionLogEvent, invocations: InvocationTable): ReadableLogRecord {
    const record = event.record;
    const attributes: LogAttributes = { 'aws.lambda.log.source': event.type };
    let level: string | undefined;
    let severity: SeverityNumber | undefined;
    let requestId: string | undefined;
    let timeMs: number | undefined;
    let body: unknown;
    if (typeof record === 'string') {
      const line = parseLogLine(record);
      ({ level, requestId } = line);
      timeMs = line.timestamp !== undefined ? parseTime(line.timestamp) : undefined;
      body = line.message;
    } else {
      const fields = objectRecordFields(record as Record<string, unknown>, attributes);
      ({ level, requestId, timeMs, body } = fields);
      severity = fields.severity;
    }
    let ctx: TraceIds | undefined;
    if (requestId !== undefined) {
      ctx = invocations.contextOf(requestId);
    } else {
      const latest = invocations.latestStarted;
      ctx = latest;
      requestId = latest?.requestId;
    }
    if (requestId !== undefined) attributes['faas.invocation_id'] = requestId;
    const at = timeMs !== undefined && Number.isFinite(timeMs) ? timeMs : event.timeMs;
    return this.record(at, event.timeMs, ctx, level, severity ?? severityNumber(level), body, attributes);
  }

  private record(
    timeMs: number,
    observedMs: number,
    ctx: TraceIds | undefined,
    severityText: string | undefined,
    severity: ReadableLogRecord['severityNumber'],
    body: unknown,
    attributes: LogAttributes,
  ): ReadableLogRecord {
    return {
      hrTime: millisToHrTime(timeMs),
      hrTimeObserved: millisToHrTime(observedMs),
      spanContext: spanContextOf(ctx),
      severityText,
      severityNumber: severity,
      body: body as ReadableLogRecord['body'],
      resource: this.resource,
      instrumentationScope: this.scope,
      attributes,
      droppedAttributesCount: 0,
    };
  }
}

/** What an object record says about itself. */
interface ObjectRecordFields {
  readonly level?: string;
  readonly severity?: SeverityNumber;
  readonly requestId?: string;
  readonly timeMs?: number;
  readonly body: unknown;
}

/** pino / bunyan numeric levels, lowest first: each covers [level, next level). */
const NUMERIC_LEVELS: ReadonlyArray<readonly [level: number, text: string, severity: SeverityNumber]> = [
  [60, 'FATAL', SeverityNumber.FATAL],
  [50, 'ERROR', SeverityNumber.ERROR],
  [40, 'WARN', SeverityNumber.WARN],
  [30, 'INFO', SeverityNumber.INFO],
  [20, 'DEBUG', SeverityNumber.DEBUG],
  [-Infinity, 'TRACE', SeverityNumber.TRACE],
];

/**
 * The parts of a JSON object record, whatever its shape (Lambda's JSON log format, pino, bunyan,
 * or the user's own), and its other keys as attributes (into `attributes`):
 * - body: `message`, else `msg`; with neither, the whole object is the body (no attributes);
 * - time: `timestamp`, else `time`, an ISO date-time or epoch milliseconds (else the event's time);
 * - severity: `level` as text (`INFO`, `warn`, ...) or a pino/bunyan number (10 trace, 20 debug,
 *   30 info, 40 warn, 50 error, 60 fatal);
 * - `requestId`: the invocation it belongs to;
 * - Lambda's `errorType` / `errorMessage` / `stackTrace` become `exception.*`.
 */
export function objectRecordFields(record: Record<string, unknown>, attributes: LogAttributes): ObjectRecordFields {
  const used = new Set<string>();
  const take = (key: string): unknown => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    used.add(key);
    return value;
  };
  const messageKey = record.message !== undefined && record.message !== null ? 'message' : record.msg !== undefined && record.msg !== null ? 'msg' : undefined;
  const timeMs = readTime(record, 'timestamp', used) ?? readTime(record, 'time', used);
  const rawLevel = take('level');
  const requestId = typeof record.requestId === 'string' ? (take('requestId') as string) : undefined;
  let level: string | undefined;
  let severity: SeverityNumber | undefined;
  if (typeof rawLevel === 'number' && Number.isFinite(rawLevel)) {
    const [, text, number] = NUMERIC_LEVELS.find(([from]) => rawLevel >= from) ?? NUMERIC_LEVELS[NUMERIC_LEVELS.length - 1];
    level = text;
    severity = number;
  } else if (typeof rawLevel === 'string') {
    level = rawLevel;
  } else if (rawLevel !== undefined) {
    used.delete('level'); // not a level: kept as an attribute
  }
  if (messageKey === undefined) {
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) if (!used.has(key) && value !== undefined) rest[key] = value;
    return { level, severity, requestId, timeMs, body: rest };
  }
  const body = take(messageKey);
  for (const [key, value] of Object.entries(record)) {
    if (used.has(key) || value === undefined || value === null) continue;
    if (key === 'errorType') attributes['exception.type'] = String(value);
    else if (key === 'errorMessage') attributes['exception.message'] = String(value);
    else if (key === 'stackTrace') attributes['exception.stacktrace'] = Array.isArray(value) ? value.join('\n') : String(value);
    else attributes[key] = value as LogAttributes[string];
  }
  return { level, severity, requestId, timeMs, body };
}

/** `record[key]` as epoch ms (ISO string or epoch-ms number), marking the key used; undefined when absent or unreadable. */
function readTime(record: Record<string, unknown>, key: string, used: Set<string>): number | undefined {
  const value = record[key];
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value;
  else if (typeof value === 'string') ms = parseTime(value);
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  used.add(key);
  return ms;
}
