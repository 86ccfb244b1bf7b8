/**
 * Losses are reported, not only counted: a burst of invalid input (whose warnings are
 * rate-limited) must not silence the warning that events were dropped. Drives `run()` against the
 * scripted Extensions/Telemetry API stand-in, with a sink that breaks its contract and rejects.
 */
import { run } from '../../extension-src/main';
import type { ExportOutcome, Sink } from '../../extension-src/sinks/sink';
import { FakeLambda, useFakeLambda } from '../main/fake-lambda';

const T = '2030-01-01T00:00:00.000Z';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fn';

class RejectingSink implements Sink {
  readonly name = 'rejecting';
  async export(): Promise<ExportOutcome> {
    throw new Error('boom');
  }
  async shutdown(): Promise<ExportOutcome> {
    return { exported: 0, dropped: 0 };
  }
}

let fake: FakeLambda;
let output: string[];

useFakeLambda((f, o) => {
  fake = f;
  output = o;
});

test('after a burst of invalid-event warnings, dropped events are still reported in the log', async () => {
  const exit = run(
    { AWS_LAMBDA_RUNTIME_API: fake.runtimeApi, TELEMETRY_EXTENSION_CONFIGURED: '1', TELEMETRY_EXTENSION_TYPES: 'platform,function' },
    { createSink: async () => new RejectingSink(), listenAddress: '127.0.0.1', listenPort: 0 },
  );
  await fake.whenSubscribed();
  // Ten batches with an invalid event each: more warnings than the rate limit lets through.
  for (let i = 0; i < 10; i++) expect(await fake.push([{ time: T, type: 'platform.start', record: { requestId: i } }])).toBe(200);
  expect(await fake.push([
    { time: T, type: 'platform.start', record: { requestId: 'r1' } },
    { time: T, type: 'platform.runtimeDone', record: { requestId: 'r1', status: 'success' } },
  ])).toBe(200);

  (await fake.nextCall())({ status: 200, body: { eventType: 'INVOKE', deadlineMs: Date.now() + 5_000, requestId: 'r1', invokedFunctionArn: ARN } });
  (await fake.nextCall())({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: Date.now() + 2_000, shutdownReason: 'spindown' } });
  expect(await exit).toBe(0);

  const text = output.join('');
  expect(text).toMatch(/WARN sink export failed unexpectedly; events dropped sink=rejecting count=2/);
  expect(text).toMatch(/INFO shutdown .*dropped=2/);
});
