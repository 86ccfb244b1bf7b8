/**
 * `headersParameter` on the otlp and http sinks: the parameter's ARN in the environment,
 * `ssm:GetParameter` on exactly that parameter, `kms:Decrypt` on a customer managed key, and the
 * combinations that make no sense refused with the prop and the value.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { newStack, nodeFunction } from './helpers';
import { HttpSinkOptions, OtlpSinkOptions, TelemetryExtensionLayer, TelemetrySink } from '../../lib';
import { ENV } from '../../lib/config/contract';

const PARAMETER_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/otlp/headers';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

type Extra = Partial<OtlpSinkOptions & HttpSinkOptions>;
const SINKS: Array<[string, (extra: Extra) => TelemetrySink]> = [
  ['otlp', (extra) => TelemetrySink.otlp({ endpoint: 'https://otel.example.com', ...extra })],
  ['http', (extra) => TelemetrySink.http({ url: 'https://logs.example.com/in', ...extra })],
];

function attached(sink: (stack: Stack) => TelemetrySink) {
  const stack = newStack();
  const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: sink(stack) });
  telemetry.attachTo(nodeFunction(stack));
  return { stack, telemetry, template: Template.fromStack(stack) };
}

function roleStatements(template: Template): unknown[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const defaults = Object.entries(policies).filter(([id]) => id.startsWith('FnServiceRoleDefaultPolicy'));
  expect(defaults).toHaveLength(1);
  return (defaults[0][1] as any).Properties.PolicyDocument.Statement;
}

describe.each(SINKS)('the %s sink with headersParameter', (_name, sinkWith) => {
  test('the ARN goes into the environment, and the role gets ssm:GetParameter on it and nothing else', () => {
    const { telemetry, template } = attached((stack) =>
      sinkWith({ headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', PARAMETER_ARN) }),
    );
    expect(telemetry.environment[ENV.SINK_HEADERS_PARAMETER]).toBe(PARAMETER_ARN);
    expect(telemetry.environment[ENV.SINK_HEADERS_SECRET_ARN]).toBeUndefined();
    expect(roleStatements(template)).toEqual([{ Action: 'ssm:GetParameter', Effect: 'Allow', Resource: PARAMETER_ARN }]);
  });

  test('a parameter imported by name: its ARN in the stack\'s partition, region and account', () => {
    const { stack, telemetry, template } = attached((s) =>
      sinkWith({ headersParameter: ssm.StringParameter.fromSecureStringParameterAttributes(s, 'P', { parameterName: '/otlp/headers' }) }),
    );
    const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1:123456789012:parameter/otlp/headers']] };
    expect(stack.resolve(telemetry.environment[ENV.SINK_HEADERS_PARAMETER])).toEqual(arn);
    expect(roleStatements(template)).toEqual([{ Action: 'ssm:GetParameter', Effect: 'Allow', Resource: arn }]);
  });

  test('headersParameterKey: kms:Decrypt on that key as well', () => {
    const { template } = attached((stack) =>
      sinkWith({
        headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', PARAMETER_ARN),
        headersParameterKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN),
      }),
    );
    expect(roleStatements(template)).toEqual([
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: PARAMETER_ARN },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN },
    ]);
  });

  test('a parameter imported with its encryptionKey: kms:Decrypt on that key with no headersParameterKey', () => {
    const { template } = attached((stack) =>
      sinkWith({
        headersParameter: ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'P', {
          parameterName: 'otlp-headers',
          encryptionKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN),
        }),
      }),
    );
    expect(roleStatements(template)).toEqual([
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1:123456789012:parameter/otlp-headers']] } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN },
    ]);
  });

  test('a key created in the stack is granted by its ARN', () => {
    const { template } = attached((stack) =>
      sinkWith({ headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', PARAMETER_ARN), headersParameterKey: new kms.Key(stack, 'Key') }),
    );
    expect(roleStatements(template)).toEqual([
      { Action: 'ssm:GetParameter', Effect: 'Allow', Resource: PARAMETER_ARN },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } },
    ]);
  });

  test('headersParameterKey without headersParameter is refused', () => {
    expect(() => attached((stack) => sinkWith({ headersParameterKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN) }))).toThrow(
      `sink headersParameterKey is set (${KEY_ARN}) but headersParameter is not: the key only decrypts the headers parameter; pass the SecureString parameter as headersParameter, or drop headersParameterKey (\`headers_parameter_key\` in Python)`,
    );
  });

  test('headersSecret and headersParameter together are refused', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:h-AbCdEf';
    expect(() =>
      attached((stack) =>
        sinkWith({
          headersSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'S', secretArn),
          headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', PARAMETER_ARN),
        }),
      ),
    ).toThrow(
      `sink headersSecret and headersParameter are both set (${secretArn} and ${PARAMETER_ARN}): the header credentials come from one place; keep one of them (\`headers_secret\` / \`headers_parameter\` in Python)`,
    );
  });

  test('a plain String parameter created in the app is refused (its value sits in the template)', () => {
    expect(() => attached((stack) => sinkWith({ headersParameter: new ssm.StringParameter(stack, 'Plain', { stringValue: '{"authorization":"x"}' }) }))).toThrow(
      'sink headersParameter must be a SecureString parameter, got the String parameter TestStack/Plain, whose value sits in plain text in the template; create a SecureString outside CloudFormation and import it with StringParameter.fromSecureStringParameterAttributes (`from_secure_string_parameter_attributes` in Python) (`headers_parameter` in Python)',
    );
  });

  test('a literal ARN that is not an SSM parameter ARN is refused, as the extension would', () => {
    const wrong = 'arn:aws:ssm:eu-west-1:1234:parameter/x';
    expect(() => attached((stack) => sinkWith({ headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', wrong) }))).toThrow(
      `sink headersParameter must be an SSM parameter with an ARN of the form arn:aws:ssm:<region>:<account>:parameter/<name>, got "${wrong}" (\`headers_parameter\` in Python)`,
    );
  });
});

test('a function with an imported role gets a warning that names every grant it needs (an immutable import drops them)', () => {
  const stack = newStack();
  const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
    sink: TelemetrySink.otlp({
      endpoint: 'https://otel.example.com',
      headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', PARAMETER_ARN),
      headersParameterKey: kms.Key.fromKeyArn(stack, 'K', KEY_ARN),
    }),
  });
  const fn = nodeFunction(stack, 'Fn', { role: iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/fixed', { mutable: false }) });
  telemetry.attachTo(fn);
  // An immutable imported role takes no statements: nothing is added to the template, the warning says what to grant.
  Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  Annotations.fromStack(stack).hasWarning(
    '/TestStack/Fn',
    `The function's role arn:aws:iam::123456789012:role/fixed is imported: imported as mutable it gets the sink's statements in a policy of this stack, imported with mutable: false it drops them silently; then grant it ssm:GetParameter on ${PARAMETER_ARN}; kms:Decrypt on ${KEY_ARN} yourself. [ack: cdk-telemetry-extension:importedRole]`,
  );
});

test('a function with an owned role gets no warning', () => {
  const stack = newStack();
  const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
    sink: TelemetrySink.otlp({ endpoint: 'https://otel.example.com', headersParameter: ssm.StringParameter.fromStringParameterArn(stack, 'P', PARAMETER_ARN) }),
  });
  telemetry.attachTo(nodeFunction(stack));
  expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
});
