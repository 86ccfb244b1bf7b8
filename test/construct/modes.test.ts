/**
 * Functions Lambda runs in a particular mode, recognised from the template-to-be alone: here with
 * raw overrides (what an app on an aws-cdk-lib without `CapacityProvider` writes) and aws-cdk-lib's
 * own SnapStart setting. latest-cdk/modes-capacity-provider.test.ts does the same with the real
 * `CapacityProvider` construct of the newest aws-cdk-lib.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { HANDLER_DIR, newStack, nodeFunction } from './helpers';
import { tempDir } from './temp';
import { FlushStrategy, NodeJsSource, TelemetryExtensionLayer, TelemetryExtensionLayerProps, TelemetrySink, TelemetryType } from '../../lib';

const CAPACITY_PROVIDER = {
  LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:shared' },
};
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf';

function variablesOf(stack: Stack, id = 'Fn'): { [key: string]: unknown } {
  const [resource] = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(([logicalId]) => logicalId.startsWith(id));
  return resource[1].Properties.Environment.Variables;
}

/** This library's warnings on `path`, as `message [ack: id]` (aws-cdk-lib has its own about SnapStart). */
function warningsOn(stack: Stack, at = '/TestStack/Fn'): string[] {
  return Annotations.fromStack(stack)
    .findWarning(at, Match.anyValue())
    .map((m) => String(m.entry.data))
    .filter((text) => !text.includes('[ack: @aws-cdk/'));
}
function infosOn(stack: Stack, at = '/TestStack/Fn'): string[] {
  return Annotations.fromStack(stack).findInfo(at, Match.anyValue()).map((m) => String(m.entry.data));
}

/** A function placed on a capacity provider after attachTo, with a raw override. */
function onManagedInstances(props: TelemetryExtensionLayerProps = {}): Stack {
  const stack = newStack();
  const fn = nodeFunction(stack);
  new TelemetryExtensionLayer(stack, 'Telemetry', props).attachTo(fn);
  (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('CapacityProviderConfig', CAPACITY_PROVIDER);
  return stack;
}

const NO_INVOKE = 'Lambda sends extensions no INVOKE events on Lambda Managed Instances (invocations run concurrently, and the environment is never frozen)';

describe('Lambda Managed Instances (a function on a capacity provider)', () => {
  test('the default flush strategy becomes continuously, every second, with a note and no warning', () => {
    const stack = onManagedInstances();
    expect(variablesOf(stack)).toMatchObject({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '1000' });
    expect(warningsOn(stack)).toEqual([]);
    expect(infosOn(stack)).toEqual([
      'On Lambda Managed Instances the default flush strategy of TestStack/Telemetry (adaptive) cannot work (no INVOKE events): this function exports continuously every 1 second instead (TELEMETRY_EXTENSION_FLUSH_STRATEGY=continuously).',
    ]);
  });

  test('a function of the same layer that is not on a capacity provider keeps the layer\'s strategy', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    const managed = nodeFunction(stack, 'Managed');
    telemetry.attachTo(managed);
    telemetry.attachTo(nodeFunction(stack, 'Plain'));
    (managed.node.defaultChild as lambda.CfnFunction).addPropertyOverride('CapacityProviderConfig', CAPACITY_PROVIDER);
    expect(variablesOf(stack, 'Managed').TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('continuously');
    expect(variablesOf(stack, 'Plain').TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('adaptive');
    expect(variablesOf(stack, 'Plain')).not.toHaveProperty('TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS');
    expect(infosOn(stack, '/TestStack/Plain')).toEqual([]);
    // The layer's own environment (for wiring by hand) is the layer's, not the function's.
    expect(telemetry.environment.TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('adaptive');
  });

  test.each<[string, FlushStrategy]>([
    ['FlushStrategy.endOfInvocation()', FlushStrategy.endOfInvocation()],
    ['FlushStrategy.adaptive()', FlushStrategy.adaptive()],
  ])('%s, chosen explicitly, cannot work: a warning names it and what happens instead', (name, flushStrategy) => {
    const stack = onManagedInstances({ flushStrategy });
    expect(variablesOf(stack)).toMatchObject({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '1000' });
    expect(warningsOn(stack)).toEqual([
      `flushStrategy ${name} of TestStack/Telemetry cannot work here: ${NO_INVOKE}, so there is no invocation end to export at; this function exports continuously every 1 second instead (TELEMETRY_EXTENSION_FLUSH_STRATEGY=continuously). Use FlushStrategy.continuously() to choose the interval (\`flush_strategy\` in Python). [ack: cdk-telemetry-extension:managedInstancesFlushStrategy]`,
    ]);
  });

  test('continuously(interval) is kept as it is, without a word', () => {
    const stack = onManagedInstances({ flushStrategy: FlushStrategy.continuously(Duration.seconds(5)) });
    expect(variablesOf(stack)).toMatchObject({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '5000' });
    expect(warningsOn(stack)).toEqual([]);
    expect(infosOn(stack)).toEqual([]);
  });

  test('periodically(interval) is kept, with a warning that the extension runs it continuously', () => {
    const stack = onManagedInstances({ flushStrategy: FlushStrategy.periodically(Duration.seconds(5)) });
    expect(variablesOf(stack)).toMatchObject({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'periodically', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '5000' });
    expect(warningsOn(stack)).toEqual([
      `flushStrategy FlushStrategy.periodically() of TestStack/Telemetry exports at invocation boundaries, which the extension does not see here: ${NO_INVOKE}. The extension exports continuously every 5000 ms instead; say so with FlushStrategy.continuously() (\`flush_strategy\` in Python). [ack: cdk-telemetry-extension:managedInstancesFlushStrategy]`,
    ]);
  });

  test('types without PLATFORM: a warning says what is missing', () => {
    const stack = onManagedInstances({ types: [TelemetryType.FUNCTION], flushStrategy: FlushStrategy.continuously(Duration.seconds(1)) });
    expect(warningsOn(stack)).toEqual([
      `types of TestStack/Telemetry (function) has no TelemetryType.PLATFORM: ${NO_INVOKE}, so platform events are all the extension learns about invocations. Without them it exports no invocation spans and no report metrics here, only log records. Add TelemetryType.PLATFORM. [ack: cdk-telemetry-extension:managedInstancesWithoutPlatform]`,
    ]);
  });

  test('buffering.timeout above 1 second: a warning about reports lost at SHUTDOWN', () => {
    const stack = onManagedInstances({ buffering: { timeout: Duration.seconds(3) }, flushStrategy: FlushStrategy.continuously(Duration.seconds(1)) });
    expect(warningsOn(stack)).toEqual([
      'buffering.timeout of TestStack/Telemetry is 3000 ms: on Lambda Managed Instances invocations can still be running when SHUTDOWN comes, and Lambda may hold their platform.report that long, longer than the extension can wait for it before SHUTDOWN\'s deadline (at most 60% of the time left, about 1.2 s of a 2-second shutdown). Those invocations are then exported without their report (duration and status as far as the extension saw them). Keep buffering.timeout at or below 1 second. [ack: cdk-telemetry-extension:managedInstancesBufferingTimeout]',
    ]);
  });

  test('buffering.timeout of 1 second and PLATFORM among the types: no warning', () => {
    const stack = onManagedInstances({
      buffering: { timeout: Duration.seconds(1) },
      types: [TelemetryType.FUNCTION, TelemetryType.PLATFORM],
      flushStrategy: FlushStrategy.continuously(Duration.seconds(1)),
    });
    expect(warningsOn(stack)).toEqual([]);
  });

  test('every way of writing the capacity provider counts: addOverride on Properties', () => {
    const stack = newStack();
    const fn = nodeFunction(stack);
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn);
    (fn.node.defaultChild as lambda.CfnFunction).addOverride('Properties.CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig.CapacityProviderArn', 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:x');
    expect(variablesOf(stack).TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('continuously');
  });

  test('a capacity provider removed again with a deletion override does not count', () => {
    const stack = newStack();
    const fn = nodeFunction(stack);
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn);
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.addPropertyOverride('CapacityProviderConfig', CAPACITY_PROVIDER);
    cfn.addPropertyDeletionOverride('CapacityProviderConfig');
    expect(Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(cfn)].Properties).not.toHaveProperty('CapacityProviderConfig');
    expect(variablesOf(stack).TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('adaptive');
  });

  test('attachToAll: a function the aspect attaches to is adapted too', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', { flushStrategy: FlushStrategy.endOfInvocation() }).attachToAll(stack);
    const fn = nodeFunction(stack);
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('CapacityProviderConfig', CAPACITY_PROVIDER);
    expect(variablesOf(stack).TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('continuously');
    expect(warningsOn(stack)).toEqual([expect.stringContaining('[ack: cdk-telemetry-extension:managedInstancesFlushStrategy]')]);
  });

  test('a strategy the app sets on the function after attachTo is the user\'s: kept, and warned about', () => {
    const stack = newStack();
    const fn = nodeFunction(stack);
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(fn);
    fn.addEnvironment('TELEMETRY_EXTENSION_FLUSH_STRATEGY', 'end-of-invocation');
    fn.addEnvironment('TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS', '250');
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('CapacityProviderConfig', CAPACITY_PROVIDER);
    // Replaced only because it cannot work, and said so as a warning (the user's choice), with the user's interval kept.
    expect(variablesOf(stack)).toMatchObject({ TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '250' });
    expect(warningsOn(stack)).toEqual([expect.stringMatching(/^flushStrategy FlushStrategy.endOfInvocation\(\) of TestStack\/Telemetry cannot work here/)]);
  });

  test('a SingletonFunction is judged by its function', () => {
    const stack = newStack();
    const singleton = new lambda.SingletonFunction(stack, 'Singleton', {
      uuid: 'f7d4f730-4ee1-11e8-9c2d-fa7ae01bbebc',
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new TelemetryExtensionLayer(stack, 'Telemetry', { flushStrategy: FlushStrategy.endOfInvocation() }).attachTo(singleton);
    const cfn = stack.node.findAll().find((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)!;
    cfn.addPropertyOverride('CapacityProviderConfig', CAPACITY_PROVIDER);
    expect(variablesOf(stack, 'SingletonLambda').TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('continuously');
    expect(warningsOn(stack, '/TestStack/Singleton')).toEqual([expect.stringContaining('[ack: cdk-telemetry-extension:managedInstancesFlushStrategy]')]);
  });

  test('synthesizing twice warns once', () => {
    const stack = onManagedInstances({ flushStrategy: FlushStrategy.endOfInvocation() });
    const app = stack.node.root as App;
    app.synth();
    app.synth({ force: true });
    expect(warningsOn(stack)).toHaveLength(1);
  });

  test('a function on no capacity provider and without SnapStart: nothing changes, nothing is said', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', {
      flushStrategy: FlushStrategy.endOfInvocation(),
      types: [TelemetryType.FUNCTION],
      sink: TelemetrySink.otlp({
        endpoint: 'https://otel.example.com',
        headersSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Headers', SECRET_ARN),
      }),
    }).attachTo(nodeFunction(stack));
    expect(variablesOf(stack).TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('end-of-invocation');
    expect(warningsOn(stack)).toEqual([]);
    expect(infosOn(stack)).toEqual([]);
  });
});

describe('SnapStart', () => {
  /** A stand-in Node.js binary: the layer's content is not what these tests look at. */
  function fakeBundled(): NodeJsSource {
    const binary = path.join(tempDir('node-'), 'node');
    fs.writeFileSync(binary, '#!/bin/sh\n', { mode: 0o755 });
    return NodeJsSource.bundled({ x64BinaryPath: binary, arm64BinaryPath: binary, strip: false });
  }

  /** A Java function with a published version (SnapStart snapshots versions). */
  function javaWithSnapStart(stack: Stack, snapStart?: lambda.SnapStartConf): lambda.Function {
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.JAVA_21,
      handler: 'example.Handler::handleRequest',
      code: lambda.Code.fromAsset(HANDLER_DIR),
      snapStart,
    });
    fn.currentVersion;
    return fn;
  }

  const SECRET_WARNING =
    'SnapStart with the sink\'s headersSecret (`headers_secret` in Python) of TestStack/Telemetry: the extension reads it during Init, which SnapStart runs once, when it takes the snapshot of a published version; every environment restored from that snapshot uses the value read then. A changed or rotated value reaches the function only with a new published version. [ack: cdk-telemetry-extension:snapStartHeadersSecret]';

  test('a headersSecret on a SnapStart function: a warning that every restore uses the value read for the snapshot', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      nodeJs: fakeBundled(),
      sink: TelemetrySink.otlp({
        endpoint: 'https://otel.example.com',
        headersSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Headers', SECRET_ARN),
      }),
    });
    telemetry.attachTo(javaWithSnapStart(stack, lambda.SnapStartConf.ON_PUBLISHED_VERSIONS));
    expect(warningsOn(stack)).toEqual([SECRET_WARNING]);
    // SnapStart changes nothing else: the flush strategy stays the layer's.
    expect(variablesOf(stack).TELEMETRY_EXTENSION_FLUSH_STRATEGY).toBe('adaptive');
  });

  test('SnapStart without a secret, and a secret without SnapStart: no warning', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Plain', { nodeJs: fakeBundled() }).attachTo(javaWithSnapStart(stack, lambda.SnapStartConf.ON_PUBLISHED_VERSIONS));
    const other = newStack('Other');
    new TelemetryExtensionLayer(other, 'Telemetry', {
      nodeJs: fakeBundled(),
      sink: TelemetrySink.otlp({ endpoint: 'https://otel.example.com', headersSecret: secretsmanager.Secret.fromSecretCompleteArn(other, 'Headers', SECRET_ARN) }),
    }).attachTo(javaWithSnapStart(other));
    expect(warningsOn(stack)).toEqual([]);
    expect(warningsOn(other, '/Other/Fn')).toEqual([]);
  });

  test('SnapStart written as a raw override counts, and ApplyOn None does not', () => {
    const withOverride = (applyOn: string) => {
      const stack = newStack();
      const fn = javaWithSnapStart(stack);
      new TelemetryExtensionLayer(stack, 'Telemetry', {
        nodeJs: fakeBundled(),
        sink: TelemetrySink.otlp({ endpoint: 'https://otel.example.com', headersSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Headers', SECRET_ARN) }),
      }).attachTo(fn);
      (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('SnapStart.ApplyOn', applyOn);
      return warningsOn(stack);
    };
    expect(withOverride('PublishedVersions')).toEqual([SECRET_WARNING]);
    expect(withOverride('None')).toEqual([]);
  });
});
