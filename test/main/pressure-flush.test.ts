import { FakeLambda, RecordingSink } from './fake-lambda';
import { run, type CreateSink } from '../../extension-src/main';

const T = '2024-01-01T00:00:00.000Z';
const fnLog = (text: string) => ({ time: T, type: 'function', record: text });
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
const invoke = (id: string) => ({ status: 200, body: { eventType: 'INVOKE', deadlineMs: Date.now() + 5_000, requestId: id, invokedFunctionArn: ARN } });
const shutdown = () => ({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: Date.now() + 2_000, shutdownReason: 'spindown' } });

let fake: FakeLambda;

beforeEach(async () => {
  fake = await FakeLambda.start();
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await fake.close();
});

describe('run: a queue under pressure is flushed without waiting for the strategy', () => {
  test('periodically, between boundaries: nothing below half the queue limit, a background flush from half on', async () => {
    const sink = new RecordingSink();
    const createSink: CreateSink = async () => sink;
    const done = run({
      AWS_LAMBDA_RUNTIME_API: fake.runtimeApi,
      TELEMETRY_EXTENSION_CONFIGURED: '1',
      TELEMETRY_EXTENSION_TYPES: 'platform,function',
      TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'periodically',
      TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '600000',
      TELEMETRY_EXTENSION_QUEUE_MAX_ITEMS: '10',
    }, { createSink, listenAddress: '127.0.0.1', listenPort: 0 });

    (await fake.nextCall())(invoke('req-1')); // the boundary's flush (queue empty) starts the interval
    const next2 = await fake.nextCall();
    expect(await fake.push([fnLog('1'), fnLog('2'), fnLog('3'), fnLog('4')])).toBe(200);
    expect(await fake.push([])).toBe(200); // one more round trip: a flush would have started by now
    expect(sink.events).toHaveLength(0);

    expect(await fake.push([fnLog('5'), fnLog('6')])).toBe(200); // 6 of 10: half full
    await sink.waitForEvent((e) => e.record === '6');
    expect(sink.events.map((e) => e.record)).toEqual(['1', '2', '3', '4', '5', '6']);

    next2(shutdown());
    await expect(done).resolves.toBe(0);
  });
});
