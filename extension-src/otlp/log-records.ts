/**
 * Building OpenTelemetry `ReadableLogRecord`s: `function` / `extension` records (text lines of the
 * managed runtimes' formats, or JSON objects), and the invocation's REPORT line from
 * `platform.report`. Each carries the trace context of its invocation, found by request id.
 */
import type { LogAttributes } from '@opentelemetry/api-logs';
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
   * A `function` / `extension` record. Its trace context is its own request id's, else (text
   * lines of runtimes that print none) the invocation started last.
   */
  log(event: FunctionLogEvent | ExtensionLogEvent, invocations: InvocationTable): ReadableLogRecord {
    const record = event.record;
    const attributes: LogAttributes = { 'aws.lambda.log.source': event.type };
    let level: string | undefined;
    let requestId: string | undefined;
    let timestamp: string | undefined;
    let body: unknown;
    if (typeof record === 'string') {
      const line = parseLogLine(record);
      ({ level, requestId, timestamp } = line);
      body = line.message;
    } else {
      level = record.level;
      requestId = record.requestId;
      timestamp = record.timestamp;
      body = record.message;
      for (const [key, value] of Object.entries(record)) {
        if (key === 'timestamp' || key === 'level' || key === 'requestId' || key === 'message' || value === undefined || value === null) continue;
        if (key === 'errorType') attributes['exception.type'] = String(value);
        else if (key === 'errorMessage') attributes['exception.message'] = String(value);
        else if (key === 'stackTrace') attributes['exception.stacktrace'] = Array.isArray(value) ? value.join('\n') : String(value);
        else attributes[key] = value as LogAttributes[string];
      }
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
    const at = timestamp !== undefined ? parseTime(timestamp) : NaN;
    return this.record(Number.isNaN(at) ? event.timeMs : at, event.timeMs, ctx, level, severityNumber(level), body, attributes);
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
