/**
 * The round trip of the config contract: what the construct writes (`layer.environment`, the
 * environment attachTo sets) is read by the extension's own `readConfig` into exactly the
 * configuration the props describe, for every combination of props.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { readConfig } from '../../extension-src/config/read-config';
import type { ExtensionConfig } from '../../extension-src/config/types';
import {
  ExportCompression,
  FlushStrategy,
  OtlpProtocol,
  TelemetryExtensionLayer,
  TelemetryExtensionLayerProps,
  TelemetrySink,
  TelemetryType,
} from '../../lib';
import { DEFAULTS, LIMITS } from '../../lib/config/contract';
import { tempDir } from '../construct/temp';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf';

interface Case {
  readonly props: TelemetryExtensionLayerProps;
  readonly expected: ExtensionConfig;
}

const defaultSink: ExtensionConfig['sink'] = {
  kind: DEFAULTS.sink,
  endpoint: undefined,
  protocol: DEFAULTS.protocol,
  headers: {},
  headersSecretArn: undefined,
  compression: DEFAULTS.compression,
  timeoutMs: LIMITS.sinkTimeoutMs.default,
  serviceName: undefined,
};

type SinkCase = [string, (stack: Stack) => TelemetrySink | undefined, ExtensionConfig['sink']];
const SINKS: SinkCase[] = [
  ['default sink', () => undefined, defaultSink],
  ['stdout', () => TelemetrySink.stdout(), defaultSink],
  [
    'otlp, every option',
    (stack) =>
      TelemetrySink.otlp({
        endpoint: 'https://otel.example.com:4318/base',
        protocol: OtlpProtocol.HTTP_JSON,
        headers: { 'x-team': 'orders', 'x-env': 'prod' },
        headersSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
        compression: ExportCompression.NONE,
        timeout: Duration.seconds(12),
        serviceName: 'orders',
      }),
    {
      kind: 'otlp',
      endpoint: 'https://otel.example.com:4318/base',
      protocol: 'http/json',
      headers: { 'x-team': 'orders', 'x-env': 'prod' },
      headersSecretArn: SECRET_ARN,
      compression: 'none',
      timeoutMs: 12_000,
      serviceName: 'orders',
    },
  ],
  ['otlp, defaults', () => TelemetrySink.otlp({ endpoint: 'http://127.0.0.1:4318' }), { ...defaultSink, kind: 'otlp', endpoint: 'http://127.0.0.1:4318' }],
  [
    'http',
    () => TelemetrySink.http({ url: 'https://logs.example.com/in', headers: { 'x-a': 'b' }, compression: ExportCompression.GZIP, timeout: Duration.millis(250) }),
    { ...defaultSink, kind: 'http', endpoint: 'https://logs.example.com/in', headers: { 'x-a': 'b' }, timeoutMs: 250 },
  ],
];

type FlushCase = [string, FlushStrategy | undefined, ExtensionConfig['flush']];
const defaultInterval = LIMITS.flushIntervalMs.default;
const FLUSHES: FlushCase[] = [
  ['default flush', undefined, { strategy: DEFAULTS.flushStrategy, intervalMs: defaultInterval }],
  ['adaptive', FlushStrategy.adaptive(), { strategy: 'adaptive', intervalMs: defaultInterval }],
  ['end of invocation', FlushStrategy.endOfInvocation(), { strategy: 'end-of-invocation', intervalMs: defaultInterval }],
  ['periodically', FlushStrategy.periodically(Duration.seconds(30)), { strategy: 'periodically', intervalMs: 30_000 }],
  ['continuously', FlushStrategy.continuously(Duration.millis(1)), { strategy: 'continuously', intervalMs: 1 }],
];

type ListenerCase = [string, TelemetryExtensionLayerProps, Omit<ExtensionConfig, 'sink' | 'flush' | 'configured'>];
const LISTENERS: ListenerCase[] = [
  [
    'listener defaults',
    {},
    {
      port: LIMITS.port.default,
      types: DEFAULTS.types,
      buffering: {
        maxItems: LIMITS.bufferingMaxItems.default,
        maxBytes: LIMITS.bufferingMaxBytes.default,
        timeoutMs: LIMITS.bufferingTimeoutMs.default,
      },
      queue: { maxItems: LIMITS.queueMaxItems.default, maxBytes: LIMITS.queueMaxBytes.default },
    },
  ],
  [
    'everything set',
    {
      port: 5123,
      types: [TelemetryType.EXTENSION, TelemetryType.PLATFORM, TelemetryType.FUNCTION],
      buffering: { maxItems: 10_000, maxBytes: Size.mebibytes(1), timeout: Duration.millis(100) },
      queue: { maxItems: 7, maxBytes: Size.kibibytes(1) },
    },
    {
      port: 5123,
      types: ['extension', 'platform', 'function'],
      buffering: { maxItems: 10_000, maxBytes: 1_048_576, timeoutMs: 100 },
      queue: { maxItems: 7, maxBytes: 1024 },
    },
  ],
  [
    'partly set',
    { types: [TelemetryType.FUNCTION], buffering: { maxItems: 2000 }, queue: { maxBytes: Size.mebibytes(8) } },
    {
      port: LIMITS.port.default,
      types: ['function'],
      buffering: { maxItems: 2000, maxBytes: LIMITS.bufferingMaxBytes.default, timeoutMs: LIMITS.bufferingTimeoutMs.default },
      queue: { maxItems: LIMITS.queueMaxItems.default, maxBytes: 8 * 1024 * 1024 },
    },
  ],
];

const CASES: Array<[string, (stack: Stack) => Case]> = [];
for (const [sinkName, sink, sinkConfig] of SINKS) {
  for (const [flushName, flushStrategy, flushConfig] of FLUSHES) {
    for (const [listenerName, listenerProps, listenerConfig] of LISTENERS) {
      CASES.push([
        `${sinkName} / ${flushName} / ${listenerName}`,
        (stack) => ({
          props: { ...listenerProps, sink: sink(stack), flushStrategy },
          // The OTLP sink brings the OTLP receiver for the function's own telemetry by default.
          expected: {
            configured: true,
            ...listenerConfig,
            flush: flushConfig,
            sink: sinkConfig,
            ...(sinkConfig.kind === 'otlp' ? { receiverPort: LIMITS.otlpReceiverPort.default } : {}),
          },
        }),
      ]);
    }
  }
}

describe('the construct writes what the extension reads back as the props', () => {
  test('there is a case for every combination', () => {
    expect(CASES).toHaveLength(SINKS.length * FLUSHES.length * LISTENERS.length);
  });

  test.each(CASES)('%s', (_name, make) => {
    const app = new App({ outdir: tempDir('cdk.out-') });
    const stack = new Stack(app, 'RoundTrip', { env: { account: '123456789012', region: 'eu-west-1' } });
    const { props, expected } = make(stack);
    const layer = new TelemetryExtensionLayer(stack, 'Telemetry', props);
    // Header JSON is written with Stack.toJsonString (tokens allowed): resolve it as CloudFormation would.
    const environment = stack.resolve(layer.environment) as Record<string, unknown>;
    for (const value of Object.values(environment)) expect(typeof value).toBe('string');
    expect(readConfig(environment as NodeJS.ProcessEnv)).toEqual(expected);
  });
});

describe('the extension compiles against the contract only', () => {
  test('no construct-side file reaches the extension through its tsconfig', () => {
    const root = path.join(__dirname, '..', '..');
    const files = execFileSync('npx', ['tsc', '--listFilesOnly', '-p', 'extension-src/tsconfig.json'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .map((f) => path.relative(root, f.trim()))
      .filter((f) => f !== '' && !f.startsWith('node_modules') && !f.startsWith('..'));
    expect(files.filter((f) => !f.startsWith('extension-src/'))).toEqual(['lib/config/contract.ts']);
  }, 60_000);
});
