/**
 * `function` / `extension` records that are JSON objects of any shape (issue 10, item 7): kept and
 * mapped, whatever logger wrote them. Through the real OTLP sink to a local receiver that decodes
 * with the official OTLP protos.
 *
 * The events are built as the listener hands them over. The schema that accepts every object
 * record (not only those with `timestamp` and `level`) is a change of its own: these tests do not
 * depend on it.
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { counted } from './counted';
import { parse, raw, REQ1, T0, TRACE_HEADER, TRACE_ID } from './events';
import type { RetryClock } from '../../extension-src/delivery/retry';
import { OtlpSink } from '../../extension-src/sinks/otlp/otlp-sink';
import { Counters } from '../../extension-src/stats/counters';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { OtlpReceiver, type DecodedLog } from '../support/otlp-receiver';

const RECEIVED_AT = Date.parse('2030-01-01T00:00:00Z');
const PINO_TIME = 1764590000000;

const clock: RetryClock = { now: () => Date.now(), sleep: async () => undefined, random: () => 0.5 };

/** A `function` event with an object record, as the listener produces it. */
function objectRecord(record: Record<string, unknown>, type: 'function' | 'extension' = 'function'): ParsedEvent {
  return { time: new Date(RECEIVED_AT).toISOString(), type, record, timeMs: RECEIVED_AT } as unknown as ParsedEvent;
}

let receiver: OtlpReceiver;
let sink: OtlpSink;

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
  const counters = new Counters();
  sink = counted(new OtlpSink({
    endpoint: receiver.url,
    protocol: 'http/protobuf',
    headers: {},
    compression: 'gzip',
    timeoutMs: 2_000,
    resource: { 'service.name': 'orders-api' },
    counters,
    clock,
    selfTelemetryIntervalMs: Number.MAX_SAFE_INTEGER,
  }), counters);
});

afterEach(async () => {
  await sink.shutdown(Date.now() - 1);
  await receiver.close();
});

async function exported(...events: ParsedEvent[]): Promise<DecodedLog[]> {
  expect(await sink.export(events, Date.now() + 10_000)).toEqual({ exported: events.length, dropped: 0 });
  return receiver.logs();
}

const ms = (log: DecodedLog) => Number((log.timeUnixNano ?? 0n) / 1_000_000n);

describe('object function records of any shape', () => {
  test('{"message"} alone: body, no level, the time the event arrived', async () => {
    const [log] = await exported(objectRecord({ message: 'order placed' }));
    expect(log.body).toBe('order placed');
    expect(log.severityNumber).toBe(SeverityNumber.UNSPECIFIED);
    expect(log.severityText).toBeFalsy();
    expect(ms(log)).toBe(RECEIVED_AT);
    expect(log.attributes).toEqual({ 'aws.lambda.log.source': 'function' });
  });

  test('{"level": "INFO", "message"}: text level', async () => {
    const [log] = await exported(objectRecord({ level: 'INFO', message: 'order placed' }));
    expect(log).toMatchObject({ body: 'order placed', severityText: 'INFO', severityNumber: SeverityNumber.INFO });
  });

  test('pino: {"msg", "level": 30, "time": epoch ms} and its other keys as attributes', async () => {
    const [log] = await exported(objectRecord({ level: 30, time: PINO_TIME, pid: 8, hostname: 'sandbox', msg: 'order placed', orderId: 'o-1' }));
    expect(log).toMatchObject({ body: 'order placed', severityText: 'INFO', severityNumber: SeverityNumber.INFO });
    expect(ms(log)).toBe(PINO_TIME);
    expect(log.attributes).toEqual({ 'aws.lambda.log.source': 'function', 'pid': 8, 'hostname': 'sandbox', 'orderId': 'o-1' });
  });

  test.each([
    [10, 'TRACE', SeverityNumber.TRACE],
    [20, 'DEBUG', SeverityNumber.DEBUG],
    [30, 'INFO', SeverityNumber.INFO],
    [40, 'WARN', SeverityNumber.WARN],
    [50, 'ERROR', SeverityNumber.ERROR],
    [60, 'FATAL', SeverityNumber.FATAL],
  ])('numeric level %i is %s', async (level, text, severity) => {
    const [log] = await exported(objectRecord({ level, msg: 'x' }));
    expect(log).toMatchObject({ severityText: text, severityNumber: severity });
  });

  test('bunyan: {"msg", "level": 50, "time": ISO, "v": 0}', async () => {
    const [log] = await exported(objectRecord({ name: 'orders', hostname: 'h', pid: 1, level: 50, msg: 'failed', time: '2025-12-01T12:00:00.123Z', v: 0 }));
    expect(log).toMatchObject({ body: 'failed', severityText: 'ERROR', severityNumber: SeverityNumber.ERROR });
    expect(ms(log)).toBe(Date.parse('2025-12-01T12:00:00.123Z'));
    expect(log.attributes).toEqual({ 'aws.lambda.log.source': 'function', 'name': 'orders', 'hostname': 'h', 'pid': 1, 'v': 0 });
  });

  test('"timestamp" wins over "time", "message" over "msg" (the other stays an attribute)', async () => {
    const [log] = await exported(objectRecord({ timestamp: '2025-12-01T12:00:00.000Z', time: PINO_TIME, message: 'm', msg: 'other' }));
    expect(log.body).toBe('m');
    expect(ms(log)).toBe(Date.parse('2025-12-01T12:00:00.000Z'));
    expect(log.attributes).toEqual({ 'aws.lambda.log.source': 'function', 'time': PINO_TIME, 'msg': 'other' });
  });

  test('no message at all: the object is the body', async () => {
    const [log] = await exported(objectRecord({ level: 'warn', event: 'cache-miss', count: 3 }));
    expect(log).toMatchObject({ severityText: 'warn', severityNumber: SeverityNumber.WARN });
    expect(log.body).toEqual({ event: 'cache-miss', count: 3 });
  });

  test('a requestId puts the record in its invocation\'s trace; extension records too', async () => {
    await sink.export(parse([raw.start(T0, REQ1, TRACE_HEADER)]), Date.now() + 10_000);
    const logs = await exported(
      objectRecord({ msg: 'in the invocation', level: 30, requestId: REQ1 }),
      objectRecord({ msg: 'from an extension', level: 40 }, 'extension'),
    );
    const [fn, ext] = logs.slice(-2);
    expect(fn).toMatchObject({ body: 'in the invocation', traceId: TRACE_ID, attributes: { 'faas.invocation_id': REQ1 } });
    expect(ext).toMatchObject({ body: 'from an extension', severityText: 'WARN', attributes: { 'aws.lambda.log.source': 'extension' } });
  });

  test('Lambda\'s own JSON format keeps its mapping (exception.* attributes)', async () => {
    const [log] = await exported(objectRecord({
      timestamp: '2025-12-01T12:00:00.000Z', level: 'ERROR', requestId: REQ1, message: 'boom', errorType: 'Error', errorMessage: 'boom', stackTrace: ['a', 'b'],
    }));
    expect(log).toMatchObject({ body: 'boom', severityNumber: SeverityNumber.ERROR });
    expect(log.attributes).toMatchObject({ 'exception.type': 'Error', 'exception.message': 'boom', 'exception.stacktrace': 'a\nb', 'faas.invocation_id': REQ1 });
  });
});
