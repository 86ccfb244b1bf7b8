import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXTENSION_ID, FakeLambda, RecordingSink, useFakeLambda } from './fake-lambda';
import { run, type CreateSink, type RunDeps } from '../../extension-src/main';
import { SinkInitError } from '../../extension-src/sinks/errors';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';
import { freePort } from '../support/free-port';

const T = '2024-01-01T00:00:00.000Z';
const start = (id: string) => ({ time: T, type: 'platform.start', record: { requestId: id } });
const fnLog = (text: string) => ({ time: T, type: 'function', record: text });
const runtimeDone = (id: string) => ({ time: T, type: 'platform.runtimeDone', record: { requestId: id, status: 'success' } });
const report = (id: string) => ({ time: T, type: 'platform.report', record: { requestId: id, status: 'success', metrics: { durationMs: 1 } } });
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:fn';
const invoke = (id: string, inMs = 5_000) => ({ status: 200, body: { eventType: 'INVOKE', deadlineMs: Date.now() + inMs, requestId: id, invokedFunctionArn: ARN } });
const shutdown = (reason = 'spindown', inMs = 2_000) => ({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: Date.now() + inMs, shutdownReason: reason } });

const requestIdOf = (e: ParsedEvent) => (e.record as { requestId?: string }).requestId;
const isType = (type: string, id?: string) => (e: ParsedEvent) => e.type === type && (id === undefined || requestIdOf(e) === id);

let fake: FakeLambda;
let output: string[];

useFakeLambda((f, o) => {
  fake = f;
  output = o;
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { AWS_LAMBDA_RUNTIME_API: fake.runtimeApi, TELEMETRY_EXTENSION_CONFIGURED: '1', TELEMETRY_EXTENSION_TYPES: 'platform,function', ...extra };
}

function start$(e: NodeJS.ProcessEnv, sink: RecordingSink, deps: Partial<RunDeps> = {}): Promise<number> {
  const createSink: CreateSink = async () => sink;
  return run(e, { createSink, listenAddress: '127.0.0.1', listenPort: 0, ...deps });
}

const lines = (text: string) => output.join('').split('\n').filter((l) => l.includes(text));

describe('run: lifecycle', () => {
  test('end-of-invocation: register, subscribe, wait for runtimeDone, flush, next; SHUTDOWN waits for the last report, flushes, exits 0', async () => {
    const sink = new RecordingSink();
    const done = start$(env({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'end-of-invocation' }), sink);

    const next1 = await fake.nextCall();
    const [register] = fake.find('/2020-01-01/extension/register');
    expect(register.headers['lambda-extension-name']).toBe('telemetry-extension');
    expect(register.headers['lambda-extension-accept-feature']).toBe('accountId');
    expect(JSON.parse(register.body)).toEqual({ events: ['INVOKE', 'SHUTDOWN'] });
    expect(fake.subscription).toMatchObject({ schemaVersion: '2022-12-13', types: ['platform', 'function'] });
    expect(fake.subscription?.destination.URI).toMatch(/^http:\/\/sandbox\.localdomain:\d+$/);
    expect(fake.find('/2022-07-01/telemetry')[0].headers['lambda-extension-identifier']).toBe(EXTENSION_ID);
    expect(lines('INFO started')).toHaveLength(1);

    next1(invoke('req-1'));
    expect(await fake.push([start('req-1'), fnLog('hello')])).toBe(200);
    // What the sink holds at the instant the extension calls next: proof that it waited for runtimeDone.
    const next2Called = fake.nextCall().then((respond) => ({ respond, exportedBeforeNext: sink.events.map((e) => e.type) }));
    expect(await fake.push([fnLog('still running')])).toBe(200);
    expect(await fake.push([runtimeDone('req-1')])).toBe(200);
    const { respond: next2, exportedBeforeNext } = await next2Called;
    // It called next only once runtimeDone had arrived and everything up to it was handed over:
    // an extension that did not wait would have called next after exporting the first two events.
    expect(exportedBeforeNext).toEqual(['platform.start', 'function', 'function', 'platform.runtimeDone']);
    // By the time it called next, everything up to runtimeDone was handed to the sink, in order.
    expect(sink.events.map((e) => e.type)).toEqual(['platform.start', 'function', 'function', 'platform.runtimeDone']);
    expect(sink.exports[0].deadline).toBeGreaterThan(Date.now() - 10_000);

    next2(shutdown('SPINDOWN'));
    await fake.push([report('req-1')]);
    await expect(done).resolves.toBe(0);
    expect(sink.events.some(isType('platform.report', 'req-1'))).toBe(true);
    expect(sink.shutdownCalls).toHaveLength(1);
    const summary = lines('INFO shutdown');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatch(/^\[telemetry-extension\] INFO shutdown reason=spindown received=5 invalid=0 unknown=0 rejected=0 dropped=0 exported=5 failedExports=0 .*unsent=0 abandoned=0 inFlight=0 sinkShutdown=done/);
    expect(fake.find('/2020-01-01/extension/exit/error')).toHaveLength(0);
  });

  test('end-of-invocation without a runtimeDone: stops waiting before the deadline and flushes what came', async () => {
    const sink = new RecordingSink();
    const done = start$(env({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'end-of-invocation' }), sink, { timing: { invokeMarginMs: 50, invokeFlushReserveMs: 100 } });
    (await fake.nextCall())(invoke('req-slow', 400));
    await fake.push([start('req-slow')]);
    const next2 = await fake.nextCall(); // after ~250 ms, without runtimeDone
    expect(sink.events.some(isType('platform.start', 'req-slow'))).toBe(true);
    await fake.push([report('req-slow')]);
    next2(shutdown());
    await expect(done).resolves.toBe(0);
  });

  test('continuously: next is called at once, exports happen in the background', async () => {
    const sink = new RecordingSink();
    const done = start$(env({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '20' }), sink);
    (await fake.nextCall())(invoke('req-a'));
    const next2 = await fake.nextCall(); // no runtimeDone pushed: it did not wait
    await fake.push([start('req-a'), fnLog('x')]);
    await sink.waitForEvent(isType('function')); // delivered by the timer while "thawed"
    await fake.push([report('req-a')]);
    next2(shutdown());
    await expect(done).resolves.toBe(0);
  });

  test('SHUTDOWN is bounded even when the sink hangs; what could not be sent is reported', async () => {
    const sink = new RecordingSink();
    sink.hangExports = true;
    sink.hangShutdown = true;
    const done = start$(env({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'periodically', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '600000' }), sink);
    (await fake.nextCall())(invoke('req-h'));
    const next2 = await fake.nextCall();
    await fake.push([start('req-h'), runtimeDone('req-h'), report('req-h')]);
    const deadline = Date.now() + 800;
    next2({ status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: deadline, shutdownReason: 'timeout' } });
    await expect(done).resolves.toBe(0);
    expect(Date.now()).toBeLessThan(deadline);
    const [summary] = lines('INFO shutdown');
    expect(summary).toContain('reason=timeout');
    expect(summary).toContain('unsent=3');
    expect(summary).toContain('sinkShutdown="timed out"');
  });

  test('managed instances: registers for SHUTDOWN only and subscribes with schema 2025-01-29', async () => {
    const sink = new RecordingSink();
    const done = start$(env({ AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances' }), sink);
    const next1 = await fake.nextCall();
    expect(JSON.parse(fake.find('/2020-01-01/extension/register')[0].body)).toEqual({ events: ['SHUTDOWN'] });
    expect(fake.subscription?.schemaVersion).toBe('2025-01-29');
    expect(lines('cannot work here (managed instances send no INVOKE events): using continuously')).toHaveLength(1);
    next1(shutdown());
    await expect(done).resolves.toBe(0);
  });

  test('without TELEMETRY_EXTENSION_CONFIGURED it says once that it runs with defaults', async () => {
    const sink = new RecordingSink();
    const done = start$({ AWS_LAMBDA_RUNTIME_API: fake.runtimeApi }, sink);
    (await fake.nextCall())(shutdown());
    await expect(done).resolves.toBe(0);
    expect(lines('running with defaults')).toHaveLength(1);
    expect(fake.subscription?.types).toEqual(['platform']);
  });

  test('subscribe answered 202 (no Telemetry API): carries on without waiting for telemetry', async () => {
    fake.subscribeAnswer = { status: 202, body: 'not supported' };
    const sink = new RecordingSink();
    const done = start$(env({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'end-of-invocation' }), sink);
    (await fake.nextCall())(invoke('req-1', 60_000));
    (await fake.nextCall())(shutdown());
    await expect(done).resolves.toBe(0);
    expect(lines('not supported here')).toHaveLength(1);
  });

  test('a fatal error after init: exit/error, then exit status 1', async () => {
    const sink = new RecordingSink();
    const done = start$(env(), sink);
    (await fake.nextCall())({ status: 500, body: { errorType: 'Runtime.Broken', errorMessage: 'environment broken' } });
    await expect(done).resolves.toBe(1);
    const [exitError] = fake.find('/2020-01-01/extension/exit/error');
    expect(exitError.headers['lambda-extension-function-error-type']).toBe('Extension.Fatal');
    expect(JSON.parse(exitError.body).errorMessage).toBe('event/next failed: HTTP 500 Runtime.Broken: environment broken');
  });
});

describe('run: init errors', () => {
  async function initError(): Promise<{ type: string | string[] | undefined; body: { errorType: string; errorMessage: string } }> {
    const [req] = fake.find('/2020-01-01/extension/init/error');
    return { type: req.headers['lambda-extension-function-error-type'], body: JSON.parse(req.body) };
  }

  test('a bad configuration value: registers, then init/error Extension.ConfigInvalid, exit 1', async () => {
    await expect(start$(env({ TELEMETRY_EXTENSION_PORT: '80' }), new RecordingSink())).resolves.toBe(1);
    expect(await initError()).toEqual({
      type: 'Extension.ConfigInvalid',
      body: { errorType: 'Extension.ConfigInvalid', errorMessage: 'TELEMETRY_EXTENSION_PORT must be an integer from 1024 to 65535 other than 9001, got "80"' },
    });
    expect(fake.find('/2022-07-01/telemetry')).toHaveLength(0);
    expect(fake.find('/2020-01-01/extension/event/next')).toHaveLength(0);
  });

  test('the listener port is taken: Extension.ListenerFailed', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      await expect(start$(env(), new RecordingSink(), { listenPort: port })).resolves.toBe(1);
      const error = await initError();
      expect(error.type).toBe('Extension.ListenerFailed');
      expect(error.body.errorMessage).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('the subscription is refused: Extension.SubscribeFailed with the API\'s message', async () => {
    fake.subscribeAnswer = { status: 400, body: { errorType: 'ValidationError', errorMessage: 'URI port is not provided' } };
    await expect(start$(env(), new RecordingSink())).resolves.toBe(1);
    const error = await initError();
    expect(error.type).toBe('Extension.SubscribeFailed');
    expect(error.body.errorMessage).toBe('telemetry subscribe failed: HTTP 400 ValidationError: URI port is not provided');
  });

  test('the sink cannot be created: its own errorType is reported', async () => {
    const createSink: CreateSink = async () => {
      throw new SinkInitError('Extension.SecretUnavailable', 'cannot read the headers secret');
    };
    await expect(run(env(), { createSink, listenAddress: '127.0.0.1', listenPort: 0 })).resolves.toBe(1);
    const error = await initError();
    expect(error.type).toBe('Extension.SecretUnavailable');
    expect(error.body.errorMessage).toBe('cannot create the stdout sink: cannot read the headers secret');
  });

  test('registration refused: logged to stderr, exit 1, nothing else attempted', async () => {
    fake.registerAnswer = { status: 403, body: { errorType: 'Extension.Forbidden', errorMessage: 'no' } };
    await expect(start$(env(), new RecordingSink())).resolves.toBe(1);
    expect(lines('ERROR cannot register with the Extensions API')).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
  });

  test('the Extensions API is unreachable: logged, exit 1', async () => {
    const unreachable = { ...env(), AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${await freePort()}` };
    await expect(start$(unreachable, new RecordingSink())).resolves.toBe(1);
    expect(lines('ERROR cannot register')[0]).toContain('ECONNREFUSED');
  });

  test('no AWS_LAMBDA_RUNTIME_API: exit 1 at once', async () => {
    await expect(run({}, {})).resolves.toBe(1);
    expect(lines('AWS_LAMBDA_RUNTIME_API is not set')).toHaveLength(1);
  });
});
