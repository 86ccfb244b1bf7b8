/**
 * Telemetry API events for the reliability tests: one template per known type with every field of
 * the catalogue set (so that every field can be given a wrong type), and fast-check arbitraries for
 * valid events, junk and hostile JSON (built as JSON text, so that keys such as `__proto__` are
 * own keys exactly as a hostile sender would write them).
 */
import * as fc from 'fast-check';

const T = '2030-01-01T00:00:00.000Z';
const RID = '6f1d2a3b-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const TRACING = { type: 'X-Amzn-Trace-Id', value: 'Root=1-5f9b2c3d-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1', spanId: '53995c3f42cd8ad8' };
const SPANS = [{ name: 'responseLatency', start: T, durationMs: 1.5 }];

/** Every known event type with every field of lambda-apis.md §6 present. */
export const TEMPLATES: readonly { readonly type: string; readonly time: string; readonly record: unknown }[] = [
  {
    type: 'platform.initStart',
    time: T,
    record: {
      initializationType: 'on-demand',
      phase: 'init',
      functionName: 'fn',
      functionVersion: '$LATEST',
      instanceId: 'i-1',
      instanceMaxMemory: 128,
      runtimeVersion: 'nodejs:20',
      runtimeVersionArn: 'arn:aws:lambda:us-east-1::runtime:abc',
      tracing: TRACING,
    },
  },
  { type: 'platform.initRuntimeDone', time: T, record: { initializationType: 'on-demand', phase: 'init', status: 'error', errorType: 'Runtime.X', spans: SPANS, tracing: TRACING } },
  {
    type: 'platform.initReport',
    time: T,
    record: {
      initializationType: 'on-demand', phase: 'init', status: 'error', errorType: 'Runtime.X', metrics: { durationMs: 10 }, spans: SPANS, tracing: TRACING,
    },
  },
  { type: 'platform.start', time: T, record: { requestId: RID, version: '$LATEST', tracing: TRACING, tenantId: 't-1' } },
  {
    type: 'platform.runtimeDone',
    time: T,
    record: {
      requestId: RID, status: 'error', errorType: 'Runtime.X', metrics: { durationMs: 5, producedBytes: 12 }, spans: SPANS, tracing: TRACING,
    },
  },
  {
    type: 'platform.report',
    time: T,
    record: {
      requestId: RID,
      status: 'error',
      errorType: 'Runtime.X',
      spans: SPANS,
      tracing: TRACING,
      metrics: { durationMs: 5, billedDurationMs: 6, memorySizeMB: 128, maxMemoryUsedMB: 70, initDurationMs: 100, restoreDurationMs: 1 },
    },
  },
  {
    type: 'platform.restoreStart',
    time: T,
    record: {
      functionName: 'fn', functionVersion: '1', instanceId: 'i-1', instanceMaxMemory: 128, runtimeVersion: 'java:21', runtimeVersionArn: 'arn:x',
    },
  },
  { type: 'platform.restoreRuntimeDone', time: T, record: { status: 'error', errorType: 'Runtime.X', spans: SPANS, tracing: TRACING } },
  { type: 'platform.restoreReport', time: T, record: { status: 'error', errorType: 'Runtime.X', metrics: { durationMs: 3 }, spans: SPANS } },
  { type: 'platform.extension', time: T, record: { name: 'ext', state: 'Ready', events: ['INVOKE'], errorType: 'Extension.X' } },
  { type: 'platform.telemetrySubscription', time: T, record: { name: 'ext', state: 'Subscribed', types: ['platform'] } },
  { type: 'platform.logsDropped', time: T, record: { droppedBytes: 10, droppedRecords: 1, reason: 'slow' } },
  { type: 'function', time: T, record: { timestamp: T, level: 'INFO', requestId: RID, message: 'hello' } },
  { type: 'extension', time: T, record: { timestamp: T, level: 'INFO', requestId: RID, message: 'hello' } },
];

/**
 * Fields whose schema accepts any JSON value (a wrong type does not exist for them). A JSON log
 * record is the user's own line and may have any shape (issue 10: pino's numeric `level`, `time`
 * in epoch ms, no `timestamp` at all), so none of its keys has a wrong type.
 */
const ANY_TYPED = new Set(['function', 'extension'].flatMap((type) => ['message', 'timestamp', 'level', 'requestId'].map((key) => `${type}:record.${key}`)));

/** Log records may be a string or an object: only other types are wrong. */
const LOG_RECORD = new Set(['function:record', 'extension:record']);

/** A value of another JSON type than `value`. */
function wrongTypeFor(value: unknown): unknown {
  if (typeof value === 'string') return 42;
  if (typeof value === 'number') return '42';
  if (Array.isArray(value)) return { not: 'an array' };
  if (value !== null && typeof value === 'object') return 'not an object';
  return [value];
}

/** `(label, event)` for every field of every template, that field replaced by a value of a wrong type. */
export function wrongTypeVariants(): Array<[string, unknown]> {
  const variants: Array<[string, unknown]> = [];
  for (const template of TEMPLATES) {
    const walk = (value: unknown, path: string[]) => {
      if (path.length > 0) {
        const label = `${template.type}:${path.join('.')}`;
        const wrong = LOG_RECORD.has(label) ? 42 : wrongTypeFor(value);
        if (!ANY_TYPED.has(label)) variants.push([label, replaceAt(template, path, wrong)]);
      }
      if (value !== null && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
      }
    };
    walk(template, []);
  }
  return variants;
}

function replaceAt(root: unknown, path: readonly string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(root) ? [...root] : { ...(root as Record<string, unknown>) };
  (copy as Record<string, unknown>)[head] = replaceAt((root as Record<string, unknown>)[head], rest, replacement);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// JSON as text, with hostile keys

/** Keys that break naive code: prototype setters, shadowed methods, thenables. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'then', 'length'] as const;

/** A JSON value as text. */
export type JsonText = string;

const keyArb = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 6 }));

/** Any JSON value as text; objects often carry hostile own keys (`{"__proto__": ...}`). */
export const hostileJson: fc.Arbitrary<JsonText> = fc.letrec<{ value: JsonText }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant('null'),
    fc.boolean().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
    fc.string({ maxLength: 12, unit: 'binary' }).map((s) => JSON.stringify(s)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(keyArb, tie('value')), { maxLength: 4 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** An object's text with the given entries (duplicated keys allowed) plus hostile extras. */
function objectText(entries: ReadonlyArray<readonly [string, JsonText]>): JsonText {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

const extras = fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS).map((k) => k as string), hostileJson), { maxLength: 2 });

const isoTime = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());

/** A valid event: what it should look like once kept, and its text (with hostile extra keys). */
export interface ValidEvent {
  readonly type: string;
  readonly time: string;
  /** Request id for platform invocation events; the text for text log records. */
  readonly key: string;
  readonly text: JsonText;
}

const requestIdArb = fc.uuid();

export const validEvent: fc.Arbitrary<ValidEvent> = fc.oneof(
  fc.record({ time: isoTime, rid: requestIdArb, more: extras }).map(({ time, rid, more }) => ({
    type: 'platform.start',
    time,
    key: rid,
    text: objectText([['time', JSON.stringify(time)], ['type', '"platform.start"'], ['record', objectText([['requestId', JSON.stringify(rid)], ...more])], ...more]),
  })),
  fc.record({ time: isoTime, rid: requestIdArb, ms: fc.double({ min: 0, max: 1e6, noNaN: true }), status: fc.constantFrom('success', 'error', 'timeout', 'brand-new'), more: extras })
    .map(({ time, rid, ms, status, more }) => ({
      type: 'platform.runtimeDone',
      time,
      key: rid,
      text: objectText([['time', JSON.stringify(time)], ['type', '"platform.runtimeDone"'], ['record', objectText([
        ['requestId', JSON.stringify(rid)], ['status', JSON.stringify(status)], ['metrics', objectText([['durationMs', JSON.stringify(ms)], ...more])], ...more,
      ])]]),
    })),
  fc.record({ time: isoTime, rid: requestIdArb, ms: fc.double({ min: 0, max: 1e6, noNaN: true }), more: extras }).map(({ time, rid, ms, more }) => ({
    type: 'platform.report',
    time,
    key: rid,
    text: objectText([['time', JSON.stringify(time)], ['type', '"platform.report"'], ['record', objectText([
      ['requestId', JSON.stringify(rid)], ['status', '"success"'], ['metrics', objectText([['durationMs', JSON.stringify(ms)], ['billedDurationMs', '1']])], ...more,
    ])]]),
  })),
  fc.record({ time: isoTime, line: fc.string({ maxLength: 40 }) }).map(({ time, line }) => ({
    type: 'function',
    time,
    key: line.replace(/[\r\n]+$/, ''),
    text: objectText([['time', JSON.stringify(time)], ['type', '"function"'], ['record', JSON.stringify(line)]]),
  })),
  fc.record({ time: isoTime, message: hostileJson, more: extras }).map(({ time, message, more }) => ({
    type: 'function',
    time,
    key: '',
    text: objectText([['time', JSON.stringify(time)], ['type', '"function"'], ['record', objectText([
      ['timestamp', JSON.stringify(time)], ['level', '"INFO"'], ['message', message], ...more,
    ])]]),
  })),
  fc.record({ time: isoTime, name: fc.string({ minLength: 1, maxLength: 10 }), record: hostileJson }).map(({ time, name, record }) => ({
    type: `platform.future.${name}`,
    time,
    key: '',
    text: objectText([['time', JSON.stringify(time)], ['type', JSON.stringify(`platform.future.${name}`)], ['record', record]]),
  })),
);

/** Items that can never be a valid event: not objects, no string `type`, or a known type broken. */
export const junkEvent: fc.Arbitrary<JsonText> = fc.oneof(
  hostileJson.filter((text) => !text.startsWith('{')),
  // no `type` key at all
  fc.array(fc.tuple(fc.constantFrom('time', 'record', ...HOSTILE_KEYS), hostileJson), { maxLength: 3 }).map((entries) => objectText(entries)),
  fc.record({ type: fc.constantFrom('null', '1', '[]', '{}', 'true'), time: isoTime }).map(({ type, time }) => objectText([['type', type], ['time', JSON.stringify(time)]])),
  fc.constantFrom(...wrongTypeVariants().map(([, event]) => JSON.stringify(event))),
  fc.record({ name: fc.string({ maxLength: 8 }), time: fc.oneof(fc.integer(), fc.constant(null)) }).map(({ name, time }) => objectText([['type', JSON.stringify(`x.${name}`)], ['time', JSON.stringify(time)]])),
);
