import { Match, Template } from 'aws-cdk-lib/assertions';
import { newStack, nodeFunction } from './helpers';
import { TelemetryExtensionLayer } from '../../lib';

/** Every default is written out, so a template says what the extension will do. */
const DEFAULT_ENVIRONMENT = {
  TELEMETRY_EXTENSION_CONFIGURED: '1',
  TELEMETRY_EXTENSION_PORT: '4243',
  TELEMETRY_EXTENSION_TYPES: 'platform',
  TELEMETRY_EXTENSION_BUFFERING_MAX_ITEMS: '1000',
  TELEMETRY_EXTENSION_BUFFERING_MAX_BYTES: '262144',
  TELEMETRY_EXTENSION_BUFFERING_TIMEOUT_MS: '25',
  TELEMETRY_EXTENSION_QUEUE_MAX_ITEMS: '20000',
  TELEMETRY_EXTENSION_QUEUE_MAX_BYTES: '4194304',
  TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'adaptive',
  TELEMETRY_EXTENSION_SINK: 'stdout',
};

describe('TelemetryExtensionLayer with no props', () => {
  test('creates one layer version for both architectures, with no list of runtimes', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new TelemetryExtensionLayer(stack, 'Telemetry');
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: Match.absent(),
      CompatibleArchitectures: ['x86_64', 'arm64'],
      Description: 'Telemetry API extension (cdk-telemetry-extension)',
      LicenseInfo: 'Apache-2.0',
    });
    template.hasResource('AWS::Lambda::LayerVersion', { DeletionPolicy: 'Delete' });
  });

  test('attachTo adds the layer and the default configuration, written out in full', () => {
    // GIVEN
    const stack = newStack();
    const fn = nodeFunction(stack);
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    // WHEN
    telemetry.attachTo(fn);
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: Match.stringLikeRegexp('^TelemetryLayer') }],
      Environment: {
        Variables: DEFAULT_ENVIRONMENT,
      },
    });
  });

  test('environment exposes the same configuration for manual wiring', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    expect(telemetry.environment).toEqual(DEFAULT_ENVIRONMENT);
  });
});
