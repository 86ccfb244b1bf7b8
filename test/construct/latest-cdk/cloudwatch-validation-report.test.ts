/**
 * Runs in the "aws-cdk-lib latest" jest project only: the newest aws-cdk-lib's template
 * validation finds nothing in the resources of the CloudWatch sink, headersParameter and
 * cloudWatchLogsIngestion STOP (the created log group, the grants, the Deny policy).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { CloudWatchLogsIngestion, LogLevel, TelemetryExtensionLayer, TelemetrySink, TelemetryType } from '../../../lib';
import { tempDir } from '../temp';

const HANDLER_DIR = path.join(__dirname, '..', '..', 'fixtures', 'handler');

function findings(assemblyDir: string): unknown[] {
  const file = path.join(assemblyDir, 'validation-report.json');
  expect(fs.existsSync(file)).toBe(true);
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(report.title).toBe('Validation Report');
  const found: unknown[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {value.forEach(walk);} else if (value !== null && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if (typeof o.ruleName === 'string' && Array.isArray(o.violatingConstructs)) found.push(o);
      else Object.values(o).forEach(walk);
    }
  };
  walk(report);
  return found;
}

function fn(stack: Stack, id: string, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS),
    handler: 'index.handler',
    code: lambda.Code.fromAsset(HANDLER_DIR),
    ...props,
  });
}

test('the CloudWatch sink, headersParameter and STOP: the validation report is empty', () => {
  const app = new App({ outdir: tempDir('cdk.out-') });
  const stack = new Stack(app, 'CloudWatchValidated', { env: { account: '123456789012', region: 'eu-west-1' } });
  const cloudWatch = new TelemetryExtensionLayer(stack, 'Telemetry', {
    types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
    sink: TelemetrySink.cloudWatch({ logStreamPrefix: 'orders/' }),
    cloudWatchLogsIngestion: CloudWatchLogsIngestion.STOP,
    minLogLevel: LogLevel.INFO,
  });
  cloudWatch.attachTo(fn(stack, 'Orders'));
  cloudWatch.attachTo(fn(stack, 'Named', { functionName: 'named' }));
  const otlp = new TelemetryExtensionLayer(stack, 'OtlpTelemetry', {
    types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
    sink: TelemetrySink.otlp({
      endpoint: 'https://otel.example.com',
      headersParameter: ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Headers', { parameterName: '/otlp/headers' }),
      headersParameterKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    }),
    cloudWatchLogsIngestion: CloudWatchLogsIngestion.STOP,
  });
  otlp.attachTo(fn(stack, 'Payments'));
  const assembly = app.synth();
  const template = assembly.getStackByName('CloudWatchValidated').template;
  const types = Object.values(template.Resources).map((r: any) => r.Type);
  // The resources under test are there: the created log group, the grants and three Deny policies.
  expect(types.filter((t) => t === 'AWS::Logs::LogGroup')).toHaveLength(1);
  expect(types.filter((t) => t === 'AWS::IAM::Policy').length).toBeGreaterThanOrEqual(6);
  expect(findings(assembly.directory)).toEqual([]);
});
