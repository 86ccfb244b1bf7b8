/**
 * The contract's issue-13 variables as the extension reads them: the cloudwatch sink's settings,
 * the headers parameter (otlp and http sinks) and the minimum log level.
 */
import { ConfigError, readConfig } from '../../extension-src/config/read-config';
import { ENV } from '../../lib/config/contract';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    readConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const CW = { [ENV.SINK]: 'cloudwatch', [ENV.CLOUDWATCH_LOG_GROUP]: '/telemetry/otlp' };

describe('the cloudwatch sink', () => {
  test('defaults: every signal, no prefix, the regional endpoints; no sink endpoint needed', () => {
    expect(readConfig(CW).sink).toEqual({
      kind: 'cloudwatch',
      endpoint: undefined,
      protocol: 'http/protobuf',
      headers: {},
      compression: 'gzip',
      timeoutMs: 5000,
      cloudWatch: { signals: ['traces', 'logs', 'metrics'], logGroup: '/telemetry/otlp', logStreamPrefix: '', endpoint: undefined },
    });
  });

  test('reads every setting; signals in contract order without duplicates; a sink endpoint is not used', () => {
    const sink = readConfig({
      ...CW,
      [ENV.CLOUDWATCH_SIGNALS]: 'metrics, logs,metrics',
      [ENV.CLOUDWATCH_LOG_STREAM_PREFIX]: 'orders/',
      [ENV.CLOUDWATCH_LOG_GROUP]: '/aws/otlp/orders#1',
      [ENV.CLOUDWATCH_ENDPOINT]: 'https://vpce-0123.logs.eu-west-1.vpce.amazonaws.com',
      [ENV.SINK_ENDPOINT]: 'https://ignored.example.com',
      [ENV.SINK_PROTOCOL]: 'http/json',
      [ENV.SINK_TIMEOUT_MS]: '3000',
      [ENV.SERVICE_NAME]: 'orders',
    }).sink;
    expect(sink).toMatchObject({ kind: 'cloudwatch', endpoint: undefined, protocol: 'http/json', timeoutMs: 3000, serviceName: 'orders' });
    expect(sink.cloudWatch).toEqual({ signals: ['logs', 'metrics'], logGroup: '/aws/otlp/orders#1', logStreamPrefix: 'orders/', endpoint: 'https://vpce-0123.logs.eu-west-1.vpce.amazonaws.com' });
  });

  test('without logs no log group is needed (and one given is not used)', () => {
    expect(readConfig({ [ENV.SINK]: 'cloudwatch', [ENV.CLOUDWATCH_SIGNALS]: 'traces' }).sink.cloudWatch).toEqual({
      signals: ['traces'], logGroup: undefined, logStreamPrefix: '', endpoint: undefined,
    });
  });

  test.each([
    [{ [ENV.SINK]: 'cloudwatch' }, ENV.CLOUDWATCH_LOG_GROUP, 'TELEMETRY_EXTENSION_CLOUDWATCH_LOG_GROUP must be set when TELEMETRY_EXTENSION_CLOUDWATCH_SIGNALS includes logs (the OTLP logs endpoint writes to an existing log group)'],
    [{ ...CW, [ENV.CLOUDWATCH_SIGNALS]: 'traces,spans' }, ENV.CLOUDWATCH_SIGNALS, 'TELEMETRY_EXTENSION_CLOUDWATCH_SIGNALS must be a comma-separated list of traces, logs, metrics, got "traces,spans"'],
    [{ ...CW, [ENV.CLOUDWATCH_SIGNALS]: 'traces,' }, ENV.CLOUDWATCH_SIGNALS, 'TELEMETRY_EXTENSION_CLOUDWATCH_SIGNALS must be a comma-separated list of traces, logs, metrics, got "traces,"'],
    [{ ...CW, [ENV.CLOUDWATCH_LOG_GROUP]: 'bad group name' }, ENV.CLOUDWATCH_LOG_GROUP, 'TELEMETRY_EXTENSION_CLOUDWATCH_LOG_GROUP must be a log group name (1-512 characters of letters, digits, . - _ / #), got "bad group name"'],
    [{ ...CW, [ENV.CLOUDWATCH_LOG_STREAM_PREFIX]: 'a:b' }, ENV.CLOUDWATCH_LOG_STREAM_PREFIX, 'TELEMETRY_EXTENSION_CLOUDWATCH_LOG_STREAM_PREFIX must be at most 469 characters without ":" or "*", got "a:b"'],
    [{ ...CW, [ENV.CLOUDWATCH_LOG_STREAM_PREFIX]: 'p'.repeat(470) }, ENV.CLOUDWATCH_LOG_STREAM_PREFIX, `TELEMETRY_EXTENSION_CLOUDWATCH_LOG_STREAM_PREFIX must be at most 469 characters without ":" or "*", got "${'p'.repeat(470)}"`],
    [{ ...CW, [ENV.CLOUDWATCH_ENDPOINT]: 'ftp://example.com' }, ENV.CLOUDWATCH_ENDPOINT, 'TELEMETRY_EXTENSION_CLOUDWATCH_ENDPOINT must be an http:// or https:// URL, got "ftp://example.com"'],
    [{ ...CW, [ENV.CLOUDWATCH_ENDPOINT]: 'https://user:pw@example.com' }, ENV.CLOUDWATCH_ENDPOINT, 'TELEMETRY_EXTENSION_CLOUDWATCH_ENDPOINT must not embed credentials in the URL (got "https://***@example.com"); requests are signed with SigV4'],
  ])('%p is refused, naming %s', (env, variable, message) => {
    const error = errorOf(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toBe(message);
  });
});

describe('the headers parameter', () => {
  test.each([
    '/telemetry/otlp-headers',
    'otlp-headers',
    'team.a_b-c/headers',
    'arn:aws:ssm:eu-west-1:123456789012:parameter/telemetry/otlp-headers',
    'arn:aws-cn:ssm:cn-north-1:123456789012:parameter/h',
  ])('%s is read as is, next to the secret', (name) => {
    const sink = readConfig({
      [ENV.SINK]: 'otlp',
      [ENV.SINK_ENDPOINT]: 'https://collector.example.com',
      [ENV.SINK_HEADERS_PARAMETER]: name,
      [ENV.SINK_HEADERS_SECRET_ARN]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:h-AbCdEf',
    }).sink;
    expect(sink.headersParameter).toBe(name);
    expect(sink.headersSecretArn).toBe('arn:aws:secretsmanager:eu-west-1:123456789012:secret:h-AbCdEf');
  });

  test.each(['has space', 'ends/', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:h-AbCdEf', 'a*b'])('%p is refused', (name) => {
    const error = errorOf({ [ENV.SINK]: 'http', [ENV.SINK_ENDPOINT]: 'https://x.example.com', [ENV.SINK_HEADERS_PARAMETER]: name });
    expect(error.variable).toBe(ENV.SINK_HEADERS_PARAMETER);
    expect(error.message).toBe(`TELEMETRY_EXTENSION_SINK_HEADERS_PARAMETER must be an SSM parameter name (/path/name) or parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>), got ${JSON.stringify(name)}`);
  });
});

describe('the minimum log level', () => {
  test('absent: every record (no field)', () => {
    expect(readConfig({}).minLogLevel).toBeUndefined();
  });

  test.each(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'])('%s', (level) => {
    expect(readConfig({ [ENV.MIN_LOG_LEVEL]: level }).minLogLevel).toBe(level);
  });

  test('letter case does not matter (Lambda\'s own level names are upper case)', () => {
    expect(readConfig({ [ENV.MIN_LOG_LEVEL]: 'warn' }).minLogLevel).toBe('WARN');
  });

  test.each(['WARNING', 'verbose', '3'])('%p is refused', (level) => {
    const error = errorOf({ [ENV.MIN_LOG_LEVEL]: level });
    expect(error.variable).toBe(ENV.MIN_LOG_LEVEL);
    expect(error.message).toBe(`TELEMETRY_EXTENSION_MIN_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, got ${JSON.stringify(level)}`);
  });
});
