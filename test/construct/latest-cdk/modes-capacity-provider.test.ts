/**
 * Runs in the "aws-cdk-lib latest" jest project only: a function placed on a Lambda Managed
 * Instances capacity provider with the newest aws-cdk-lib's own `CapacityProvider` construct
 * (which the minimum aws-cdk-lib does not have: the types come from the npm alias, the classes
 * are the ones jest maps `aws-cdk-lib` to, so they are the library's own).
 */
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ec2Latest from 'aws-cdk-lib-latest/aws-ec2';
import * as lambdaLatest from 'aws-cdk-lib-latest/aws-lambda';
import { FlushStrategy, TelemetryExtensionLayer, TelemetrySink } from '../../../lib';
import { tempDir } from '../temp';

const HANDLER_DIR = path.join(__dirname, '..', '..', 'fixtures', 'handler');

function newStack(): Stack {
  const app = new App({ outdir: tempDir('cdk.out-') });
  return new Stack(app, 'Managed', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** A capacity provider in a VPC of its own, as the construct requires. */
function capacityProvider(stack: Stack): lambdaLatest.CapacityProvider {
  const scope = stack as unknown as ConstructorParameters<typeof ec2Latest.Vpc>[0];
  const vpc = new ec2Latest.Vpc(scope, 'Vpc', { maxAzs: 2, natGateways: 0 });
  return new lambdaLatest.CapacityProvider(scope, 'Capacity', {
    subnets: vpc.isolatedSubnets.length > 0 ? vpc.isolatedSubnets : vpc.publicSubnets,
    securityGroups: [new ec2Latest.SecurityGroup(scope, 'Sg', { vpc })],
  });
}

function fn(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS),
    handler: 'index.handler',
    code: lambda.Code.fromAsset(HANDLER_DIR),
  });
}

function variablesOf(stack: Stack, id: string): { [key: string]: unknown } {
  const [resource] = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(([logicalId]) => logicalId.startsWith(id));
  return resource[1].Properties.Environment.Variables;
}

describe('aws-cdk-lib latest: a function on a CapacityProvider', () => {
  test('this project maps aws-cdk-lib to a release with CapacityProvider', () => {
    expect(typeof (lambda as unknown as { CapacityProvider?: unknown }).CapacityProvider).toBe('function');
    expect(lambdaLatest.CapacityProvider).toBe((lambda as unknown as { CapacityProvider?: unknown }).CapacityProvider);
  });

  test('placed on it after attachTo: exports continuously, warns about the chosen strategy; its neighbour keeps the layer\'s', () => {
    // GIVEN
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      sink: TelemetrySink.otlp({ endpoint: 'https://otel.example.com' }),
      flushStrategy: FlushStrategy.endOfInvocation(),
    });
    const managed = fn(stack, 'Managed');
    const plain = fn(stack, 'Plain');
    telemetry.attachTo(managed);
    telemetry.attachTo(plain);
    // WHEN
    capacityProvider(stack).addFunction(managed as unknown as lambdaLatest.IFunction, { perExecutionEnvironmentMaxConcurrency: 8 });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: Match.objectLike({ PerExecutionEnvironmentMaxConcurrency: 8 }) },
    });
    expect(variablesOf(stack, 'Managed')).toMatchObject({
      TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously',
      TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '1000',
      // The receiver works there as anywhere.
      TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: '4318',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
    });
    expect(variablesOf(stack, 'Plain').TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('end-of-invocation');
    Annotations.fromStack(stack).hasWarning(
      '/Managed/Managed',
      Match.stringLikeRegexp('^flushStrategy FlushStrategy.endOfInvocation\\(\\) of Managed/Telemetry cannot work here: .*\\[ack: cdk-telemetry-extension:managedInstancesFlushStrategy\\]$'),
    );
    expect(Annotations.fromStack(stack).findWarning('/Managed/Plain', Match.anyValue())).toEqual([]);
  });

  test('placed on it before attachToAll, with a long buffering timeout: adapted and warned', () => {
    const stack = newStack();
    const managed = fn(stack, 'Managed');
    capacityProvider(stack).addFunction(managed as unknown as lambdaLatest.IFunction);
    new TelemetryExtensionLayer(stack, 'Telemetry', { buffering: { timeout: Duration.seconds(2) } }).attachToAll(stack);
    expect(variablesOf(stack, 'Managed').TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('continuously');
    Annotations.fromStack(stack).hasWarning('/Managed/Managed', Match.stringLikeRegexp('\\[ack: cdk-telemetry-extension:managedInstancesBufferingTimeout\\]$'));
  });

  test('set with the L1 property CfnFunction.capacityProviderConfig', () => {
    const stack = newStack();
    const managed = fn(stack, 'Managed');
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(managed);
    (managed.node.defaultChild as unknown as lambdaLatest.CfnFunction).capacityProviderConfig = {
      lambdaManagedInstancesCapacityProviderConfig: { capacityProviderArn: 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:shared' },
    };
    expect(variablesOf(stack, 'Managed').TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('continuously');
  });
});
