import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, IAspect, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { HANDLER_DIR, newStack, nodeFunction } from './helpers';
import { tempDir } from './temp';
import { NodeJsSource, TelemetryAttachAspect, TelemetryExtensionLayer } from '../../lib';
import { runsOnAmazonLinux2023 } from '../../lib/runtime-compatibility';

const byName = (name: string, family?: lambda.RuntimeFamily) => new lambda.Runtime(name, family);
const CODE = {
  get code() {
    return lambda.Code.fromAsset(HANDLER_DIR);
  },
};

/** A stand-in Node.js binary: the layer's content is not what these tests look at. */
function fakeBundled(): NodeJsSource {
  const binary = path.join(tempDir('node-'), 'node');
  fs.writeFileSync(binary, '#!/bin/sh\n', { mode: 0o755 });
  return NodeJsSource.bundled({ x64BinaryPath: binary, arm64BinaryPath: binary, strip: false });
}

describe('runtimes are judged by what they are, not by a list', () => {
  test.each([
    ['nodejs24.x', lambda.RuntimeFamily.NODEJS],
    ['nodejs26.x', lambda.RuntimeFamily.NODEJS],
    ['nodejs18.x', lambda.RuntimeFamily.NODEJS],
  ])('the function-runtime layer serves %s', (name, family) => {
    const stack = newStack();
    const fn = nodeFunction(stack, 'Fn', { ...CODE, runtime: byName(name, family) });
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: name,
      Layers: [{ Ref: Match.stringLikeRegexp('^TelemetryLayer') }],
    });
  });

  test('the function-runtime layer refuses a Node.js older than 18', () => {
    const stack = newStack();
    const fn = nodeFunction(stack, 'Fn', { ...CODE, runtime: byName('nodejs16.x', lambda.RuntimeFamily.NODEJS) });
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn)).toThrow(
      'Cannot attach TestStack/Telemetry to TestStack/Fn: its runtime nodejs16.x has a Node.js older than 18, which the extension needs; use a newer Node.js runtime',
    );
  });

  test.each([
    ['python3.14', lambda.RuntimeFamily.PYTHON],
    ['java25', lambda.RuntimeFamily.JAVA],
    ['dotnet10', lambda.RuntimeFamily.DOTNET_CORE],
    ['ruby3.4', lambda.RuntimeFamily.RUBY],
    ['nodejs24.x', lambda.RuntimeFamily.NODEJS],
    ['provided.al2023', lambda.RuntimeFamily.OTHER],
    ['python3.15', lambda.RuntimeFamily.PYTHON],
  ])('the bundled-Node.js layer serves %s', (name, family) => {
    const stack = newStack();
    const fn = nodeFunction(stack, 'Fn', { ...CODE, runtime: byName(name, family) });
    new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: fakeBundled() }).attachTo(fn);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: name,
      Layers: [{ Ref: Match.stringLikeRegexp('^TelemetryLayerX64') }],
    });
  });

  test.each([
    ['nodejs', false], ['nodejs16.x', false], ['nodejs18.x', false], ['nodejs20.x', true], ['nodejs26.x', true],
    ['python2.7', false], ['python3.11', false], ['python3.12', true], ['python3.14', true],
    ['java8', false], ['java8.al2', false], ['java8.al2023', true], ['java17.al2023', true], ['java17', false], ['java21', true], ['java25', true],
    ['dotnetcore3.1', false], ['dotnet6', false], ['dotnet8', true], ['dotnet10', true],
    ['ruby2.7', false], ['ruby3.2', false], ['ruby3.3', true], ['ruby3.4', true], ['ruby4.0', true], ['nodejs4.3-edge', false],
    ['go1.x', false], ['provided', false], ['provided.al2', false], ['provided.al2023', true],
    ['a-runtime-of-2030', true],
  ])('%s runs on Amazon Linux 2023: %p', (name, al2023) => {
    expect(runsOnAmazonLinux2023(byName(name))).toBe(al2023);
  });

  test('no layer names runtimes: no stale list, never dotnet9, never more than 15 entries', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: fakeBundled() });
    telemetry.layerVersionFor(lambda.Architecture.X86_64);
    telemetry.layerVersionFor(lambda.Architecture.ARM_64);
    new TelemetryExtensionLayer(stack, 'Small');
    const layers = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
    expect(Object.keys(layers)).toHaveLength(3);
    for (const layer of Object.values(layers)) expect(layer.Properties.CompatibleRuntimes).toBeUndefined();
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('dotnet9');
  });
});

describe('attachToAll never crashes synth', () => {
  test('current, future and incompatible runtimes: attached or warned, never thrown', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    nodeFunction(stack, 'Node24', { ...CODE, runtime: byName('nodejs24.x', lambda.RuntimeFamily.NODEJS) });
    nodeFunction(stack, 'Node26', { ...CODE, runtime: byName('nodejs26.x', lambda.RuntimeFamily.NODEJS) });
    nodeFunction(stack, 'Py314', { ...CODE, runtime: byName('python3.14', lambda.RuntimeFamily.PYTHON) });
    telemetry.attachToAll(stack);
    const template = Template.fromStack(stack);
    const withLayer = template.findResources('AWS::Lambda::Function', { Properties: { Layers: Match.anyValue() } });
    expect(Object.keys(withLayer).sort()).toEqual([expect.stringMatching(/^Node24/), expect.stringMatching(/^Node26/)]);
    Annotations.fromStack(stack).hasWarning('/TestStack/Py314', Match.stringLikeRegexp('its runtime python3.14 has no Node.js'));
  });

  test('bundled layers exist before other aspects run, so they see them', () => {
    // Without aspect stabilization (which re-runs aspects on a changed tree) an aspect sees a
    // construct only when it exists as the traversal reaches it.
    const app = new App({ outdir: tempDir('cdk.out-'), context: { '@aws-cdk/core:aspectStabilization': false } });
    const stack = new Stack(app, 'TestStack');
    const seen: string[] = [];
    const recorder: IAspect = { visit: (node: IConstruct) => void seen.push(node.node.path) };
    Aspects.of(stack).add(recorder);
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: fakeBundled() });
    nodeFunction(stack, 'Py', { ...CODE, runtime: byName('python3.14', lambda.RuntimeFamily.PYTHON), architecture: lambda.Architecture.ARM_64 });
    telemetry.attachToAll(stack);
    Template.fromStack(stack);
    expect(seen).toContain('TestStack/Telemetry/LayerArm64');
    expect(seen).not.toContain('TestStack/Telemetry/LayerX64');
  });

  test('TelemetryAttachAspect can be added by hand', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    nodeFunction(stack, 'Fn');
    Aspects.of(stack).add(new TelemetryAttachAspect(telemetry));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: Match.stringLikeRegexp('^TelemetryLayer') }],
    });
  });
});
