import { Duration, Size } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { newStack } from './helpers';
import {
  FlushStrategy,
  TelemetryExtensionLayer,
  TelemetryExtensionLayerProps,
  TelemetrySink,
  TelemetryType,
} from '../../lib';

function synthWith(props: TelemetryExtensionLayerProps): () => void {
  return () => new TelemetryExtensionLayer(newStack(), 'Telemetry', props);
}

describe('every prop is validated at synth with the prop, the value and what is allowed', () => {
  test.each([80, 1023, 65536, 9001, 4243.5])('port %p', (port) => {
    expect(synthWith({ port })).toThrow(
      `port must be an integer from 1024 to 65535 other than 9001 (the Lambda Runtime API's port), got ${port}`,
    );
  });

  test.each([0, 1_000_001])('queue.maxItems %p', (maxItems) => {
    expect(synthWith({ queue: { maxItems } })).toThrow(`queue.maxItems must be an integer from 1 to 1000000, got ${maxItems}`);
  });

  test.each([
    [Size.bytes(1023), 1023],
    [Size.mebibytes(513), 537919488],
  ])('queue.maxBytes %#', (maxBytes, bytes) => {
    expect(synthWith({ queue: { maxBytes } })).toThrow(
      `queue.maxBytes must be from 1 KiB to 512 MiB (1024 to 536870912 bytes), got ${bytes} bytes`,
    );
  });

  test('types must not be empty', () => {
    expect(synthWith({ types: [] })).toThrow('types must name at least one of platform, function, extension, got []');
  });

  test('types must not repeat', () => {
    expect(synthWith({ types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION, TelemetryType.PLATFORM] })).toThrow(
      'types must not repeat a type, got ["platform","function","platform"] ("platform" twice)',
    );
  });

  test.each([999, 10001, 1500.5])('buffering.maxItems %p', (maxItems) => {
    expect(synthWith({ buffering: { maxItems } })).toThrow(
      `buffering.maxItems must be an integer from 1000 to 10000, got ${maxItems}`,
    );
  });

  test.each([
    [Size.kibibytes(255), 261120],
    [Size.kibibytes(1025), 1049600],
  ])('buffering.maxBytes %#', (maxBytes, bytes) => {
    expect(synthWith({ buffering: { maxBytes } })).toThrow(
      `buffering.maxBytes must be from 256 KiB to 1 MiB (262144 to 1048576 bytes), got ${bytes} bytes`,
    );
  });

  test.each([
    [Duration.millis(24), '24 millis'],
    [Duration.seconds(31), '31 seconds'],
  ])('buffering.timeout %#', (timeout, shown) => {
    expect(synthWith({ buffering: { timeout } })).toThrow(
      `buffering.timeout must be a whole number of milliseconds from 25 ms to 30 s, got ${shown}`,
    );
  });

  test.each([
    [FlushStrategy.periodically(Duration.millis(0)), 'periodically', '0 millis'],
    [FlushStrategy.continuously(Duration.minutes(16)), 'continuously', '16 minutes'],
  ])('flush interval %#', (flushStrategy, name, shown) => {
    expect(synthWith({ flushStrategy })).toThrow(
      `flushStrategy ${name} interval must be a whole number of milliseconds from 1 ms to 15 min, got ${shown}`,
    );
  });

  test.each(['otel.example.com', 'ftp://otel.example.com', 'not a url', ''])('OTLP endpoint %p', (endpoint) => {
    expect(synthWith({ sink: TelemetrySink.otlp({ endpoint }) })).toThrow(
      `sink endpoint must be an http:// or https:// URL, got "${endpoint}"`,
    );
  });

  test('HTTP url', () => {
    expect(synthWith({ sink: TelemetrySink.http({ url: 'localhost:8080' }) })).toThrow(
      'sink url must be an http:// or https:// URL, got "localhost:8080"',
    );
  });

  test('credentials in the URL are refused', () => {
    expect(synthWith({ sink: TelemetrySink.http({ url: 'https://user:pw@logs.example.com' }) })).toThrow(
      'sink url must not embed credentials in the URL: put them in headersSecret',
    );
  });

  test.each(['Authorization', 'x-api-key', 'DD-API-KEY', 'X-Auth-Token', 'client-secret'])(
    'plaintext credential header %p points to headersSecret',
    (name) => {
      expect(synthWith({ sink: TelemetrySink.otlp({ endpoint: 'https://o.example.com', headers: { [name]: 'v' } }) })).toThrow(
        `sink headers must not hold credentials, but "${name}" looks like one: plaintext headers end up in the function's environment and the template; put it in a Secrets Manager secret and pass it as headersSecret`,
      );
    },
  );

  test('a header value with a line break is refused, as the extension would', () => {
    expect(synthWith({ sink: TelemetrySink.http({ url: 'https://l.example.com', headers: { 'x-a': 'v\r\nx-b: w' } }) })).toThrow(
      'sink headers: the value of header "x-a" contains a line break or NUL',
    );
  });

  test('a headersSecret whose ARN is not a complete secret ARN is refused, as the extension would', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'S', { secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:1234:secret:x-AbCdEf' });
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.otlp({ endpoint: 'https://o.example.com', headersSecret: secret }) })).toThrow(
      'sink headersSecret must be a Secrets Manager secret with a complete ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>), got "arn:aws:secretsmanager:eu-west-1:1234:secret:x-AbCdEf" (`headers_secret` in Python)',
    );
  });

  test('invalid header name', () => {
    expect(synthWith({ sink: TelemetrySink.http({ url: 'https://l.example.com', headers: { 'bad name': 'v' } }) })).toThrow(
      'sink headers has an invalid header name "bad name"',
    );
  });

  test.each([
    [Duration.millis(0), '0 millis'],
    [Duration.minutes(2), '2 minutes'],
  ])('sink timeout %#', (timeout, shown) => {
    expect(synthWith({ sink: TelemetrySink.otlp({ endpoint: 'https://o.example.com', timeout }) })).toThrow(
      `sink timeout must be a whole number of milliseconds from 1 ms to 1 min, got ${shown}`,
    );
  });

  test('empty service name', () => {
    expect(synthWith({ sink: TelemetrySink.otlp({ endpoint: 'https://o.example.com', serviceName: ' ' }) })).toThrow(
      'serviceName must not be empty, got ""',
    );
  });

  test('compatibleArchitectures must not be empty', () => {
    expect(synthWith({ compatibleArchitectures: [] })).toThrow(
      'compatibleArchitectures must name at least one architecture, got []',
    );
  });

  test('values at the limits are accepted', () => {
    expect(
      synthWith({
        port: 1024,
        buffering: { maxItems: 1000, maxBytes: Size.kibibytes(256), timeout: Duration.millis(25) },
        flushStrategy: FlushStrategy.continuously(Duration.minutes(15)),
      }),
    ).not.toThrow();
    expect(
      synthWith({ port: 65535, buffering: { maxItems: 10000, maxBytes: Size.mebibytes(1), timeout: Duration.seconds(30) } }),
    ).not.toThrow();
  });
});
