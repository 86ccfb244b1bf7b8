import { ConfigError, readConfig } from '../../extension-src/config/read-config';
import { ENV, LIMITS } from '../../lib/config/contract';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    readConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfig defaults', () => {
  test('an empty environment gives the contract defaults, not configured', () => {
    expect(readConfig({})).toEqual({
      configured: false,
      port: 4243,
      types: ['platform'],
      buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 },
      queue: { maxItems: 20000, maxBytes: 4194304 },
      flush: { strategy: 'adaptive', intervalMs: 1000 },
      sink: {
        kind: 'stdout',
        endpoint: undefined,
        protocol: 'http/protobuf',
        headers: {},
        headersSecretArn: undefined,
        compression: 'gzip',
        timeoutMs: 5000,
        serviceName: undefined,
      },
    });
  });

  test('blank values count as unset', () => {
    expect(readConfig({ [ENV.PORT]: '', [ENV.TYPES]: '  ', [ENV.CONFIGURED]: '' })).toMatchObject({ configured: false, port: 4243, types: ['platform'] });
  });
});

describe('readConfig with every variable set', () => {
  test('reads all of them', () => {
    const config = readConfig({
      [ENV.CONFIGURED]: '1',
      [ENV.PORT]: '8080',
      [ENV.TYPES]: 'platform, function,extension,function',
      [ENV.BUFFERING_MAX_ITEMS]: '10000',
      [ENV.BUFFERING_MAX_BYTES]: '1048576',
      [ENV.BUFFERING_TIMEOUT_MS]: '30000',
      [ENV.QUEUE_MAX_ITEMS]: '10',
      [ENV.QUEUE_MAX_BYTES]: '2048',
      [ENV.FLUSH_STRATEGY]: 'continuously',
      [ENV.FLUSH_INTERVAL_MS]: '250',
      [ENV.SINK]: 'otlp',
      [ENV.SINK_ENDPOINT]: 'https://collector.example.com:4318',
      [ENV.SINK_PROTOCOL]: 'http/json',
      [ENV.SINK_HEADERS]: '{"x-team":"payments","X-Scope-OrgID":"tenant-1"}',
      [ENV.SINK_HEADERS_SECRET_ARN]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf',
      [ENV.SINK_COMPRESSION]: 'none',
      [ENV.SINK_TIMEOUT_MS]: '60000',
      [ENV.SERVICE_NAME]: 'checkout',
    });
    expect(config).toEqual({
      configured: true,
      port: 8080,
      types: ['platform', 'function', 'extension'],
      buffering: { maxItems: 10000, maxBytes: 1048576, timeoutMs: 30000 },
      queue: { maxItems: 10, maxBytes: 2048 },
      flush: { strategy: 'continuously', intervalMs: 250 },
      sink: {
        kind: 'otlp',
        endpoint: 'https://collector.example.com:4318',
        protocol: 'http/json',
        headers: { 'x-team': 'payments', 'X-Scope-OrgID': 'tenant-1' },
        headersSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf',
        compression: 'none',
        timeoutMs: 60000,
        serviceName: 'checkout',
      },
    });
  });

  test('range bounds are inclusive', () => {
    expect(readConfig({ [ENV.PORT]: '1024' }).port).toBe(1024);
    expect(readConfig({ [ENV.PORT]: '65535' }).port).toBe(65535);
    expect(readConfig({ [ENV.BUFFERING_TIMEOUT_MS]: String(LIMITS.bufferingTimeoutMs.min) }).buffering.timeoutMs).toBe(25);
  });

  test('stdout ignores an endpoint', () => {
    expect(readConfig({ [ENV.SINK]: 'stdout', [ENV.SINK_ENDPOINT]: 'http://x.example' }).sink.endpoint).toBeUndefined();
  });
});

describe('readConfig errors name the variable, the value and what is allowed', () => {
  test.each([
    [ENV.PORT, '80', 'TELEMETRY_EXTENSION_PORT must be an integer from 1024 to 65535 other than 9001, got "80"'],
    [ENV.PORT, '9001', 'TELEMETRY_EXTENSION_PORT must be an integer from 1024 to 65535 other than 9001, got "9001"'],
    [ENV.PORT, '4243.5', 'TELEMETRY_EXTENSION_PORT must be an integer from 1024 to 65535 other than 9001, got "4243.5"'],
    [ENV.PORT, '0x10ab', 'TELEMETRY_EXTENSION_PORT must be an integer from 1024 to 65535 other than 9001, got "0x10ab"'],
    [ENV.BUFFERING_MAX_ITEMS, '999', 'TELEMETRY_EXTENSION_BUFFERING_MAX_ITEMS must be an integer from 1000 to 10000, got "999"'],
    [ENV.BUFFERING_MAX_BYTES, '2000000', 'TELEMETRY_EXTENSION_BUFFERING_MAX_BYTES must be an integer from 262144 to 1048576, got "2000000"'],
    [ENV.BUFFERING_TIMEOUT_MS, '1e3', 'TELEMETRY_EXTENSION_BUFFERING_TIMEOUT_MS must be an integer from 25 to 30000, got "1e3"'],
    [ENV.FLUSH_INTERVAL_MS, '0', 'TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS must be an integer from 1 to 900000, got "0"'],
    [ENV.SINK_TIMEOUT_MS, '-5', 'TELEMETRY_EXTENSION_SINK_TIMEOUT_MS must be an integer from 1 to 60000, got "-5"'],
    [ENV.TYPES, 'platform,logs', 'TELEMETRY_EXTENSION_TYPES must be a comma-separated list of platform, function, extension, got "platform,logs"'],
    [ENV.TYPES, ',', 'TELEMETRY_EXTENSION_TYPES must be a comma-separated list of platform, function, extension, got ","'],
    [ENV.FLUSH_STRATEGY, 'sometimes', 'TELEMETRY_EXTENSION_FLUSH_STRATEGY must be one of adaptive, end-of-invocation, periodically, continuously, got "sometimes"'],
    [ENV.SINK, 'kafka', 'TELEMETRY_EXTENSION_SINK must be one of otlp, http, stdout, cloudwatch, got "kafka"'],
    [ENV.SINK_PROTOCOL, 'grpc', 'TELEMETRY_EXTENSION_SINK_PROTOCOL must be one of http/protobuf, http/json, got "grpc"'],
    [ENV.SINK_COMPRESSION, 'br', 'TELEMETRY_EXTENSION_SINK_COMPRESSION must be one of gzip, none, got "br"'],
    [ENV.SINK_HEADERS_SECRET_ARN, 'my-secret', 'TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got "my-secret"'],
  ])('%s=%p', (name, value, message) => {
    const error = errorOf({ [name]: value });
    expect(error.message).toBe(message);
    expect(error.variable).toBe(name);
    expect(error.name).toBe('ConfigError');
  });

  test.each(['otlp', 'http'])('a %s sink without endpoint', (kind) => {
    const error = errorOf({ [ENV.SINK]: kind });
    expect(error.message).toBe(`TELEMETRY_EXTENSION_SINK_ENDPOINT must be set when TELEMETRY_EXTENSION_SINK is "${kind}"`);
    expect(error.variable).toBe(ENV.SINK_ENDPOINT);
  });

  test.each(['ftp://collector.example.com', 'collector:4318', 'http://'])('endpoint %p is not an http(s) URL', (endpoint) => {
    expect(errorOf({ [ENV.SINK]: 'http', [ENV.SINK_ENDPOINT]: endpoint }).message).toBe(
      `TELEMETRY_EXTENSION_SINK_ENDPOINT must be an http:// or https:// URL, got ${JSON.stringify(endpoint)}`,
    );
  });

  test('endpoint credentials are masked in the message', () => {
    const message = errorOf({ [ENV.SINK]: 'http', [ENV.SINK_ENDPOINT]: 'ftp://user:hunter2@host' }).message;
    expect(message).toContain('ftp://***@host');
    expect(message).not.toContain('hunter2');
  });
});

describe('SINK_HEADERS', () => {
  const SECRET = 'v3ry-s3cret-value';

  test.each([
    ['not JSON', `{x-team: ${SECRET}}`, 'TELEMETRY_EXTENSION_SINK_HEADERS must be a JSON object of header names to string values, got text that is not JSON'],
    ['an array', `["${SECRET}"]`, 'TELEMETRY_EXTENSION_SINK_HEADERS must be a JSON object of header names to string values, got an array'],
    ['a string', `"${SECRET}"`, 'TELEMETRY_EXTENSION_SINK_HEADERS must be a JSON object of header names to string values, got a string'],
    ['null', 'null', 'TELEMETRY_EXTENSION_SINK_HEADERS must be a JSON object of header names to string values, got null'],
    ['a number value', `{"x-ok":"${SECRET}","x-count":3}`, 'TELEMETRY_EXTENSION_SINK_HEADERS must be a JSON object of header names to string values, header "x-count" has a value that is not a string'],
    ['a bad header name', `{"x team":"${SECRET}"}`, 'TELEMETRY_EXTENSION_SINK_HEADERS: "x team" is not a valid HTTP header name'],
    ['a line break in a value', `{"x-team":"${SECRET}\\r\\nx-evil: 1"}`, 'TELEMETRY_EXTENSION_SINK_HEADERS: the value of header "x-team" contains a line break or NUL'],
    ['a credential-like header', `{"Authorization":"Bearer ${SECRET}"}`, 'TELEMETRY_EXTENSION_SINK_HEADERS: header "Authorization" looks like a credential; put it in the Secrets Manager secret named by TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN instead'],
    ['an api key header', `{"x-api-key":"${SECRET}"}`, 'TELEMETRY_EXTENSION_SINK_HEADERS: header "x-api-key" looks like a credential; put it in the Secrets Manager secret named by TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN instead'],
  ])('%s: message names the problem but never a value', (_, value, message) => {
    const error = errorOf({ [ENV.SINK_HEADERS]: value });
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(SECRET);
  });

  test('an empty object is fine', () => {
    expect(readConfig({ [ENV.SINK_HEADERS]: '{}' }).sink.headers).toEqual({});
  });
});

describe('rules shared with the construct (lib/config/contract.ts)', () => {
  test('credentials in the endpoint URL are refused, as at synth, and never echoed', () => {
    const error = errorOf({ [ENV.SINK]: 'otlp', [ENV.SINK_ENDPOINT]: 'https://user:hunter2@otel.example.com' });
    expect(error.variable).toBe(ENV.SINK_ENDPOINT);
    expect(error.message).toBe(
      'TELEMETRY_EXTENSION_SINK_ENDPOINT must not embed credentials in the URL (got "https://***@otel.example.com"); put them in the Secrets Manager secret named by TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN',
    );
  });
});
