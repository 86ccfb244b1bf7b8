/**
 * cloudWatchLogsIngestion: STOP adds an explicit Deny of CreateLogGroup / CreateLogStream /
 * PutLogEvents on the function's own log group to its role (in a policy of its own, so that the
 * function does not depend on it); KEEP (the default) changes nothing; the combinations that would
 * lose logs or block the extension are a warning or an error.
 */
import { Aspects, AspectPriority, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { newStack, nodeFunction } from './helpers';
import {
  CloudWatchLogsIngestion,
  CloudWatchSignal,
  TelemetryAttachAspect,
  TelemetryExtensionLayer,
  TelemetryExtensionLayerProps,
  TelemetrySink,
  TelemetryType,
} from '../../lib';

const PARTITION = { Ref: 'AWS::Partition' };
const ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
const PREFIX = ':logs:eu-west-1:123456789012:log-group:';

function stopProps(extra: Partial<TelemetryExtensionLayerProps> = {}): TelemetryExtensionLayerProps {
  return {
    types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
    sink: TelemetrySink.otlp({ endpoint: 'https://otel.example.com' }),
    cloudWatchLogsIngestion: CloudWatchLogsIngestion.STOP,
    ...extra,
  };
}

/** The Deny statement's resources for a group whose name is `parts` (literals and tokens). */
function denied(...parts: unknown[]) {
  const join = (suffix: string[]) => ({ 'Fn::Join': ['', ['arn:', PARTITION, ...merge([PREFIX, ...parts, ...suffix])]] });
  return [join([]), join([':*'])];
}

/** Adjacent literals joined, as CDK does. */
function merge(parts: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const part of parts) {
    if (typeof part === 'string' && typeof out[out.length - 1] === 'string') out[out.length - 1] += part;
    else if (part !== '') out.push(part);
  }
  return out;
}

function denyPolicies(template: Template): Record<string, any> {
  return Object.fromEntries(
    Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, r]) =>
      (r as any).Properties.PolicyDocument.Statement.some((s: any) => s.Effect === 'Deny'),
    ),
  );
}

describe('cloudWatchLogsIngestion STOP', () => {
  test('an explicit Deny on /aws/lambda/<function name> in the function\'s role, in a policy of its own', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps());
    telemetry.attachTo(nodeFunction(stack));
    const template = Template.fromStack(stack);
    const policies = denyPolicies(template);
    expect(Object.keys(policies)).toEqual([expect.stringMatching(/^FnTelemetryLogsIngestionStop/)]);
    const [policy] = Object.values(policies);
    expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^FnServiceRole/) }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Action: ACTIONS, Effect: 'Deny', Resource: denied('/aws/lambda/', { Ref: expect.stringMatching(/^Fn9270CBC0$/) }) },
    ]);
  });

  test('the function does not depend on the Deny policy (which names the function: no cycle)', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', stopProps()).attachTo(nodeFunction(stack));
    const template = Template.fromStack(stack);
    const [policyId] = Object.keys(denyPolicies(template));
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
    expect(fn.DependsOn ?? []).not.toContain(policyId);
  });

  test('a literal function name gives a literal log group', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', stopProps()).attachTo(nodeFunction(stack, 'Fn', { functionName: 'orders' }));
    const [policy] = Object.values(denyPolicies(Template.fromStack(stack)));
    expect(policy.Properties.PolicyDocument.Statement[0].Resource).toEqual(denied('/aws/lambda/orders'));
  });

  test('the function\'s loggingConfig log group when it has one', () => {
    const stack = newStack();
    const group = new logs.LogGroup(stack, 'FnLogs', { logGroupName: '/custom/orders' });
    new TelemetryExtensionLayer(stack, 'Telemetry', stopProps()).attachTo(nodeFunction(stack, 'Fn', { logGroup: group }));
    const [policy] = Object.values(denyPolicies(Template.fromStack(stack)));
    expect(policy.Properties.PolicyDocument.Statement[0].Resource).toEqual(denied({ Ref: expect.stringMatching(/^FnLogs/) }));
  });

  test('two functions sharing a role: each denies only its own group', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'Shared', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps());
    telemetry.attachTo(nodeFunction(stack, 'A', { role, functionName: 'a' }));
    telemetry.attachTo(nodeFunction(stack, 'B', { role, functionName: 'b' }));
    const resources = Object.values(denyPolicies(Template.fromStack(stack))).map((p) => p.Properties.PolicyDocument.Statement[0].Resource);
    expect(resources).toEqual([denied('/aws/lambda/a'), denied('/aws/lambda/b')]);
  });

  test('attachToAll adds the Deny too, and a SingletonFunction gets one policy', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps());
    nodeFunction(stack, 'Fn', { functionName: 'orders' });
    new lambda.SingletonFunction(stack, 'Single', {
      uuid: 'b7d2c8a0-0c44-4b5a-9d1b-3e2f4a5b6c7d',
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      functionName: 'single',
    });
    telemetry.attachToAll(stack);
    const resources = Object.values(denyPolicies(Template.fromStack(stack))).map((p) => p.Properties.PolicyDocument.Statement[0].Resource);
    expect(resources).toEqual(expect.arrayContaining([denied('/aws/lambda/orders'), denied('/aws/lambda/single')]));
    expect(resources).toHaveLength(2);
  });

  test('with the CloudWatch sink: the OTLP logs go to another group, which keeps its Allow', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps({ sink: TelemetrySink.cloudWatch({ signals: [CloudWatchSignal.LOGS] }) }));
    telemetry.attachTo(nodeFunction(stack, 'Fn', { functionName: 'orders' }));
    const template = Template.fromStack(stack);
    const [deny] = Object.values(denyPolicies(template));
    expect(deny.Properties.PolicyDocument.Statement[0].Resource).toEqual(denied('/aws/lambda/orders'));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'logs:PutLogEvents', Effect: 'Allow' })]) },
    });
  });

  test('without TelemetryType.FUNCTION: a warning (the logs would be lost), the Deny is still added', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps({ types: [TelemetryType.PLATFORM] }));
    telemetry.attachTo(nodeFunction(stack));
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Telemetry',
      'cloudWatchLogsIngestion is STOP but types does not include TelemetryType.FUNCTION (got ["platform"]): the function\'s log lines would reach neither CloudWatch Logs nor the sink and be lost. Add TelemetryType.FUNCTION to types, or use CloudWatchLogsIngestion.KEEP. [ack: cdk-telemetry-extension:logsIngestionStoppedWithoutFunctionLogs]',
    );
    expect(Object.keys(denyPolicies(Template.fromStack(stack)))).toHaveLength(1);
  });

  test('the default types (platform only) warn as well', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', stopProps({ types: undefined }));
    Annotations.fromStack(stack).hasWarning('/TestStack/Telemetry', Match.stringLikeRegexp('types does not include TelemetryType.FUNCTION \\(got \\["platform"\\]\\)'));
  });

  test('with TelemetryType.FUNCTION: no warning', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', stopProps()).attachTo(nodeFunction(stack));
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('with the stdout sink (which writes into the function\'s log group): an error', () => {
    expect(() => new TelemetryExtensionLayer(newStack(), 'Telemetry', stopProps({ sink: undefined }))).toThrow(
      'cloudWatchLogsIngestion STOP denies writing to the function\'s own log group, where the stdout sink writes: nothing would be kept; use TelemetrySink.cloudWatch(), otlp() or http() as the sink, or CloudWatchLogsIngestion.KEEP (`cloud_watch_logs_ingestion` in Python)',
    );
  });

  test.each([
    ['the same ILogGroup', (stack: Stack) => {
      const group = new logs.LogGroup(stack, 'Shared');
      return { sinkGroup: group, fnProps: { logGroup: group } };
    }, '{"Ref":"Shared<hash>"}'],
    ['/aws/lambda/<name> by name', (stack: Stack) => ({
      sinkGroup: logs.LogGroup.fromLogGroupName(stack, 'ByName', '/aws/lambda/orders'),
      fnProps: { functionName: 'orders' },
    }), '"/aws/lambda/orders"'],
  ])('the sink\'s OTLP log group is the function\'s own group (%s): an error', (_name, setup, shown) => {
    const stack = newStack();
    const { sinkGroup, fnProps } = setup(stack);
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps({ sink: TelemetrySink.cloudWatch({ logGroup: sinkGroup }) }));
    let message = 'did not throw';
    try {
      telemetry.attachTo(nodeFunction(stack, 'Fn', fnProps));
    } catch (e) {
      message = (e as Error).message.replace(/Shared[0-9A-F]{8}/, 'Shared<hash>');
    }
    expect(message).toBe(
      `cloudWatchLogsIngestion STOP denies writing to the function's own log group ${shown}, which is also the sink's logGroup: the extension could not write its OTLP logs either; give TelemetrySink.cloudWatch() another logGroup (or none, for one the construct creates), or use CloudWatchLogsIngestion.KEEP (\`log_group\`, \`cloud_watch_logs_ingestion\` in Python)`,
    );
  });

  test.each([
    ['immutable', false],
    ['mutable', true],
  ])('an imported (%s) role: a warning, no Deny', (_name, mutable) => {
    const stack = newStack();
    const role = iam.Role.fromRoleArn(stack, 'Imported', 'arn:aws:iam::123456789012:role/shared', { mutable });
    new TelemetryExtensionLayer(stack, 'Telemetry', stopProps()).attachTo(nodeFunction(stack, 'Fn', { role, functionName: 'orders' }));
    expect(denyPolicies(Template.fromStack(stack))).toEqual({});
    Annotations.fromStack(stack).hasWarning(
      '/TestStack/Fn',
      'cloudWatchLogsIngestion is STOP, but the function\'s role arn:aws:iam::123456789012:role/shared is not defined in this app, so no Deny was added and CloudWatch Logs keeps ingesting its log group /aws/lambda/orders. Deny logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents on arn:<partition>:logs:<region>:<account>:log-group:/aws/lambda/orders and :log-group:/aws/lambda/orders:* in that role yourself. [ack: cdk-telemetry-extension:logsIngestionNotStopped]',
    );
  });

  test('an unknown value is refused', () => {
    expect(() => new TelemetryExtensionLayer(newStack(), 'Telemetry', stopProps({ cloudWatchLogsIngestion: 'OFF' as CloudWatchLogsIngestion }))).toThrow(
      'cloudWatchLogsIngestion must be KEEP or STOP (a CloudWatchLogsIngestion), got "OFF" (`cloud_watch_logs_ingestion` in Python)',
    );
  });
});

describe.each([
  ['KEEP', CloudWatchLogsIngestion.KEEP],
  ['the default', undefined],
])('cloudWatchLogsIngestion %s', (_name, cloudWatchLogsIngestion) => {
  test('no Deny, no warning, even with the stdout sink and no function logs', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { cloudWatchLogsIngestion });
    telemetry.attachTo(nodeFunction(stack));
    expect(denyPolicies(Template.fromStack(stack))).toEqual({});
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cloudWatchLogsIngestion'))).toEqual([]);
  });
});

test('the aspect added by hand applies STOP as attachToAll does', () => {
  const stack = newStack();
  const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', stopProps());
  nodeFunction(stack, 'Fn', { functionName: 'orders' });
  Aspects.of(stack).add(new TelemetryAttachAspect(telemetry), { priority: AspectPriority.MUTATING });
  const [policy] = Object.values(denyPolicies(Template.fromStack(stack)));
  expect(policy.Properties.PolicyDocument.Statement[0].Resource).toEqual(denied('/aws/lambda/orders'));
});
