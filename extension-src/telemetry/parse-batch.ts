/**
 * Validation of one Telemetry API delivery (a JSON array of events), event by event: a bad event
 * never costs the good ones. One pass, one `v.safeParse` per event, dispatched on `type`.
 */
import * as v from 'valibot';
import { EVENT_SCHEMAS, type ParsedEvent, type TelemetryEvent, type UnknownTelemetryEvent } from './schemas';
import { parseTime } from './time';

/** The body of a delivery is not a JSON array: the listener answers 400. */
export class InvalidBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidBatchError';
  }
}

/** An event that broke its type's schema (or has no usable envelope). Never holds the record. */
export interface InvalidEvent {
  /** Position in the batch. */
  readonly index: number;
  /** The event's `type` when it is a string. */
  readonly type?: string;
  /** Where and how it is wrong, e.g. `record.metrics.durationMs: Invalid type: ...`. */
  readonly reason: string;
}

export interface ParsedBatch {
  /** Valid events of known types and events of unknown types, in batch order. */
  readonly events: ParsedEvent[];
  readonly invalid: InvalidEvent[];
  /** How many of `events` are of an unknown type. */
  readonly unknown: number;
}

const MAX_ISSUES_IN_REASON = 3;
/** An issue's message quotes the value it got: keep a hostile long value out of the logs. */
const MAX_ISSUE_MESSAGE_CHARS = 160;

/**
 * Deepest nesting of objects and arrays in one event, the event itself being level 1. Lambda's
 * own records need 4 (event, record, spans, span); JSON log lines get plenty of room. Deeper
 * values would overflow the stack of the recursive serialisers downstream (`JSON.stringify`, the
 * OTLP encoders) and cost their whole batch, so such an event is invalid here.
 */
export const MAX_EVENT_DEPTH = 64;

const schemas: Readonly<Record<string, v.GenericSchema<unknown, TelemetryEvent> | undefined>> = EVENT_SCHEMAS;

/**
 * Validate every element of `body` (already JSON-parsed). `receivedAt` (epoch ms) replaces any
 * `time` or span `start` that cannot be read as a time.
 * @throws InvalidBatchError when `body` is not an array.
 */
export function parseBatch(body: unknown, receivedAt: number): ParsedBatch {
  if (!Array.isArray(body)) {
    throw new InvalidBatchError(`expected a JSON array of events, got ${describe(body)}`);
  }
  const events: ParsedEvent[] = [];
  const invalid: InvalidEvent[] = [];
  let unknown = 0;
  for (let index = 0; index < body.length; index++) {
    const item: unknown = body[index];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      invalid.push({ index, reason: `expected an event object, got ${describe(item)}` });
      continue;
    }
    const raw = item as { type?: unknown; time?: unknown; record?: unknown };
    const type = raw.type;
    if (typeof type !== 'string') {
      invalid.push({ index, reason: `type: expected a string, got ${describe(type)}` });
      continue;
    }
    if (nestedDeeperThan(item, MAX_EVENT_DEPTH)) {
      invalid.push({ index, type, reason: `nested deeper than ${MAX_EVENT_DEPTH} levels` });
      continue;
    }
    const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
    if (schema === undefined) {
      if (typeof raw.time !== 'string') {
        invalid.push({ index, type, reason: `time: expected a string, got ${describe(raw.time)}` });
        continue;
      }
      const timeMs = parseTime(raw.time);
      const event: UnknownTelemetryEvent = {
        type,
        time: raw.time,
        timeMs: Number.isNaN(timeMs) ? receivedAt : timeMs,
        record: raw.record,
        unknown: true,
      };
      events.push(event);
      unknown++;
      continue;
    }
    const result = v.safeParse(schema, item);
    if (!result.success) {
      invalid.push({ index, type, reason: summarize(result.issues) });
      continue;
    }
    const event = result.output;
    if (Number.isNaN(event.timeMs)) event.timeMs = receivedAt;
    fillSpanTimes(event, receivedAt);
    events.push(event);
  }
  return { events, invalid, unknown };
}

function fillSpanTimes(event: TelemetryEvent, receivedAt: number): void {
  const record = event.record as { spans?: Array<{ startMs: number }> } | string;
  if (typeof record !== 'object' || record.spans === undefined) return;
  for (const span of record.spans) {
    if (Number.isNaN(span.startMs)) span.startMs = receivedAt;
  }
}

/**
 * Is `value` nested more than `limit` levels deep (objects and arrays; `value` is level 1)?
 * Iterative, so a hostile value cannot overflow the stack here either.
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    for (const key in current) {
      const child = current[key];
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

function summarize(issues: readonly v.BaseIssue<unknown>[]): string {
  const parts = issues.slice(0, MAX_ISSUES_IN_REASON).map((issue) => {
    const path = v.getDotPath(issue);
    const message = issue.message.length > MAX_ISSUE_MESSAGE_CHARS ? `${issue.message.slice(0, MAX_ISSUE_MESSAGE_CHARS)}...` : issue.message;
    return path ? `${path}: ${message}` : message;
  });
  if (issues.length > MAX_ISSUES_IN_REASON) parts.push(`(${issues.length - MAX_ISSUES_IN_REASON} more)`);
  return parts.join('; ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
