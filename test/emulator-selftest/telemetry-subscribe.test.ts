import { closeAll, makeLayer, probes, startEmulator } from './helpers';
import { request } from './http-client';
import { validateSubscription } from '../emulator/telemetry-api';

afterEach(closeAll);

const VALID = {
  schemaVersion: '2022-12-13',
  types: ['platform', 'function'],
  buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 },
  destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243/telemetry?x=1' },
};

function withChange(path: string, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(VALID));
  const keys = path.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) target = target[key];
  if (value === undefined) delete target[keys[keys.length - 1]];
  else target[keys[keys.length - 1]] = value;
  return copy;
}

describe('validateSubscription', () => {
  test('accepts a valid request and resolves port and path', () => {
    const result = validateSubscription(VALID);

    expect(result).toEqual({
      ok: true,
      subscription: {
        schemaVersion: '2022-12-13',
        types: ['platform', 'function'],
        buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 },
        destination: { protocol: 'HTTP', URI: VALID.destination.URI, port: 4243, path: '/telemetry?x=1' },
      },
    });
  });

  test.each(['2022-07-01', '2022-12-13', '2025-01-29'])('accepts schemaVersion %s', (version) => {
    expect(validateSubscription(withChange('schemaVersion', version)).ok).toBe(true);
  });

  test('buffering is optional and defaults to 10000 items, 262144 bytes, 1000 ms', () => {
    const result = validateSubscription(withChange('buffering', undefined));

    expect(result.ok && result.subscription.buffering).toEqual({ maxItems: 10000, maxBytes: 262144, timeoutMs: 1000 });
  });

  test.each([
    ['schemaVersion', '2021-01-01', /schemaVersion/],
    ['schemaVersion', undefined, /schemaVersion/],
    ['types', [], /types should not be empty/],
    ['types', undefined, /types should not be empty/],
    ['types', ['platform', 'logs'], /types should only contain/],
    ['buffering.maxItems', 999, /buffering.maxItems .*1000 and 10000/],
    ['buffering.maxItems', 10001, /buffering.maxItems/],
    ['buffering.maxItems', 1000.5, /buffering.maxItems/],
    ['buffering.maxBytes', 262143, /buffering.maxBytes .*262144 and 1048576/],
    ['buffering.maxBytes', 1048577, /buffering.maxBytes/],
    ['buffering.timeoutMs', 24, /buffering.timeoutMs .*25 and 30000/],
    ['buffering.timeoutMs', 30001, /buffering.timeoutMs/],
    ['buffering', 'fast', /buffering must be an object/],
    ['destination', undefined, /destination is required/],
    ['destination.protocol', 'HTTPS', /destination.protocol/],
    ['destination.protocol', 'TCP', /TCP is not supported/],
    ['destination.URI', undefined, /destination.URI is required/],
    ['destination.URI', 'not a uri', /not a valid URI/],
    ['destination.URI', 'http://localhost:4243', /host should be sandbox.localdomain/],
    ['destination.URI', 'http://sandbox.localdomain', /URI port is not provided/],
    ['destination.URI', 'http://sandbox.localdomain:9001', /9001 is reserved/],
    ['destination.URI', 'https://sandbox.localdomain:4243', /scheme should be http/],
  ])('rejects %s = %j', (path, value, message) => {
    const result = validateSubscription(withChange(path, value));

    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.join('; ')).toMatch(message);
  });

  test('reports every violation at once', () => {
    const result = validateSubscription({ ...VALID, types: [], destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain' } });

    expect(!result.ok && result.errors).toEqual(['types should not be empty', 'URI port is not provided']);
  });
});

describe('PUT /2022-07-01/telemetry', () => {
  test('during Init: 400 ValidationError for a bad request, 200 "OK" for a good one', async () => {
    const emu = await startEmulator({
      layerDir: makeLayer({ sub: { subscribeBodies: [withChange('types', []), VALID, 'not json'] } }),
    });

    const attempts = probes(emu, 'sub', 'subscribe-attempt');
    expect(attempts[0]).toEqual({ kind: 'subscribe-attempt', status: 400, body: { errorType: 'ValidationError', errorMessage: 'types should not be empty' } });
    expect(attempts[1]).toEqual({ kind: 'subscribe-attempt', status: 200, body: 'OK' });
    expect(attempts[2]).toMatchObject({ status: 400, body: { errorType: 'ValidationError' } });
    expect(emu.subscribers.map((s) => s.extensionName)).toEqual(['sub']);
  });

  test('after Init: 403', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ sub: {} }) });

    const answer = await request(emu.runtimeApi, 'PUT', '/2022-07-01/telemetry', {
      headers: { 'Lambda-Extension-Identifier': emu.extensions()[0].id, 'Content-Type': 'application/json' },
      body: VALID,
    });

    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ errorMessage: expect.any(String), errorType: expect.any(String) });
  });

  test('with telemetryNotSupported: 202 as in AWS\'s Runtime Interface Emulator, and nothing is delivered', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ sub: { subscribe: {} } }), telemetryNotSupported: true });

    expect(probes(emu, 'sub', 'subscribe')[0]).toMatchObject({
      status: 202, body: { errorType: 'Telemetry.NotSupported', errorMessage: 'Telemetry API is not supported' },
    });
    expect(emu.subscribers).toEqual([]);
  });

  test('a subscription emits platform.telemetrySubscription', async () => {
    const emu = await startEmulator({ layerDir: makeLayer({ sub: { subscribe: { types: ['platform', 'extension'] } } }) });

    const event = await emu.waitForEvent('platform.telemetrySubscription');

    expect(event.record).toEqual({ name: 'sub', state: 'Subscribed', types: ['platform', 'extension'] });
  });
});
