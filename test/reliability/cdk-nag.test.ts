/**
 * cdk-nag AwsSolutions over stacks using the construct: no finding on anything the construct
 * creates (its layer, and the grant it adds to a function's role, which creates the role's
 * DefaultPolicy) nor on what it changes (the function).
 *
 * Excluded, because the construct does not cause them:
 * - AwsSolutions-IAM4 on a function's ServiceRole: the AWSLambdaBasicExecutionRole managed policy
 *   that lambda.Function attaches to the role it creates;
 * - AwsSolutions-SMG4 on the test's own secret (no rotation): the user's secret, not ours.
 */
import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TelemetryExtensionLayer, TelemetrySink } from '../../lib';
import { tempApp } from '../support/temp';

const EXCLUDED: ReadonlyArray<{ readonly rule: string; readonly path: RegExp }> = [
  { rule: 'AwsSolutions-IAM4', path: /^\/Nag\/Fn\d*\/ServiceRole\/Resource$/ },
  { rule: 'AwsSolutions-SMG4', path: /^\/Nag\/Headers\/Resource$/ },
];

interface Finding {
  readonly path: string;
  readonly rule: string;
  readonly level: 'error' | 'warning';
}

function nag(build: (stack: Stack) => void): Finding[] {
  const stack = new Stack(tempApp(), 'Nag', { env: { account: '123456789012', region: 'us-east-1' } });
  build(stack);
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const annotations = Annotations.fromStack(stack);
  const pick = (level: Finding['level'], messages: ReturnType<typeof annotations.findError>) => messages.map((m) => ({
    path: m.id, rule: String(m.entry.data).split(':')[0].replace(/\[.*$/, ''), level,
  }));
  return [
    ...pick('error', annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))),
    ...pick('warning', annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))),
  ];
}

function fn(stack: Stack, id = 'Fn'): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
}

const notExcluded = (findings: Finding[]) => findings.filter((f) => !EXCLUDED.some((e) => e.rule === f.rule && e.path.test(f.path)));

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['an OTLP sink with a secret of the stack', (stack: Stack) => {
      const secret = new secretsmanager.Secret(stack, 'Headers');
      new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.otlp({ endpoint: 'https://collector.example.com', headersSecret: secret }) }).attachTo(fn(stack));
    }],
    ['an HTTP sink with an imported secret (by name)', (stack: Stack) => {
      const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Imported', 'otlp-headers');
      new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.http({ url: 'https://collector.example.com/events', headersSecret: secret }) }).attachTo(fn(stack));
    }],
    ['the default (stdout) sink on every function of a scope', (stack: Stack) => {
      fn(stack, 'Fn1');
      fn(stack, 'Fn2');
      new TelemetryExtensionLayer(stack, 'Telemetry', { layerVersionName: 'telemetry' }).attachToAll(stack);
    }],
  ])('%s: no finding caused by the construct', (_name, build) => {
    const findings = nag(build);

    expect(notExcluded(findings)).toEqual([]);
    // The excluded ones are there (the check ran), and none is on the construct's own resources.
    expect(findings.some((f) => f.rule === 'AwsSolutions-IAM4')).toBe(true);
    expect(findings.filter((f) => /\/Telemetry\/|\/DefaultPolicy\//.test(f.path))).toEqual([]);
  });
});
