import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { closeAll, startEmulator } from './helpers';
import { request } from './http-client';
import { NODE_RUNTIME_SCRIPT, PYTHON_RUNTIME_SCRIPT, runtimeCommandFor } from '../emulator/emulator';

afterEach(closeAll);

describe('Runtime API and the Node runtime', () => {
  test('the runtime gets the payload and the real invocation headers', async () => {
    // GIVEN
    const emu = await startEmulator({ handler: 'handlers.echo', timeoutMs: 5000, functionName: 'fn-echo', memorySizeMB: 256 });

    // WHEN
    const result = await emu.invoke({ hello: 'world' }, { traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' });

    // THEN
    expect(result.status).toBe('success');
    expect(result.response).toMatchObject({
      event: { hello: 'world' },
      requestId: result.requestId,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn-echo',
      functionName: 'fn-echo',
      memoryLimitInMB: '256',
      traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      handlerEnv: 'handlers.echo',
    });
    const remainingMs = (result.response as { remainingMs: number }).remainingMs;
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(5000);
  });

  test('a thrown error is posted as errorType / errorMessage / trace', async () => {
    const emu = await startEmulator({ handler: 'handlers.fail' });

    const result = await emu.invoke({});

    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    expect(Array.isArray(result.error?.trace)).toBe(true);
    const runtimeDone = await emu.waitForEvent('platform.runtimeDone');
    expect(runtimeDone.record).toMatchObject({ status: 'error', errorType: 'TypeError' });
  });

  test('callback-style handlers are supported', async () => {
    const emu = await startEmulator({ handler: 'handlers.callback' });

    const result = await emu.invoke({ n: 1 });

    expect(result.response).toEqual({ via: 'callback', event: { n: 1 } });
  });

  test('posting for an unknown request id answers 400 InvalidRequestID', async () => {
    const emu = await startEmulator();

    const answer = await request(emu.runtimeApi, 'POST', `/2018-06-01/runtime/invocation/${randomUUID()}/response`, { body: '{}' });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
  });

  test('runtime init/error after Init answers 403 InvalidStateTransition', async () => {
    const emu = await startEmulator();

    const answer = await request(emu.runtimeApi, 'POST', '/2018-06-01/runtime/init/error', { body: '{}' });

    expect(answer.status).toBe(403);
    expect(answer.body.errorType).toBe('InvalidStateTransition');
  });

  test('a second next while the runtime waits answers 403 InvalidStateTransition', async () => {
    const emu = await startEmulator();

    const answer = await request(emu.runtimeApi, 'GET', '/2018-06-01/runtime/invocation/next');

    expect(answer.status).toBe(403);
    expect(answer.body.errorType).toBe('InvalidStateTransition');
  });

  test('an unknown path answers 404', async () => {
    const emu = await startEmulator();

    const answer = await request(emu.runtimeApi, 'GET', '/2018-06-01/nope');

    expect(answer.status).toBe(404);
  });

  test('a handler that cannot be found fails Init with Runtime.HandlerNotFound, and the invoke retries it', async () => {
    // GIVEN
    const emu = await startEmulator({ handler: 'handlers.nope' });
    expect(emu.inits[0]).toMatchObject({ phase: 'init', status: 'error', errorType: 'Runtime.HandlerNotFound' });
    expect((await emu.waitForEvent('platform.initReport')).record).toMatchObject({ phase: 'init', status: 'error', errorType: 'Runtime.HandlerNotFound' });

    // WHEN
    const result = await emu.invoke({});

    // THEN
    expect(result.status).toBe('failure');
    expect(result.error?.errorType).toBe('Runtime.HandlerNotFound');
    expect(emu.inits[1]).toMatchObject({ phase: 'invoke', status: 'error' });
    const initStarts = emu.telemetry.filter((e) => e.type === 'platform.initStart').map((e) => (e.record as { phase: string }).phase);
    expect(initStarts).toEqual(['init', 'invoke']);
  });

  test('a missing module fails Init with Runtime.ImportModuleError', async () => {
    const emu = await startEmulator({ handler: 'missing.handler' });

    expect(emu.inits[0]).toMatchObject({ status: 'error', errorType: 'Runtime.ImportModuleError' });
  });

  test('a runtime crash during invoke is a failure with Runtime.ExitError; the next invoke restarts the environment', async () => {
    // GIVEN
    const emu = await startEmulator({ handler: 'handlers.crash' });

    // WHEN
    const crashed = await emu.invoke({});

    // THEN
    expect(crashed.status).toBe('failure');
    expect(crashed.error).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${crashed.requestId} Error: Runtime exited with error: exit status 3`,
    });
    const report = await emu.waitForEvent('platform.report', (r) => r.requestId === crashed.requestId);
    expect(report.record).toMatchObject({ status: 'failure', errorType: 'Runtime.ExitError' });
    expect(emu.shutdowns).toHaveLength(1);
    expect(emu.shutdowns[0].reason).toBe('failure');

    const again = await emu.invoke({});
    expect(again.init).toMatchObject({ phase: 'invoke', status: 'success' });
  });
});

describe('runtime loop selection', () => {
  test('nodejs* (and no runtime) run the Node loop; python* the Python loop when runtime/python-runtime.py exists', () => {
    const node = [process.execPath, NODE_RUNTIME_SCRIPT];
    expect(runtimeCommandFor(undefined)).toEqual(node);
    expect(runtimeCommandFor('nodejs22.x')).toEqual(node);
    expect(runtimeCommandFor('python3.13')).toEqual(fs.existsSync(PYTHON_RUNTIME_SCRIPT) ? ['python3', PYTHON_RUNTIME_SCRIPT] : node);
  });
});
