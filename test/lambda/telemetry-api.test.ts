import { readFileSync } from 'node:fs';
import { fakeApi } from './fake-api';
import { LambdaApiError } from '../../extension-src/lambda/http';
import { subscribe, subscriptionBody, telemetrySchemaVersion } from '../../extension-src/lambda/telemetry-api';
import { sharedFixtures } from '../support/shared-fixtures';

const ID = 'ext-id-1';
const buffering = { maxItems: 1000, maxBytes: 262144, timeoutMs: 100 };

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
  jest.restoreAllMocks();
});

describe('telemetry subscription', () => {
  test('schema 2022-12-13, or 2025-01-29 on managed instances', () => {
    expect(telemetrySchemaVersion({})).toBe('2022-12-13');
    expect(telemetrySchemaVersion({ AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances' })).toBe('2025-01-29');
  });

  test('the body matches AWS\'s documented request', () => {
    const documented = JSON.parse(readFileSync(`${sharedFixtures('extensions-api')}/telemetry-subscribe-request.docs.json`, 'utf8')) as unknown;
    expect(subscriptionBody({ schemaVersion: '2025-01-29', types: ['platform', 'function', 'extension'], buffering, port: 8080 })).toEqual(documented);
  });

  test('200: subscribed, with the right request', async () => {
    const api = await fakeApi(() => ({ status: 200, body: 'OK' }));
    close = api.close;
    await expect(subscribe({ runtimeApi: api.runtimeApi, extensionId: ID, schemaVersion: '2022-12-13', types: ['platform'], buffering, port: 4243 })).resolves.toBe('subscribed');
    const [req] = api.requests;
    expect(req.method).toBe('PUT');
    expect(req.url).toBe('/2022-07-01/telemetry');
    expect(req.headers['lambda-extension-identifier']).toBe(ID);
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({
      schemaVersion: '2022-12-13',
      types: ['platform'],
      buffering,
      destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243' },
    });
  });

  test('202: not supported, logged, no error', async () => {
    const api = await fakeApi(() => ({ status: 202, body: 'Telemetry API is not supported' }));
    close = api.close;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await expect(subscribe({ runtimeApi: api.runtimeApi, extensionId: ID, schemaVersion: '2022-12-13', types: ['platform'], buffering, port: 4243 })).resolves.toBe('not-supported');
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0][0])).toMatch(/^\[telemetry-extension\] WARN the Telemetry API is not supported here/);
  });

  test.each([
    [400, { errorType: 'ValidationError', errorMessage: 'URI port is not provided; types should not be empty' }, 'telemetry subscribe failed: HTTP 400 ValidationError: URI port is not provided; types should not be empty'],
    [403, { errorType: 'Telemetry.SubscriptionClosed', errorMessage: 'too late' }, 'telemetry subscribe failed: HTTP 403 Telemetry.SubscriptionClosed: too late'],
    [500, 'oops', 'telemetry subscribe failed: HTTP 500: oops'],
  ])('%i: LambdaApiError with the API\'s errorType and message', async (status, body, message) => {
    const api = await fakeApi(() => ({ status, body }));
    close = api.close;
    const error = await subscribe({ runtimeApi: api.runtimeApi, extensionId: ID, schemaVersion: '2022-12-13', types: ['platform'], buffering, port: 4243 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaApiError);
    expect((error as Error).message).toBe(message);
    expect((error as LambdaApiError).status).toBe(status);
  });
});
