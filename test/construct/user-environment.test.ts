import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { HANDLER_DIR, newStack, nodeFunction } from './helpers';
import { TelemetryExtensionLayer } from '../../lib';

type Make = (scope: Construct, environment: { [key: string]: string }) => lambda.IFunction;

const KINDS: Array<[string, Make]> = [
  ['Function', (scope, environment) => nodeFunction(scope, 'Fn', { environment })],
  [
    'NodejsFunction',
    (scope, environment) =>
      new nodejs.NodejsFunction(scope, 'Fn', {
        entry: path.join(HANDLER_DIR, 'index.ts'),
        runtime: lambda.Runtime.NODEJS_22_X,
        depsLockFilePath: path.join(__dirname, '..', '..', 'package-lock.json'),
        bundling: { forceDockerBundling: false },
        environment,
      }),
  ],
  [
    'SingletonFunction',
    (scope, environment) =>
      new lambda.SingletonFunction(scope, 'Fn', {
        uuid: 'f7d4f730-4ee1-11e8-9c2d-fa7ae01bbebc',
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
        environment,
      }),
  ],
];

describe("attachTo never overwrites the user's own TELEMETRY_EXTENSION_* variables", () => {
  test.each(KINDS)('%s: a different value fails, naming the variable, both values and what to do', (_kind, make) => {
    const stack = newStack();
    const fn = make(stack, { TELEMETRY_EXTENSION_PORT: '5000' });
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn)).toThrow(
      `Cannot attach TestStack/Telemetry to ${fn.node.path}: the function already sets TELEMETRY_EXTENSION_PORT to "5000", and this layer's configuration sets it to "4243"; remove TELEMETRY_EXTENSION_PORT from the function's environment and configure it through the TelemetryExtensionLayer's props, or give both the same value`,
    );
  });

  test.each(KINDS)('%s: the same value is fine, and other variables stay', (_kind, make) => {
    const stack = newStack();
    const fn = make(stack, { TELEMETRY_EXTENSION_PORT: '5000', TELEMETRY_EXTENSION_DEBUG: '1', OTHER: 'x' });
    new TelemetryExtensionLayer(stack, 'Telemetry', { port: 5000 }).attachTo(fn);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ TELEMETRY_EXTENSION_PORT: '5000', TELEMETRY_EXTENSION_DEBUG: '1', OTHER: 'x', TELEMETRY_EXTENSION_CONFIGURED: '1' }),
      },
    });
  });

  test('a variable set with addEnvironment before attachTo counts too', () => {
    const stack = newStack();
    const fn = nodeFunction(stack);
    fn.addEnvironment('TELEMETRY_EXTENSION_SINK', 'otlp');
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn)).toThrow(
      'the function already sets TELEMETRY_EXTENSION_SINK to "otlp", and this layer\'s configuration sets it to "stdout"',
    );
  });

  test('attachToAll warns and skips such a function', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    nodeFunction(stack, 'Mine', { environment: { TELEMETRY_EXTENSION_TYPES: 'platform,function' } });
    nodeFunction(stack, 'Plain');
    telemetry.attachToAll(stack);
    const template = Template.fromStack(stack);
    const withLayer = template.findResources('AWS::Lambda::Function', { Properties: { Layers: Match.anyValue() } });
    expect(Object.keys(withLayer)).toEqual([expect.stringMatching(/^Plain/)]);
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Mine',
      Match.stringLikeRegexp('already sets TELEMETRY_EXTENSION_TYPES to "platform,function"'),
    );
  });
});
