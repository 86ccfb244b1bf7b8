import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { HANDLER_DIR, newStack, nodeFunction } from './helpers';
import { TelemetryExtensionLayer } from '../../lib';

const LAYER_REF = { Ref: Match.stringLikeRegexp('^TelemetryLayer') };

describe('attachTo', () => {
  test('NodejsFunction gets the layer and configuration', () => {
    // GIVEN
    const stack = newStack();
    const fn = new nodejs.NodejsFunction(stack, 'Fn', {
      entry: path.join(HANDLER_DIR, 'index.ts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      depsLockFilePath: path.join(__dirname, '..', '..', 'package-lock.json'),
      bundling: { forceDockerBundling: false },
    });
    // WHEN
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn);
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [LAYER_REF],
      Environment: { Variables: Match.objectLike({ TELEMETRY_EXTENSION_CONFIGURED: '1' }) },
    });
  });

  test('SingletonFunction gets the layer and configuration', () => {
    const stack = newStack();
    const fn = new lambda.SingletonFunction(stack, 'Singleton', {
      uuid: 'f7d4f730-4ee1-11e8-9c2d-fa7ae01bbebc',
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [LAYER_REF],
      Environment: { Variables: Match.objectLike({ TELEMETRY_EXTENSION_SINK: 'stdout' }) },
    });
  });

  test('one layer serves many functions', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    telemetry.attachTo(nodeFunction(stack, 'A'));
    telemetry.attachTo(nodeFunction(stack, 'B'));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    expect(Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Layers: [LAYER_REF] } }))).toHaveLength(2);
  });

  test('rejects a container-image function', () => {
    const stack = newStack();
    const fn = new lambda.DockerImageFunction(stack, 'Image', {
      code: lambda.DockerImageCode.fromEcr(
        ecr.Repository.fromRepositoryName(stack, 'Repo', 'repo'),
      ),
    });
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn)).toThrow(
      'Cannot attach TestStack/Telemetry to TestStack/Image: container-image functions cannot use layers; add the extension to the image instead',
    );
  });

  test('rejects a function without Node.js when Node.js is not bundled', () => {
    const stack = newStack();
    const fn = nodeFunction(stack, 'Py', { runtime: lambda.Runtime.PYTHON_3_12 });
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn)).toThrow(
      'Cannot attach TestStack/Telemetry to TestStack/Py: its runtime python3.12 has no Node.js, which this layer needs to run the extension; use NodeJsSource.bundled() for the nodeJs prop, or a Node.js runtime',
    );
  });

  test('rejects an architecture the layer does not list', () => {
    const stack = newStack();
    const fn = nodeFunction(stack, 'Arm', { architecture: lambda.Architecture.ARM_64 });
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      compatibleArchitectures: [lambda.Architecture.X86_64],
    });
    expect(() => telemetry.attachTo(fn)).toThrow(
      "Cannot attach TestStack/Telemetry to TestStack/Arm: its architecture arm64 is not in the layer's compatibleArchitectures (x86_64)",
    );
  });

  test('rejects attaching the same layer twice', () => {
    const stack = newStack();
    const fn = nodeFunction(stack);
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    telemetry.attachTo(fn);
    expect(() => telemetry.attachTo(fn)).toThrow('Cannot attach TestStack/Telemetry to TestStack/Fn: it is already attached');
  });

  test('rejects a second telemetry layer on the same function', () => {
    const stack = newStack();
    const fn = nodeFunction(stack);
    new TelemetryExtensionLayer(stack, 'First').attachTo(fn);
    expect(() => new TelemetryExtensionLayer(stack, 'Second').attachTo(fn)).toThrow(
      'Cannot attach TestStack/Second to TestStack/Fn: it already has the telemetry extension layer TestStack/First (two would both register as "telemetry-extension" and share one port)',
    );
  });

  test('rejects an imported function', () => {
    const stack = newStack();
    const fn = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:eu-west-1:123456789012:function:x');
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn)).toThrow(
      'Cannot attach TestStack/Telemetry to TestStack/Imported: only a lambda.Function or lambda.SingletonFunction defined in this app can get a layer (imported functions, aliases and versions cannot)',
    );
  });
});

describe('attachToAll', () => {
  class Service extends Construct {
    constructor(scope: Construct, id: string) {
      super(scope, id);
      nodeFunction(new Construct(this, 'Deep'), 'Api');
      nodeFunction(this, 'Worker');
    }
  }

  test('attaches to every compatible function below the scope, nested or added later', () => {
    // GIVEN
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    const services = new Construct(stack, 'Services');
    new Service(services, 'Orders');
    // WHEN
    telemetry.attachToAll(services);
    new Service(services, 'AddedLater');
    nodeFunction(stack, 'Outside');
    // THEN
    const template = Template.fromStack(stack);
    const withLayer = template.findResources('AWS::Lambda::Function', { Properties: { Layers: [LAYER_REF] } });
    expect(Object.keys(withLayer).sort()).toEqual(
      Object.keys(template.findResources('AWS::Lambda::Function'))
        .filter((id) => id.startsWith('Services'))
        .sort(),
    );
    expect(Object.keys(withLayer)).toHaveLength(4);
  });

  test('skips incompatible functions with a warning and leaves attached ones alone', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    const manual = nodeFunction(stack, 'Manual');
    telemetry.attachTo(manual);
    nodeFunction(stack, 'Py', { runtime: lambda.Runtime.PYTHON_3_12 });
    telemetry.attachToAll(stack);
    const template = Template.fromStack(stack);
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Layers: [LAYER_REF] } })),
    ).toEqual([expect.stringMatching(/^Manual/)]);
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Py',
      Match.stringLikeRegexp('was not attached to this function: its runtime python3.12 has no Node.js'),
    );
  });
});
