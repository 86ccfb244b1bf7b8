/**
 * What SHUTDOWN waits for and keeps: the report of every invocation still open (not only the last
 * INVOKE's, which managed instances never send), and every event that arrives while it drains.
 */
import { FakeLambda, RecordingSink, useFakeLambda } from './fake-lambda';
import { run, type CreateSink } from '../../extension-src/main';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';

const T = '2024-01-01T00:00:00.000Z';
const initReport = { time: T, type: 'platform.initReport', record: { initializationType: 'lambda-managed-instances', phase: 'init', status: 'success', metrics: { durationMs: 5 } } };
const start = (id: string) => ({ time: T, type: 'platform.start', record: { requestId: id } });
const fnLog = (text: string) => ({ time: T, type: 'function', record: text });
const report = (id: string) => ({ time: T, type: 'platform.report', record: { requestId: id, status: 'success', metrics: { durationMs: 60 } } });
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
const invoke = (id: string) => ({ status: 200, body: { eventType: 'INVOKE', deadlineMs: Date.now() + 5_000, requestId: id, invokedFunctionArn: ARN } });
const shutdown = (inMs = 2_000) => ({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: Date.now() + inMs, shutdownReason: 'spindown' } });

const requestIdOf = (e: ParsedEvent) => (e.record as { requestId?: string }).requestId;
const isReport = (id: string) => (e: ParsedEvent) => e.type === 'platform.report' && requestIdOf(e) === id;
const isLog = (text: string) => (e: ParsedEvent) => e.type === 'function' && e.record === text;

let fake: FakeLambda;
let output: string[];
useFakeLambda((f, o) => {
  fake = f;
  output = o;
});

function start$(extra: Record<string, string>, sink: RecordingSink): Promise<number> {
  const createSink: CreateSink = async () => sink;
  const env = { AWS_LAMBDA_RUNTIME_API: fake.runtimeApi, TELEMETRY_EXTENSION_CONFIGURED: '1', TELEMETRY_EXTENSION_TYPES: 'platform,function', ...extra };
  return run(env, { createSink, listenAddress: '127.0.0.1', listenPort: 0 });
}

/** `step`, or a failure as soon as the extension exits first. */
function beforeExit<T>(step: Promise<T>, done: Promise<number>, what: string): Promise<T> {
  return Promise.race([step, done.then((code) => Promise.reject(new Error(`the extension exited (${code}) before ${what}`)))]);
}

const summary = () => output.join('').split('\n').find((l) => l.includes('INFO shutdown')) ?? '';

describe('SHUTDOWN waits for every open invocation', () => {
  test('managed instances (no INVOKE): an invocation still running at SHUTDOWN is awaited, its events drained as they come', async () => {
    const sink = new RecordingSink();
    const done = start$({ AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '600000' }, sink);
    const next = await fake.nextCall();
    // The init is reported; two invocations start, one ends.
    expect(await fake.push([initReport, start('a'), start('b'), fnLog('a ends')])).toBe(200);
    expect(await fake.push([report('a')])).toBe(200);
    next(shutdown());
    // `b` still runs: its log comes during SHUTDOWN and is handed over while the extension waits...
    expect(await fake.push([fnLog('b still running')])).toBe(200);
    await beforeExit(sink.waitForEvent(isLog('b still running')), done, 'b\'s log was exported');
    expect(sink.shutdownCalls).toHaveLength(0);
    // ...and its report, when it comes, too.
    expect(await fake.push([report('b')])).toBe(200);
    await expect(done).resolves.toBe(0);
    expect(sink.events.filter(isReport('b'))).toHaveLength(1);
    expect(sink.events.filter(isReport('a'))).toHaveLength(1);
    expect(summary()).toMatch(/ received=7 .*dropped=0 exported=7 .*abandoned=0 .*openInvocations=0/);
  });

  test('managed instances: a report that comes after the usual report wait (buffering timeout + 500 ms) is still awaited', async () => {
    const sink = new RecordingSink();
    const done = start$({ AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '600000' }, sink);
    const next = await fake.nextCall();
    expect(await fake.push([initReport, start('long')])).toBe(200);
    const shutdownAt = Date.now();
    next(shutdown(2_000));
    await beforeExit(sink.waitForEvent((e) => e.type === 'platform.start'), done, 'the queued events were exported');
    // The invocation runs on for 700 ms after SHUTDOWN: longer than the 525 ms a buffered report
    // gets, shorter than the 60% of the budget a running one gets. No event marks that time.
    await new Promise((resolve) => setTimeout(resolve, 700 - (Date.now() - shutdownAt)));
    expect(await fake.push([report('long')])).toBe(200);
    await expect(done).resolves.toBe(0);
    expect(sink.events.filter(isReport('long'))).toHaveLength(1);
    expect(summary()).toMatch(/abandoned=0 .*openInvocations=0/);
  });

  test('on-demand: an invocation started before the last INVOKE and still open is awaited too', async () => {
    const sink = new RecordingSink();
    const done = start$({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'periodically', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '600000' }, sink);
    (await fake.nextCall())(invoke('old'));
    (await fake.nextCall())(invoke('last'));
    const next = await fake.nextCall();
    expect(await fake.push([start('old'), start('last'), report('last')])).toBe(200);
    next(shutdown());
    await beforeExit(sink.waitForEvent(isReport('last')), done, 'the queued events were exported');
    expect(await fake.push([report('old')])).toBe(200);
    await expect(done).resolves.toBe(0);
    expect(sink.events.filter(isReport('old'))).toHaveLength(1);
  });

  test('a report that never comes: the wait ends within the plan and the open invocation is named in the summary', async () => {
    const sink = new RecordingSink();
    const done = start$({ AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances' }, sink);
    const next = await fake.nextCall();
    expect(await fake.push([initReport, start('lost')])).toBe(200);
    const deadline = Date.now() + 1_000;
    next({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: deadline, shutdownReason: 'spindown' } });
    await expect(done).resolves.toBe(0);
    expect(Date.now()).toBeLessThan(deadline);
    expect(summary()).toMatch(/abandoned=0 .*openInvocations=1/);
  });
});

describe('SHUTDOWN keeps draining what arrives', () => {
  test('events that arrive while the last flush is in flight are exported, not abandoned', async () => {
    const sink = new RecordingSink();
    const done = start$({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'periodically', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '600000' }, sink);
    (await fake.nextCall())(invoke('r'));
    const next = await fake.nextCall();
    expect(await fake.push([start('r'), report('r')])).toBe(200);
    let release = () => {};
    sink.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    next(shutdown());
    // The report is in: the drain starts at once, its export is held.
    await beforeExit(sink.waitForEvent(isReport('r')), done, 'the report was handed to the sink');
    expect(await fake.push([fnLog('written after the response')])).toBe(200);
    release();
    await expect(done).resolves.toBe(0);
    expect(sink.events.filter(isLog('written after the response'))).toHaveLength(1);
    expect(summary()).toMatch(/ received=3 .*dropped=0 exported=3 .*abandoned=0/);
  });
});
