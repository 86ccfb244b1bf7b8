/**
 * The issue-13 part of the config contract, both ways: what `TelemetrySink.cloudWatch`,
 * `headersParameter` and `minLogLevel` write into `layer.environment` is read by the extension's
 * own `readConfig` back into exactly what the props say.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { readConfig } from '../../extension-src/config/read-config';
import type { ExtensionConfig } from '../../extension-src/config/types';
import { CloudWatchSignal, ExportCompression, LogLevel, OtlpProtocol, TelemetryExtensionLayer, TelemetrySink, type TelemetryExtensionLayerProps } from '../../lib';
import { tempDir } from '../construct/temp';

function readBack(props: (stack: Stack) => TelemetryExtensionLayerProps): ExtensionConfig {
  const app = new App({ outdir: tempDir('cdk.out-') });
  const stack = new Stack(app, 'RoundTrip', { env: { account: '123456789012', region: 'eu-west-1' } });
  const layer = new TelemetryExtensionLayer(stack, 'Telemetry', props(stack));
  const resolved = stack.resolve(layer.environment) as Record<string, unknown>;
  const environment = Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, deployed(v)]));
  return readConfig(environment);
}

/** A resolved value as CloudFormation would deploy it in the `aws` partition (an imported parameter's ARN is an `Fn::Join`). */
function deployed(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => deployed(part)).join(join[0]);
  if ((value as { Ref?: unknown }).Ref === 'AWS::Partition') return 'aws';
  throw new Error(`not deployable here: ${JSON.stringify(value)}`);
}

describe('TelemetrySink.cloudWatch round trip', () => {
  test('every option', () => {
    const config = readBack((stack) => ({
      sink: TelemetrySink.cloudWatch({
        signals: [CloudWatchSignal.LOGS, CloudWatchSignal.TRACES],
        logGroup: logs.LogGroup.fromLogGroupName(stack, 'Group', '/otlp/orders'),
        logStreamPrefix: 'orders/',
        endpoint: 'https://otlp.example.internal',
        protocol: OtlpProtocol.HTTP_JSON,
        compression: ExportCompression.NONE,
        timeout: Duration.seconds(7),
        serviceName: 'orders',
      }),
      minLogLevel: LogLevel.WARN,
    }));
    expect(config.minLogLevel).toBe('WARN');
    expect(config.sink).toEqual({
      kind: 'cloudwatch',
      protocol: 'http/json',
      headers: {},
      compression: 'none',
      timeoutMs: 7000,
      serviceName: 'orders',
      cloudWatch: { signals: ['traces', 'logs'], logGroup: '/otlp/orders', logStreamPrefix: 'orders/', endpoint: 'https://otlp.example.internal' },
    });
  });

  test('defaults: every signal, the regional endpoints, no prefix', () => {
    const config = readBack((stack) => ({ sink: TelemetrySink.cloudWatch({ logGroup: logs.LogGroup.fromLogGroupName(stack, 'Group', '/otlp/default') }) }));
    expect(config.minLogLevel).toBeUndefined();
    expect(config.sink.cloudWatch).toEqual({ signals: ['traces', 'logs', 'metrics'], logGroup: '/otlp/default', logStreamPrefix: '', endpoint: undefined });
  });

  test('without logs: no log group', () => {
    const config = readBack(() => ({ sink: TelemetrySink.cloudWatch({ signals: [CloudWatchSignal.METRICS] }) }));
    expect(config.sink.cloudWatch).toEqual({ signals: ['metrics'], logGroup: undefined, logStreamPrefix: '', endpoint: undefined });
  });
});

describe('headersParameter round trip', () => {
  test.each(['otlp', 'http'] as const)('%s: the parameter\'s ARN, read as the parameter to GetParameter', (kind) => {
    const config = readBack((stack) => {
      const headersParameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Headers', { parameterName: '/telemetry/otlp-headers' });
      return {
        sink: kind === 'otlp'
          ? TelemetrySink.otlp({ endpoint: 'https://otel.example.com', headersParameter })
          : TelemetrySink.http({ url: 'https://ingest.example.com/t', headersParameter }),
      };
    });
    expect(config.sink.headersParameter).toBe('arn:aws:ssm:eu-west-1:123456789012:parameter/telemetry/otlp-headers');
  });
});
