import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { newStack, nodeFunction } from './helpers';
import { OtlpReceiver, TelemetryExtensionLayer, TelemetryExtensionLayerProps, TelemetrySink } from '../../lib';

const OTLP = TelemetrySink.otlp({ endpoint: 'https://otel.example.com' });
const RECEIVER_KEYS = ['TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL'];

/** The environment variables of the only function in the stack, as the template says. */
function variablesOf(stack: Stack): { [key: string]: unknown } {
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
  expect(functions).toHaveLength(1);
  return functions[0].Properties.Environment.Variables;
}

/** The warnings on `path`, as `message [ack: id]`. */
function warningsOn(stack: Stack, path: string): string[] {
  return Annotations.fromStack(stack).findWarning(path, Match.anyValue()).map((m) => String(m.entry.data));
}

function attached(props: TelemetryExtensionLayerProps, environment?: { [key: string]: string }): Stack {
  const stack = newStack();
  new TelemetryExtensionLayer(stack, 'Telemetry', props).attachTo(nodeFunction(stack, 'Fn', { environment }));
  return stack;
}

describe('otlpReceiver', () => {
  test('on by default with the OTLP sink: port 4318, and the function\'s SDK pointed at it', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: OTLP });
    telemetry.attachTo(nodeFunction(stack));
    const expected = {
      TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: '4318',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    };
    expect(variablesOf(stack)).toMatchObject(expected);
    // For wiring by hand, too.
    expect(telemetry.environment).toMatchObject(expected);
    expect(warningsOn(stack, '/TestStack/Fn')).toEqual([]);
  });

  test.each<[string, TelemetrySink | undefined]>([
    ['the default (stdout) sink', undefined],
    ['the stdout sink', TelemetrySink.stdout()],
    ['the HTTP sink', TelemetrySink.http({ url: 'https://logs.example.com/ingest' })],
  ])('off by default with %s: no receiver port, no OTEL_ variable', (_name, sink) => {
    const stack = attached({ sink });
    const variables = variablesOf(stack);
    for (const key of RECEIVER_KEYS) expect(variables).not.toHaveProperty(key);
  });

  test.each<[string, TelemetrySink | undefined]>([
    ['the default (stdout) sink', undefined],
    ['the HTTP sink', TelemetrySink.http({ url: 'https://logs.example.com/ingest' })],
  ])('http() with %s, on another port', (_name, sink) => {
    const stack = attached({ sink, otlpReceiver: OtlpReceiver.http({ port: 4319 }) });
    expect(variablesOf(stack)).toMatchObject({
      TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: '4319',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4319',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
  });

  test('disabled() with the OTLP sink: no receiver, the function\'s environment untouched', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: OTLP, otlpReceiver: OtlpReceiver.disabled() });
    telemetry.attachTo(nodeFunction(stack));
    for (const key of RECEIVER_KEYS) {
      expect(variablesOf(stack)).not.toHaveProperty(key);
      expect(telemetry.environment).not.toHaveProperty(key);
    }
  });

  test.each([80, 1023, 65536, 9001, 4318.5, -1])('refuses port %p, naming the prop in both spellings', (port) => {
    expect(() => new TelemetryExtensionLayer(newStack(), 'Telemetry', { otlpReceiver: OtlpReceiver.http({ port }) })).toThrow(
      `otlpReceiver port must be an integer from 1024 to 65535 other than 9001 (the Lambda Runtime API's port), got ${port} (\`otlp_receiver port\` in Python)`,
    );
  });

  test.each([1024, 65535, 4317])('accepts port %p', (port) => {
    const stack = attached({ otlpReceiver: OtlpReceiver.http({ port }) });
    expect(variablesOf(stack)).toMatchObject({ TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: String(port) });
  });

  test.each<[string, TelemetryExtensionLayerProps]>([
    ['an explicit receiver on the listener\'s port', { port: 5000, otlpReceiver: OtlpReceiver.http({ port: 5000 }) }],
    ['the default receiver and a listener on 4318', { port: 4318, sink: OTLP }],
    ['a receiver on the default listener port', { otlpReceiver: OtlpReceiver.http({ port: 4243 }) }],
  ])('refuses the same port for both listeners: %s', (_name, props) => {
    const port = props.port ?? 4243;
    expect(() => new TelemetryExtensionLayer(newStack(), 'Telemetry', props)).toThrow(
      `otlpReceiver port must differ from port, the Telemetry API listener's, but both are ${port}: give OtlpReceiver.http() another port, or the layer another port (\`otlp_receiver port\` in Python)`,
    );
  });

  test('a token-valued port is written as a token, in the SDK\'s endpoint too', () => {
    const stack = newStack();
    const port = new CfnParameter(stack, 'ReceiverPort', { type: 'Number' }).valueAsNumber;
    new TelemetryExtensionLayer(stack, 'Telemetry', { otlpReceiver: OtlpReceiver.http({ port }) }).attachTo(nodeFunction(stack));
    expect(variablesOf(stack)).toMatchObject({
      TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: { Ref: 'ReceiverPort' },
      OTEL_EXPORTER_OTLP_ENDPOINT: { 'Fn::Join': ['', ['http://localhost:', { Ref: 'ReceiverPort' }]] },
    });
  });

  test('a receiver port the function already sets to another value fails attachTo, like every TELEMETRY_EXTENSION_ variable', () => {
    const stack = newStack();
    const fn = nodeFunction(stack, 'Fn', { environment: { TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: '4320' } });
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: OTLP });
    expect(() => telemetry.attachTo(fn)).toThrow(
      'Cannot attach TestStack/Telemetry to TestStack/Fn: the function already sets TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT to "4320", and this layer\'s configuration sets it to "4318"',
    );
  });

  describe('the function\'s own OTEL_EXPORTER_OTLP_ variables are kept', () => {
    test.each([
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'https://collector.example.com:4318', 'OTEL_EXPORTER_OTLP_PROTOCOL'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    ])('%s=%s: kept, the other one not set (they go together), and a warning says so', (key, value, other) => {
      const stack = attached({ sink: OTLP }, { [key]: value });
      const variables = variablesOf(stack);
      expect(variables[key]).toBe(value);
      expect(variables).not.toHaveProperty(other);
      // The extension's receiver still runs (other functions of the layer may use it).
      expect(variables.TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT).toBe('4318');
      expect(warningsOn(stack, '/TestStack/Fn')).toEqual([
        `The function already sets ${key}="${value}": kept; its OpenTelemetry SDK exports where they say, not to the OTLP receiver of TestStack/Telemetry ("http://localhost:4318"), and neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_PROTOCOL was set. Remove it to send the function's telemetry through the extension, or use OtlpReceiver.disabled() for the otlpReceiver prop (\`otlp_receiver\` in Python) if the function exports elsewhere on purpose. [ack: cdk-telemetry-extension:otelExporterKept]`,
      ]);
    });

    test('both set: both kept, one warning naming both', () => {
      const stack = attached({ sink: OTLP }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
      expect(variablesOf(stack)).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
      const warnings = warningsOn(stack, '/TestStack/Fn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^The function already sets OTEL_EXPORTER_OTLP_ENDPOINT="http:\/\/localhost:4317", OTEL_EXPORTER_OTLP_PROTOCOL="grpc": kept; .* Remove them /);
    });

    test('the receiver\'s own values: nothing to warn about, the missing one is set', () => {
      const stack = attached({ sink: OTLP }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' });
      expect(variablesOf(stack)).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
      expect(warningsOn(stack, '/TestStack/Fn')).toEqual([]);
    });

    test('a per-signal variable: kept and named, the general ones set for the other signals', () => {
      const stack = attached({ sink: OTLP }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces' });
      expect(variablesOf(stack)).toMatchObject({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
      expect(warningsOn(stack, '/TestStack/Fn')).toEqual([
        'The function already sets OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="https://traces.example.com/v1/traces": kept; per-signal variables take precedence, so those signals do not go to the OTLP receiver of TestStack/Telemetry ("http://localhost:4318"). Remove it to send the function\'s telemetry through the extension, or use OtlpReceiver.disabled() for the otlpReceiver prop (`otlp_receiver` in Python) if the function exports elsewhere on purpose. [ack: cdk-telemetry-extension:otelExporterKept]',
      ]);
    });

    test('attachToAll keeps them the same way', () => {
      const stack = newStack();
      new TelemetryExtensionLayer(stack, 'Telemetry', { sink: OTLP }).attachToAll(stack);
      nodeFunction(stack, 'Fn', { environment: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com' } });
      const variables = variablesOf(stack);
      expect(variables.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('https://collector.example.com');
      expect(variables).not.toHaveProperty('OTEL_EXPORTER_OTLP_PROTOCOL');
      expect(warningsOn(stack, '/TestStack/Fn')).toEqual([expect.stringContaining('[ack: cdk-telemetry-extension:otelExporterKept]')]);
    });

    test('a SingletonFunction\'s variables are read from its function', () => {
      const stack = newStack();
      const fn = new lambda.SingletonFunction(stack, 'Singleton', {
        uuid: 'f7d4f730-4ee1-11e8-9c2d-fa7ae01bbebc',
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
        environment: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      });
      new TelemetryExtensionLayer(stack, 'Telemetry', { sink: OTLP }).attachTo(fn);
      expect(variablesOf(stack).OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/json');
      expect(variablesOf(stack)).not.toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT');
      expect(warningsOn(stack, '/TestStack/Singleton')).toHaveLength(1);
    });
  });
});
