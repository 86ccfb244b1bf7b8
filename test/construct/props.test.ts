import { CfnParameter, Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { newStack, nodeFunction } from './helpers';
import {
  ExportCompression,
  FlushStrategy,
  OtlpProtocol,
  TelemetryExtensionLayer,
  TelemetrySink,
  TelemetryType,
} from '../../lib';

describe('TelemetryExtensionLayer props reach the template', () => {
  test('layer options: name, description, removal policy, architectures', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new TelemetryExtensionLayer(stack, 'Telemetry', {
      layerVersionName: 'telemetry',
      description: 'my telemetry',
      removalPolicy: RemovalPolicy.RETAIN,
      compatibleArchitectures: [lambda.Architecture.ARM_64],
    });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      LayerName: 'telemetry',
      Description: 'my telemetry',
      CompatibleArchitectures: ['arm64'],
    });
    template.hasResource('AWS::Lambda::LayerVersion', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('port, types and buffering', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      port: 4321,
      types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION, TelemetryType.EXTENSION],
      buffering: { maxItems: 10000, maxBytes: Size.mebibytes(1), timeout: Duration.seconds(30) },
    });
    expect(telemetry.environment).toMatchObject({
      TELEMETRY_EXTENSION_PORT: '4321',
      TELEMETRY_EXTENSION_TYPES: 'platform,function,extension',
      TELEMETRY_EXTENSION_BUFFERING_MAX_ITEMS: '10000',
      TELEMETRY_EXTENSION_BUFFERING_MAX_BYTES: '1048576',
      TELEMETRY_EXTENSION_BUFFERING_TIMEOUT_MS: '30000',
    });
  });

  test('queue limits', () => {
    const telemetry = new TelemetryExtensionLayer(newStack(), 'Telemetry', {
      queue: { maxItems: 500, maxBytes: Size.kibibytes(512) },
    });
    expect(telemetry.environment).toMatchObject({
      TELEMETRY_EXTENSION_QUEUE_MAX_ITEMS: '500',
      TELEMETRY_EXTENSION_QUEUE_MAX_BYTES: '524288',
    });
  });

  test.each([
    [FlushStrategy.adaptive(), { TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'adaptive' }],
    [FlushStrategy.endOfInvocation(), { TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'end-of-invocation' }],
    [
      FlushStrategy.periodically(Duration.seconds(10)),
      { TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'periodically', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '10000' },
    ],
    [
      FlushStrategy.continuously(Duration.millis(500)),
      { TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '500' },
    ],
  ])('flush strategy %#', (flushStrategy, expected) => {
    const telemetry = new TelemetryExtensionLayer(newStack(), 'Telemetry', { flushStrategy });
    expect(telemetry.environment).toMatchObject(expected);
    if (!('TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS' in expected)) {
      expect(telemetry.environment).not.toHaveProperty('TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS');
    }
  });

  test('OTLP sink with every option', () => {
    const stack = newStack();
    const secret = new secretsmanager.Secret(stack, 'Headers');
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      sink: TelemetrySink.otlp({
        endpoint: 'https://otel.example.com:4318',
        protocol: OtlpProtocol.HTTP_JSON,
        headers: { 'x-tenant': 'blue' },
        headersSecret: secret,
        compression: ExportCompression.NONE,
        timeout: Duration.seconds(2),
        serviceName: 'checkout',
      }),
    });
    telemetry.attachTo(nodeFunction(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TELEMETRY_EXTENSION_SINK: 'otlp',
          TELEMETRY_EXTENSION_SINK_ENDPOINT: 'https://otel.example.com:4318',
          TELEMETRY_EXTENSION_SINK_PROTOCOL: 'http/json',
          TELEMETRY_EXTENSION_SINK_HEADERS: '{"x-tenant":"blue"}',
          TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN: { Ref: Match.stringLikeRegexp('^Headers') },
          TELEMETRY_EXTENSION_SINK_COMPRESSION: 'none',
          TELEMETRY_EXTENSION_SINK_TIMEOUT_MS: '2000',
          TELEMETRY_EXTENSION_SERVICE_NAME: 'checkout',
        }),
      },
    });
  });

  test('OTLP sink defaults: protobuf, gzip, 5 s timeout', () => {
    const telemetry = new TelemetryExtensionLayer(newStack(), 'Telemetry', {
      sink: TelemetrySink.otlp({ endpoint: 'http://collector:4318' }),
    });
    expect(telemetry.environment).toMatchObject({
      TELEMETRY_EXTENSION_SINK: 'otlp',
      TELEMETRY_EXTENSION_SINK_PROTOCOL: 'http/protobuf',
      TELEMETRY_EXTENSION_SINK_COMPRESSION: 'gzip',
      TELEMETRY_EXTENSION_SINK_TIMEOUT_MS: '5000',
    });
    expect(telemetry.environment).not.toHaveProperty('TELEMETRY_EXTENSION_SERVICE_NAME');
    expect(telemetry.environment).not.toHaveProperty('TELEMETRY_EXTENSION_SINK_HEADERS');
  });

  test('HTTP sink', () => {
    const telemetry = new TelemetryExtensionLayer(newStack(), 'Telemetry', {
      sink: TelemetrySink.http({ url: 'https://logs.example.com/ingest', compression: ExportCompression.NONE }),
    });
    expect(telemetry.environment).toMatchObject({
      TELEMETRY_EXTENSION_SINK: 'http',
      TELEMETRY_EXTENSION_SINK_ENDPOINT: 'https://logs.example.com/ingest',
      TELEMETRY_EXTENSION_SINK_COMPRESSION: 'none',
    });
    expect(telemetry.environment).not.toHaveProperty('TELEMETRY_EXTENSION_SINK_PROTOCOL');
  });

  test('a token-valued endpoint and header value pass through unvalidated, resolved at deploy time', () => {
    // GIVEN an endpoint known only at deploy time (e.g. from another stack or a parameter)
    const stack = newStack();
    const endpoint = new CfnParameter(stack, 'Endpoint').valueAsString;
    const tenant = new CfnParameter(stack, 'Tenant').valueAsString;
    // WHEN
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      sink: TelemetrySink.otlp({ endpoint, headers: { 'x-tenant': tenant } }),
    });
    telemetry.attachTo(nodeFunction(stack));
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TELEMETRY_EXTENSION_SINK_ENDPOINT: { Ref: 'Endpoint' },
          TELEMETRY_EXTENSION_SINK_HEADERS: { 'Fn::Join': ['', ['{"x-tenant":"', { Ref: 'Tenant' }, '"}']] },
        }),
      },
    });
  });

  test('a token-valued port is written as a token', () => {
    const stack = newStack();
    const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { port });
    telemetry.attachTo(nodeFunction(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TELEMETRY_EXTENSION_PORT: { Ref: 'Port' } }) },
    });
  });

  test('headersSecret is granted read to the function role', () => {
    // GIVEN
    const stack = newStack();
    const secret = new secretsmanager.Secret(stack, 'Headers');
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
      sink: TelemetrySink.otlp({ endpoint: 'https://otel.example.com', headersSecret: secret }),
    });
    // WHEN
    telemetry.attachTo(nodeFunction(stack));
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Effect: 'Allow',
            Resource: { Ref: Match.stringLikeRegexp('^Headers') },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^FnServiceRole') }],
    });
  });

  test.each([
    ['end-of-invocation', FlushStrategy.endOfInvocation()],
    ['adaptive', undefined],
  ])('a long buffering timeout with the %s strategy warns about billed waiting', (name, flushStrategy) => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', { flushStrategy, buffering: { timeout: Duration.seconds(5) } });
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Telemetry',
      Match.stringLikeRegexp(`buffering.timeout is 5 seconds: .* the ${name} flush strategy waits for it`),
    );
  });

  test('no such warning for a background strategy or a short timeout', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'A', { flushStrategy: FlushStrategy.continuously(Duration.seconds(1)), buffering: { timeout: Duration.seconds(5) } });
    new TelemetryExtensionLayer(stack, 'B', { buffering: { timeout: Duration.millis(500) } });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('buffering.timeout is'));
  });

  test('a stdout sink subscribed to function logs warns about duplicated log lines', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', { types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION] });
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Telemetry',
      Match.stringLikeRegexp('writes every function log line to CloudWatch Logs a second time'),
    );
  });
});
