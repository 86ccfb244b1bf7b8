import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  closeAll, makeLayer, probes, startEmulator,
} from './helpers';
import { request } from './http-client';
import { restrictedPath } from '../emulator/restricted-path';

afterEach(closeAll);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Extensions API: register', () => {
  test('answers 200 with an identifier and the function metadata; accountId only with the feature', async () => {
    // GIVEN
    const layerDir = makeLayer({ 'plain': {}, 'with-account': { acceptAccountId: true } });

    // WHEN
    const emu = await startEmulator({ layerDir, functionName: 'my-fn', handler: 'handlers.echo', accountId: '210987654321' });

    // THEN
    const plain = probes(emu, 'plain', 'register')[0];
    expect(plain.status).toBe(200);
    expect(plain.id).toMatch(UUID);
    expect(plain.body).toEqual({ functionName: 'my-fn', functionVersion: '$LATEST', handler: 'handlers.echo' });
    expect(probes(emu, 'with-account', 'register')[0].body).toEqual({
      functionName: 'my-fn', functionVersion: '$LATEST', handler: 'handlers.echo', accountId: '210987654321',
    });
    expect(emu.extensions().map((e) => e.name).sort()).toEqual(['plain', 'with-account']);
  });

  test('registering twice is refused with 403 Extension.InvalidExtensionState', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ twice: { registerTwice: true } }) });

    expect(probes(emu, 'twice', 'register-again')[0]).toMatchObject({
      status: 403, body: { errorType: 'Extension.InvalidExtensionState' },
    });
  });

  test('a name that is not a file in extensions/ is refused with 403, and Init fails when that process exits', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ 'real-name': { name: 'other-name' } }) });

    expect(probes(emu, 'real-name', 'register')[0]).toMatchObject({
      status: 403, body: { errorType: 'Extension.InvalidExtensionName' },
    });
    expect(emu.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.Crash' });
  });

  test('at most 10 extensions register; the 11th is refused with Extension.TooManyExtensions', async () => {
    const layer = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`ext-${String(i).padStart(2, '0')}`, {}]));
    const emu = await startEmulator({ layerDir: makeLayer(layer) });

    const refused = Object.keys(layer).flatMap((name) => probes(emu, name, 'register')).filter((p) => p.status !== 200);
    expect(refused).toEqual([expect.objectContaining({ status: 403, body: expect.objectContaining({ errorType: 'Extension.TooManyExtensions' }) })]);
    expect(emu.inits[0].status).toBe('failure');
  });

  test('registering after Init is refused with Extension.RegistrationClosed', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ early: {} }) });

    const answer = await request(emu.runtimeApi, 'POST', '/2020-01-01/extension/register', {
      headers: { 'Lambda-Extension-Name': 'late' }, body: { events: ['INVOKE'] },
    });

    expect(answer.status).toBe(403);
    expect(answer.body.errorType).toBe('Extension.RegistrationClosed');
  });

  test('an unknown event type or a body that is not JSON is refused with 403', async () => {
    const emu = await startEmulator();
    const headers = { 'Lambda-Extension-Name': 'x' };

    const badEvent = await request(emu.runtimeApi, 'POST', '/2020-01-01/extension/register', { headers, body: { events: ['FOO'] } });
    const badBody = await request(emu.runtimeApi, 'POST', '/2020-01-01/extension/register', { headers, body: 'not json' });
    const noName = await request(emu.runtimeApi, 'POST', '/2020-01-01/extension/register', { body: { events: [] } });

    expect([badEvent.status, badEvent.body.errorType]).toEqual([403, 'Extension.InvalidEventType']);
    expect([badBody.status, badBody.body.errorType]).toEqual([403, 'InvalidRequestFormat']);
    expect([noName.status, noName.body.errorType]).toEqual([403, 'Extension.InvalidExtensionName']);
  });
});

describe('Extensions API: identifier checks', () => {
  test.each([
    ['missing', undefined, 'Extension.MissingExtensionIdentifier'],
    ['not a uuid', 'abc', 'Extension.InvalidExtensionIdentifier'],
    ['unknown', '3da1f2dc-3222-475e-9205-e2e6c6318895', 'Extension.UnknownExtensionIdentifier'],
  ])('%s identifier → 403 {errorMessage, errorType} on next, init/error, exit/error and telemetry', async (_label, id, errorType) => {
    const emu = await startEmulator();
    const headers: Record<string, string> = id === undefined ? {} : { 'Lambda-Extension-Identifier': id };
    const errorHeaders = { ...headers, 'Lambda-Extension-Function-Error-Type': 'Extension.Test' };

    const answers = await Promise.all([
      request(emu.runtimeApi, 'GET', '/2020-01-01/extension/event/next', { headers }),
      request(emu.runtimeApi, 'POST', '/2020-01-01/extension/init/error', { headers: errorHeaders, body: {} }),
      request(emu.runtimeApi, 'POST', '/2020-01-01/extension/exit/error', { headers: errorHeaders, body: {} }),
      request(emu.runtimeApi, 'PUT', '/2022-07-01/telemetry', { headers, body: {} }),
    ]);

    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({ errorMessage: expect.any(String), errorType });
    }
  });
});

describe('Extensions API: next', () => {
  test('a second next while the extension already waits is refused with 403 Extension.InvalidExtensionState', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ waiting: {} }) });

    const answer = await request(emu.runtimeApi, 'GET', '/2020-01-01/extension/event/next', {
      headers: { 'Lambda-Extension-Identifier': emu.extensions()[0].id },
    });

    expect(answer.status).toBe(403);
    expect(answer.body.errorType).toBe('Extension.InvalidExtensionState');
  });
});

describe('Extensions API: events', () => {
  test('INVOKE carries deadlineMs, requestId, invokedFunctionArn and tracing only with a trace header; SHUTDOWN carries deadlineMs and shutdownReason', async () => {
    // GIVEN
    const emu = await startEmulator({ layerDir: makeLayer({ watcher: {} }), timeoutMs: 4000, functionName: 'traced' });
    const traceHeader = 'Root=1-5f35ae12-0c0fec141ab77a00bc047aa2;Parent=2be948a625588e32;Sampled=1';

    // WHEN
    const traced = await emu.invoke({}, { traceHeader });
    const untraced = await emu.invoke({});
    const shutdown = await emu.shutdown();

    // THEN
    const events = probes(emu, 'watcher', 'event');
    expect(events.map((p) => p.event)).toEqual([
      {
        eventType: 'INVOKE',
        deadlineMs: traced.startedAt + 4000,
        requestId: traced.requestId,
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:traced',
        tracing: { type: 'X-Amzn-Trace-Id', value: traceHeader },
      },
      {
        eventType: 'INVOKE',
        deadlineMs: untraced.startedAt + 4000,
        requestId: untraced.requestId,
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:traced',
      },
      { eventType: 'SHUTDOWN', deadlineMs: shutdown.deadlineMs, shutdownReason: 'spindown' },
    ]);
    expect(events.every((p) => UUID.test(p.eventIdentifier))).toBe(true);
    expect(shutdown.deadlineMs).toBe(shutdown.startedAt + 2000);
  });

  test('an extension registered for SHUTDOWN only gets no INVOKE and does not hold the invoke phase', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ 'shutdown-only': { events: ['SHUTDOWN'] } }) });

    const result = await emu.invoke({});
    await emu.shutdown();

    expect(result.extensionsNextAt).toEqual({});
    expect(probes(emu, 'shutdown-only', 'event').map((p) => p.event.eventType)).toEqual(['SHUTDOWN']);
  });

  test('an extension registered for no events is killed at once on SHUTDOWN', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ idle: { events: [] } }) });

    const shutdown = await emu.shutdown();

    expect(shutdown.extensions[0]).toMatchObject({ name: 'idle', killed: 'not-registered-for-shutdown', signal: 'SIGKILL' });
  });

  test('extensions get the function environment plus the Lambda variables, without the runtime-only ones', async () => {
    const emu = await startEmulator({
      layerDir: makeLayer({
        env: {
          probeEnv: ['AWS_LAMBDA_RUNTIME_API', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
            'AWS_REGION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'MY_SETTING', '_HANDLER', 'LAMBDA_TASK_ROOT', 'AWS_LAMBDA_LOG_GROUP_NAME'],
        },
      }),
      env: { MY_SETTING: 'on' },
      functionName: 'env-fn',
      memorySizeMB: 512,
      region: 'eu-west-1',
    });

    const env = probes(emu, 'env', 'env')[0];
    expect(env.values).toEqual({
      AWS_LAMBDA_RUNTIME_API: emu.runtimeApi,
      AWS_LAMBDA_FUNCTION_NAME: 'env-fn',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      MY_SETTING: 'on',
      _HANDLER: null,
      LAMBDA_TASK_ROOT: null,
      AWS_LAMBDA_LOG_GROUP_NAME: null,
    });
    expect(env.argv).toEqual([]);
  });

  test('the path option replaces PATH: a `#!/usr/bin/env node` extension then cannot start (Extension.Crash)', async () => {
    const binDir = restrictedPath(fs.mkdtempSync(path.join(os.tmpdir(), 'emu-bin-')), ['env', 'sh']);

    const emu = await startEmulator({ layerDir: makeLayer({ 'needs-node': {} }), path: binDir });

    expect(emu.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.Crash' });
    expect(emu.linesOf('needs-node').join('\n')).toMatch(/node/);
    fs.rmSync(binDir, { recursive: true, force: true });
  });

  test('restrictedPath hides node from shell launchers', async () => {
    const binDir = restrictedPath(fs.mkdtempSync(path.join(os.tmpdir(), 'emu-bin-')), ['env', 'sh']);
    const script = '#!/usr/bin/env sh\nif command -v node >/dev/null; then echo "node found"; else echo "no node here"; fi\n';

    const emu = await startEmulator({ layerDir: makeLayer({ 'shell-only': { script } }), path: binDir });

    expect(emu.linesOf('shell-only')).toEqual(['no node here']);
    fs.rmSync(binDir, { recursive: true, force: true });
  });

  test('only regular files directly in extensions/ are launched', async () => {
    const layerDir = makeLayer({ launched: {} });
    fs.mkdirSync(path.join(layerDir, 'extensions', 'subdir'));
    fs.writeFileSync(path.join(layerDir, 'extensions', 'subdir', 'nested'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });

    const emu = await startEmulator({ layerDir });

    expect(emu.inits[0].status).toBe('success');
    expect(emu.extensions().map((e) => e.name)).toEqual(['launched']);
  });
});

describe('Extensions API: init/error and exit/error', () => {
  test('init/error is accepted (202), recorded with headers and body, and fails Init with that error type', async () => {
    // GIVEN
    const body = { errorMessage: 'Error parsing event data.', errorType: 'InvalidEventDataException', stackTrace: [] };

    // WHEN
    const emu = await startEmulator({ layerDir: makeLayer({ broken: { initError: { errorType: 'Extension.ConfigInvalid', body } } }) });

    // THEN
    expect(probes(emu, 'broken', 'init-error')[0]).toEqual({ kind: 'init-error', status: 202, body: { status: 'OK' } });
    expect(emu.extensionErrors).toEqual([expect.objectContaining({
      kind: 'init',
      extensionName: 'broken',
      functionErrorType: 'Extension.ConfigInvalid',
      body,
      accepted: true,
      headers: expect.objectContaining({ 'lambda-extension-function-error-type': 'Extension.ConfigInvalid' }),
    })]);
    expect(emu.inits[0]).toMatchObject({ status: 'error', errorType: 'Extension.ConfigInvalid', errorMessage: 'Error parsing event data.' });
    const extensionEvent = await emu.waitForEvent('platform.extension');
    expect(extensionEvent.record).toEqual({ name: 'broken', state: 'InitError', events: ['INVOKE', 'SHUTDOWN'], errorType: 'Extension.ConfigInvalid' });
    expect((await emu.waitForEvent('platform.initReport')).record).toMatchObject({ phase: 'init', status: 'error', errorType: 'Extension.ConfigInvalid' });
  });

  test('after an init/error the next invoke runs a suppressed Init (phase invoke) and the subscription says Already subscribed', async () => {
    // GIVEN
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'emu-marker-')), 'seen');
    const layerDir = makeLayer({ flaky: { initErrorOnceFile: marker, subscribe: { types: ['platform'] } } });
    const emu = await startEmulator({ layerDir });
    expect(emu.inits[0].status).toBe('error');

    // WHEN
    const result = await emu.invoke({ again: true });

    // THEN
    expect(result.status).toBe('success');
    expect(result.init).toMatchObject({ phase: 'invoke', status: 'success' });
    const phases = emu.telemetry.filter((e) => e.type === 'platform.initStart' || e.type === 'platform.initReport')
      .map((e) => `${e.type}:${(e.record as { phase: string }).phase}`);
    expect(phases).toEqual(['platform.initStart:init', 'platform.initReport:init', 'platform.initStart:invoke', 'platform.initReport:invoke']);
    const states = emu.telemetry.filter((e) => e.type === 'platform.telemetrySubscription').map((e) => (e.record as { state: string }).state);
    expect(states).toEqual(['Subscribed', 'Already subscribed']);
    fs.rmSync(path.dirname(marker), { recursive: true, force: true });
  });

  test('exit/error is accepted and recorded; the extension exiting during the invoke fails it with Extension.Crash', async () => {
    const emu = await startEmulator({
      layerDir: makeLayer({ quitter: { exitErrorOnInvoke: { errorType: 'Extension.Fatal', body: { errorMessage: 'gave up', errorType: 'Fatal' } } } }),
    });

    const result = await emu.invoke({});

    expect(probes(emu, 'quitter', 'exit-error')[0]).toMatchObject({ status: 202 });
    expect(emu.extensionErrors).toEqual([expect.objectContaining({ kind: 'exit', functionErrorType: 'Extension.Fatal', accepted: true })]);
    expect(result.status).toBe('failure');
    expect(result.error?.errorType).toBe('Extension.Crash');
    expect(emu.shutdowns[0].reason).toBe('failure');
  });

  test('init/error without Lambda-Extension-Function-Error-Type is refused with 403 Extension.MissingHeader', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ ext: {} }) });
    const id = emu.extensions()[0].id;

    const answer = await request(emu.runtimeApi, 'POST', '/2020-01-01/extension/init/error', {
      headers: { 'Lambda-Extension-Identifier': id }, body: {},
    });

    expect(answer.status).toBe(403);
    expect(answer.body.errorType).toBe('Extension.MissingHeader');
  });

  test('init/error after Init is refused with 403 Extension.InvalidExtensionState (and recorded as refused)', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ ext: {} }) });
    const id = emu.extensions()[0].id;

    const answer = await request(emu.runtimeApi, 'POST', '/2020-01-01/extension/init/error', {
      headers: { 'Lambda-Extension-Identifier': id, 'Lambda-Extension-Function-Error-Type': 'Extension.Late' }, body: {},
    });

    expect(answer.status).toBe(403);
    expect(answer.body.errorType).toBe('Extension.InvalidExtensionState');
    expect(emu.extensionErrors[0]).toMatchObject({ kind: 'init', accepted: false });
  });

  test('an extension that exits before registering fails Init with Extension.Crash', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ gone: { exitBeforeRegister: 2 } }) });

    expect(emu.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.Crash', errorMessage: 'Extension gone exited with error: exit status 2' });
  });

  test('a file that cannot be executed fails Init with Extension.LaunchError', async () => {
    const layerDir = makeLayer({});
    fs.writeFileSync(path.join(layerDir, 'extensions', 'not-executable'), 'data', { mode: 0o644 });

    const emu = await startEmulator({ layerDir });

    expect(emu.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.LaunchError' });
  });

  test('Init that takes longer than the limit times out (Sandbox.Timeout)', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ slow: { script: '#!/bin/sh\nexec sleep 30\n' } }), initTimeoutMs: 300 });

    expect(emu.inits[0]).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timeout' });
    expect(emu.shutdowns[0]).toMatchObject({ reason: 'timeout' });
    expect(emu.shutdowns[0].extensions[0]).toMatchObject({ name: 'slow', registered: false, killed: 'not-registered-for-shutdown' });
  });
});
