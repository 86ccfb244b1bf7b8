import { readFileSync } from 'node:fs';
import { deadRuntimeApi, fakeApi, RESET } from './fake-api';
import { ExtensionsApiClient, registrationEvents } from '../../extension-src/lambda/extensions-api';
import { callApi, LambdaApiError, splitRuntimeApi } from '../../extension-src/lambda/http';
import { sharedFixtures } from '../support/shared-fixtures';

const FIXTURES = sharedFixtures('extensions-api');
const ID = '0a1b2c3d-0000-4000-8000-000000000001';
const registerResponse = JSON.parse(readFileSync(`${FIXTURES}/register-response.docs.json`, 'utf8')) as unknown;
const invokeEvent = JSON.parse(readFileSync(`${FIXTURES}/invoke-event.docs.json`, 'utf8')) as unknown;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('registrationEvents', () => {
  test('INVOKE and SHUTDOWN normally, SHUTDOWN only on managed instances', () => {
    expect(registrationEvents({})).toEqual(['INVOKE', 'SHUTDOWN']);
    expect(registrationEvents({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' })).toEqual(['INVOKE', 'SHUTDOWN']);
    expect(registrationEvents({ AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances' })).toEqual(['SHUTDOWN']);
  });
});

describe('splitRuntimeApi', () => {
  test('host:port, including bracketed IPv6', () => {
    expect(splitRuntimeApi('127.0.0.1:9001')).toEqual({ host: '127.0.0.1', port: 9001 });
    expect(splitRuntimeApi('[::1]:9001')).toEqual({ host: '::1', port: 9001 });
    expect(() => splitRuntimeApi('localhost')).toThrow('AWS_LAMBDA_RUNTIME_API must be host:port, got "localhost"');
  });
});

describe('ExtensionsApiClient', () => {
  test('register sends the name, the accountId feature and the events; keeps the identifier', async () => {
    const api = await fakeApi(() => ({ status: 200, headers: { 'Lambda-Extension-Identifier': ID }, body: registerResponse }));
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi });
    const registration = await client.register(['INVOKE', 'SHUTDOWN']);
    expect(registration).toEqual({
      extensionId: ID,
      functionName: 'helloWorld',
      functionVersion: '$LATEST',
      handler: 'lambda_function.lambda_handler',
      accountId: '123456789012',
    });
    expect(client.extensionId).toBe(ID);
    const [req] = api.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/2020-01-01/extension/register');
    expect(req.headers['lambda-extension-name']).toBe('telemetry-extension');
    expect(req.headers['lambda-extension-accept-feature']).toBe('accountId');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ events: ['INVOKE', 'SHUTDOWN'] });
  });

  test('register refused: LambdaApiError with status, errorType and message', async () => {
    const api = await fakeApi(() => ({ status: 400, body: { errorType: 'Extension.AlreadyRegistered', errorMessage: 'already registered' } }));
    close = api.close;
    const error = await new ExtensionsApiClient({ runtimeApi: api.runtimeApi }).register(['SHUTDOWN']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaApiError);
    expect(error).toMatchObject({ operation: 'register', status: 400, errorType: 'Extension.AlreadyRegistered' });
    expect((error as Error).message).toBe('register failed: HTTP 400 Extension.AlreadyRegistered: already registered');
  });

  test('register without an identifier in the answer is an error', async () => {
    const api = await fakeApi(() => ({ status: 200, body: {} }));
    close = api.close;
    await expect(new ExtensionsApiClient({ runtimeApi: api.runtimeApi }).register(['SHUTDOWN'])).rejects.toThrow('no Lambda-Extension-Identifier');
  });

  test('register with nothing listening: LambdaApiError without status', async () => {
    const runtimeApi = await deadRuntimeApi();
    const error = await new ExtensionsApiClient({ runtimeApi }).register(['SHUTDOWN']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaApiError);
    expect((error as LambdaApiError).status).toBeUndefined();
    expect((error as Error).message).toMatch(new RegExp(`^register failed: cannot reach the Lambda API at ${runtimeApi}: .*ECONNREFUSED`));
  });

  test('next sends the identifier on a kept-alive connection and reads INVOKE and SHUTDOWN', async () => {
    const answers = [
      { status: 200, headers: { 'Lambda-Extension-Identifier': ID }, body: {} },
      { status: 200, body: invokeEvent },
      { status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: 1234, shutdownReason: 'spindown' } },
    ];
    const api = await fakeApi(() => answers.shift()!);
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi });
    await client.register(['INVOKE', 'SHUTDOWN']);
    await expect(client.next()).resolves.toMatchObject({ eventType: 'INVOKE', deadlineMs: 676051, requestId: '3da1f2dc-3222-475e-9205-e2e6c6318895' });
    await expect(client.next()).resolves.toEqual({ eventType: 'SHUTDOWN', deadlineMs: 1234, shutdownReason: 'spindown' });
    const nextRequest = api.requests[1];
    expect(nextRequest.method).toBe('GET');
    expect(nextRequest.url).toBe('/2020-01-01/extension/event/next');
    expect(nextRequest.headers['lambda-extension-identifier']).toBe(ID);
    expect(nextRequest.headers.connection).toBe('keep-alive');
    // register, next, next: one connection, no TCP connect per `next`
    expect(api.requests.map((r) => r.onConnection)).toEqual([0, 1, 2]);
    expect(new Set(api.requests.map((r) => r.clientPort)).size).toBe(1);
  });

  test('a kept-alive connection dropped meanwhile (as across a freeze): next is sent once more on a fresh one', async () => {
    const api = await fakeApi((req) => {
      if (req.url.endsWith('/register')) return { status: 200, headers: { 'Lambda-Extension-Identifier': ID } };
      // the pooled connection was closed by the peer: the request reaches nobody who answers
      if (req.onConnection > 0) return RESET;
      return { status: 200, body: invokeEvent };
    });
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi });
    await client.register(['INVOKE', 'SHUTDOWN']);
    await expect(client.next()).resolves.toMatchObject({ eventType: 'INVOKE', requestId: '3da1f2dc-3222-475e-9205-e2e6c6318895' });
    expect(api.requests.map((r) => [r.url.split('/').pop(), r.onConnection])).toEqual([['register', 0], ['next', 1], ['next', 0]]);
  });

  test('the retry goes outside the pool, which may hold more connections dropped meanwhile', async () => {
    let dropReused = false;
    const api = await fakeApi((req) => (dropReused && req.onConnection > 0 ? RESET : { status: 200, body: { ok: true } }));
    close = api.close;
    const get = () => callApi({ method: 'GET', runtimeApi: api.runtimeApi, path: '/x', timeoutMs: 2000 });
    await Promise.all([get(), get()]); // two connections in the pool
    expect(api.requests.map((r) => r.onConnection)).toEqual([0, 0]);
    dropReused = true;
    await expect(get()).resolves.toMatchObject({ status: 200 });
    await expect(get()).resolves.toMatchObject({ status: 200 });
    // each call: one pooled connection dropped, then a new one answers
    expect(api.requests.slice(2).map((r) => r.onConnection)).toEqual([1, 0, 1, 0]);
  });

  test('a reused connection is retried once only, and a fresh one not at all', async () => {
    let allow = 1;
    const api = await fakeApi(() => (allow-- > 0 ? { status: 200, headers: { 'Lambda-Extension-Identifier': ID } } : RESET));
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi });
    await client.register(['INVOKE', 'SHUTDOWN']);
    const error = await client.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaApiError);
    expect((error as LambdaApiError).status).toBeUndefined();
    expect((error as Error).message).toMatch(/^event\/next failed: cannot reach the Lambda API at .*(socket hang up|ECONNRESET)/);
    // register, then next on the kept connection (dropped), then once on a fresh one (dropped): no third try
    expect(api.requests.map((r) => r.onConnection)).toEqual([0, 1, 0]);
  });

  test('next has no client timeout: it outlives a call that timed out meanwhile', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const api = await fakeApi(async (req) => {
      if (req.url.endsWith('/register')) return { status: 200, headers: { 'Lambda-Extension-Identifier': ID } };
      await held;
      return { status: 200, body: { eventType: 'SHUTDOWN', deadlineMs: 1 } };
    });
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi, callTimeoutMs: 1000 });
    await client.register(['SHUTDOWN']);
    const next = client.next();
    // exit/error is held too and gives up after the call timeout; next, started earlier, must not.
    await expect(client.exitError('Extension.Test', 'held')).rejects.toThrow('no answer within 1000 ms');
    release!();
    await expect(next).resolves.toMatchObject({ eventType: 'SHUTDOWN' });
  });

  test('next with an unreadable event or an error answer rejects', async () => {
    const answers = [
      { status: 200, headers: { 'Lambda-Extension-Identifier': ID } },
      { status: 200, body: { eventType: 'RESTART', deadlineMs: 1 } },
      { status: 403, body: { errorType: 'Extension.Unknown', errorMessage: 'unknown extension' } },
    ];
    const api = await fakeApi(() => answers.shift()!);
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi });
    await client.register(['SHUTDOWN']);
    await expect(client.next()).rejects.toThrow('event/next returned an event this extension cannot read');
    await expect(client.next()).rejects.toMatchObject({ status: 403, errorType: 'Extension.Unknown' });
  });

  test('next before register is a programming error', async () => {
    await expect(new ExtensionsApiClient({ runtimeApi: '127.0.0.1:1' }).next()).rejects.toThrow('not registered');
  });

  test.each([['initError', 'init/error'], ['exitError', 'exit/error']] as const)('%s posts the error type header and body', async (method, path) => {
    const api = await fakeApi((req) => (req.url.endsWith('/register')
      ? { status: 200, headers: { 'Lambda-Extension-Identifier': ID } }
      : { status: 202, body: { status: 'OK' } }));
    close = api.close;
    const client = new ExtensionsApiClient({ runtimeApi: api.runtimeApi });
    await client.register(['SHUTDOWN']);
    await client[method]('Extension.ConfigInvalid', 'TELEMETRY_EXTENSION_PORT must be ...');
    const req = api.requests[1];
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/2020-01-01/extension/${path}`);
    expect(req.headers['lambda-extension-identifier']).toBe(ID);
    expect(req.headers['lambda-extension-function-error-type']).toBe('Extension.ConfigInvalid');
    expect(JSON.parse(req.body)).toEqual({ errorType: 'Extension.ConfigInvalid', errorMessage: 'TELEMETRY_EXTENSION_PORT must be ...' });
  });

  test('a call that gets no answer within the call timeout fails', async () => {
    const api = await fakeApi(() => new Promise(() => undefined));
    close = api.close;
    await expect(new ExtensionsApiClient({ runtimeApi: api.runtimeApi, callTimeoutMs: 50 }).register(['SHUTDOWN'])).rejects.toThrow('no answer within 50 ms');
  });
});
