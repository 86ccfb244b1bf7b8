import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { newStack, nodeFunction } from './helpers';
import { FlushStrategy, TelemetryExtensionLayer, TelemetrySink, TelemetryType } from '../../lib';

// Asset hashes are masked by test/setup/asset-hash-serializer.ts; layer-asset.test.ts proves
// separately that two builds give the same hash.
describe('full-stack snapshots', () => {
  test('defaults', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry').attachTo(nodeFunction(stack));
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  test('OTLP sink with a secret, function logs and a continuous flush', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
      sink: TelemetrySink.otlp({
        endpoint: 'https://otel.example.com',
        headersSecret: new secretsmanager.Secret(stack, 'OtlpHeaders'),
        serviceName: 'orders',
      }),
      flushStrategy: FlushStrategy.continuously(Duration.seconds(1)),
    });
    telemetry.attachToAll(stack);
    nodeFunction(stack, 'A');
    nodeFunction(stack, 'B');
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});
