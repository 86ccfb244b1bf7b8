/**
 * TelemetrySink.cloudWatch(): the environment entries of the contract, the log group the layer
 * creates, the grants of each signal statement by statement (least privilege), the account
 * prerequisites as info annotations, and every invalid option refused with its prop and value.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { newStack, nodeFunction } from './helpers';
import {
  CloudWatchSignal,
  CloudWatchSinkOptions,
  ExportCompression,
  OtlpProtocol,
  TelemetryExtensionLayer,
  TelemetrySink,
  TelemetryType,
} from '../../lib';
import { ENV } from '../../lib/config/contract';

const PARTITION = { Ref: 'AWS::Partition' };
/** The log group the layer creates: for `toEqual`, and for the template matchers. */
const CREATED_GROUP = { Ref: expect.stringMatching(/^TelemetryOtlpLogs/) };
const CREATED_GROUP_MATCH = { Ref: Match.stringLikeRegexp('^TelemetryOtlpLogs') };

function attachedStack(options?: CloudWatchSinkOptions, optionsFor: (stack: Stack) => CloudWatchSinkOptions | undefined = () => options) {
  const stack = newStack();
  const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', {
    types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
    sink: TelemetrySink.cloudWatch(optionsFor(stack)),
  });
  telemetry.attachTo(nodeFunction(stack));
  return { stack, telemetry, template: Template.fromStack(stack) };
}

/** The statements of the function role's default policy, in order. */
function roleStatements(template: Template): unknown[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^FnServiceRole') }] } });
  const defaults = Object.entries(policies).filter(([id]) => id.startsWith('FnServiceRoleDefaultPolicy'));
  if (defaults.length === 0) return [];
  expect(defaults).toHaveLength(1);
  return (defaults[0][1] as any).Properties.PolicyDocument.Statement;
}

function logsArn(group: unknown, suffix: string): { 'Fn::Join': [string, unknown[]] } {
  return { 'Fn::Join': ['', ['arn:', PARTITION, ':logs:eu-west-1:123456789012:log-group:', group, suffix]] };
}

const TRACES_GRANT = { Action: 'xray:PutTraceSegments', Effect: 'Allow', Resource: '*' };
const METRICS_GRANT = { Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*' };
const logsGrants = (group: unknown) => [
  { Action: 'logs:CreateLogStream', Effect: 'Allow', Resource: logsArn(group, ':*') },
  { Action: 'logs:PutLogEvents', Effect: 'Allow', Resource: logsArn(group, ':log-stream:*') },
];

describe('TelemetrySink.cloudWatch: environment', () => {
  test('defaults: every signal, a created log group, the otlp sink defaults', () => {
    const { stack, telemetry } = attachedStack();
    expect(Object.fromEntries(Object.entries(telemetry.environment).filter(([k]) => /SINK|CLOUDWATCH|SERVICE/.test(k)))).toEqual({
      [ENV.SINK]: 'cloudwatch',
      [ENV.CLOUDWATCH_SIGNALS]: 'traces,logs,metrics',
      [ENV.CLOUDWATCH_LOG_GROUP]: expect.any(String),
      [ENV.SINK_PROTOCOL]: 'http/protobuf',
      [ENV.SINK_COMPRESSION]: 'gzip',
      [ENV.SINK_TIMEOUT_MS]: '5000',
    });
    expect(stack.resolve(telemetry.environment[ENV.CLOUDWATCH_LOG_GROUP])).toEqual({ Ref: expect.stringMatching(/^TelemetryOtlpLogs/) });
  });

  test('every option, the signals in the contract order whatever the order given', () => {
    const { telemetry } = attachedStack({
      signals: [CloudWatchSignal.METRICS, CloudWatchSignal.LOGS],
      logGroup: undefined,
      logStreamPrefix: 'orders/',
      endpoint: 'https://vpce-123.logs.eu-west-1.vpce.amazonaws.com',
      protocol: OtlpProtocol.HTTP_JSON,
      compression: ExportCompression.NONE,
      timeout: Duration.seconds(9),
      serviceName: 'orders',
    });
    expect(telemetry.environment).toMatchObject({
      [ENV.SINK]: 'cloudwatch',
      [ENV.CLOUDWATCH_SIGNALS]: 'logs,metrics',
      [ENV.CLOUDWATCH_LOG_STREAM_PREFIX]: 'orders/',
      [ENV.CLOUDWATCH_ENDPOINT]: 'https://vpce-123.logs.eu-west-1.vpce.amazonaws.com',
      [ENV.SINK_PROTOCOL]: 'http/json',
      [ENV.SINK_COMPRESSION]: 'none',
      [ENV.SINK_TIMEOUT_MS]: '9000',
      [ENV.SERVICE_NAME]: 'orders',
    });
    expect(telemetry.environment[ENV.SINK_ENDPOINT]).toBeUndefined();
  });

  test('without logs: no log group is created and none is named', () => {
    const { telemetry, template } = attachedStack({ signals: [CloudWatchSignal.TRACES, CloudWatchSignal.METRICS] });
    expect(telemetry.environment[ENV.CLOUDWATCH_LOG_GROUP]).toBeUndefined();
    expect(telemetry.environment[ENV.CLOUDWATCH_SIGNALS]).toBe('traces,metrics');
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
  });

  test('the environment reaches the function', () => {
    const { template } = attachedStack({ signals: [CloudWatchSignal.LOGS], logStreamPrefix: 'p-' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.SINK]: 'cloudwatch',
          [ENV.CLOUDWATCH_SIGNALS]: 'logs',
          [ENV.CLOUDWATCH_LOG_GROUP]: CREATED_GROUP_MATCH,
          [ENV.CLOUDWATCH_LOG_STREAM_PREFIX]: 'p-',
        }),
      },
    });
  });
});

describe('TelemetrySink.cloudWatch: the log group', () => {
  test('created by the layer with one month of retention by default', () => {
    const { template } = attachedStack();
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
  });

  test('logRetention sets the created group\'s retention', () => {
    const { template } = attachedStack({ logRetention: logs.RetentionDays.TWO_WEEKS });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  test('a given log group is used as it is: no group created, its name in the environment, the grants on it', () => {
    const { telemetry, template, stack } = attachedStack(undefined, (s) => ({
      logGroup: logs.LogGroup.fromLogGroupName(s, 'Mine', '/otlp/orders'),
    }));
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    expect(stack.resolve(telemetry.environment[ENV.CLOUDWATCH_LOG_GROUP])).toBe('/otlp/orders');
    expect(roleStatements(template)).toEqual([TRACES_GRANT, ...logsGrants('/otlp/orders').map((g) => ({ ...g, Resource: flatten(g.Resource) })), METRICS_GRANT]);
  });

  test('a log group imported by ARN of the same account and region: its name, the grants on it', () => {
    const { telemetry, template, stack } = attachedStack(undefined, (s) => ({
      signals: [CloudWatchSignal.LOGS],
      logGroup: logs.LogGroup.fromLogGroupArn(s, 'Mine', 'arn:aws:logs:eu-west-1:123456789012:log-group:/shared/otlp:*'),
    }));
    expect(stack.resolve(telemetry.environment[ENV.CLOUDWATCH_LOG_GROUP])).toBe('/shared/otlp');
    expect(roleStatements(template)).toEqual(logsGrants('/shared/otlp').map((g) => ({ ...g, Resource: flatten(g.Resource) })));
  });

  test.each([
    ['account', 'arn:aws:logs:eu-west-1:210987654321:log-group:/shared/otlp:*', '123456789012'],
    ['region', 'arn:aws:logs:us-east-1:123456789012:log-group:/shared/otlp:*', 'eu-west-1'],
  ])('a log group of another %s is refused (the endpoint writes to the caller\'s account in its region)', (what, arn, ours) => {
    const stack = newStack();
    const logGroup = logs.LogGroup.fromLogGroupArn(stack, 'Theirs', arn);
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.cloudWatch({ logGroup }) })).toThrow(
      `sink logGroup must be in the function's ${what} (${ours}): the OTLP logs endpoint writes to a log group of the caller's account in the endpoint's region, got ${arn}; use a log group of ${ours}, or none (for one the construct creates) (\`log_group\` in Python)`,
    );
  });
});

/** `Fn::Join` of literals only, as CloudFormation would join them (CDK joins adjacent literals itself). */
function flatten(join: { 'Fn::Join': [string, unknown[]] }) {
  const parts: unknown[] = [];
  for (const part of join['Fn::Join'][1]) {
    if (typeof part === 'string' && typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += part;
    else parts.push(part);
  }
  return { 'Fn::Join': ['', parts] };
}

describe('TelemetrySink.cloudWatch: grants, statement by statement', () => {
  test('every signal: PutTraceSegments, CreateLogStream and PutLogEvents on the group, PutMetricData; nothing else', () => {
    const { template } = attachedStack();
    expect(roleStatements(template)).toEqual([TRACES_GRANT, ...logsGrants(CREATED_GROUP), METRICS_GRANT]);
  });

  test.each([
    [[CloudWatchSignal.TRACES], [TRACES_GRANT]],
    [[CloudWatchSignal.METRICS], [METRICS_GRANT]],
    [[CloudWatchSignal.LOGS], logsGrants(CREATED_GROUP)],
    [[CloudWatchSignal.TRACES, CloudWatchSignal.METRICS], [TRACES_GRANT, METRICS_GRANT]],
  ])('signals %j get exactly their own grants', (signals, expected) => {
    const { template } = attachedStack({ signals });
    expect(roleStatements(template)).toEqual(expected);
  });

  test('the metrics grant has no cloudwatch:namespace condition (it would deny OTLP ingest)', () => {
    const { template } = attachedStack({ signals: [CloudWatchSignal.METRICS] });
    expect(JSON.stringify(roleStatements(template))).not.toContain('Condition');
  });

  test('every attached function gets the grants in its own role', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.cloudWatch({ signals: [CloudWatchSignal.TRACES] }) });
    telemetry.attachTo(nodeFunction(stack, 'A'));
    telemetry.attachTo(nodeFunction(stack, 'B'));
    const template = Template.fromStack(stack);
    for (const fn of ['A', 'B']) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: [TRACES_GRANT] },
        Roles: [{ Ref: Match.stringLikeRegexp(`^${fn}ServiceRole`) }],
      });
    }
  });
});

describe('TelemetrySink.cloudWatch: what the account must switch on, as info annotations', () => {
  const TRANSACTION_SEARCH = /X-Ray OTLP endpoint, which needs Transaction Search enabled .*Enable-TransactionSearch\.html/;
  const OTEL_METRICS = /enable OpenTelemetry metrics ingestion in the CloudWatch settings of the account/;

  test.each([
    [[CloudWatchSignal.TRACES, CloudWatchSignal.LOGS, CloudWatchSignal.METRICS], true, true],
    [[CloudWatchSignal.TRACES], true, false],
    [[CloudWatchSignal.METRICS], false, true],
    [[CloudWatchSignal.LOGS], false, false],
  ])('signals %j: Transaction Search %p, OpenTelemetry metrics %p', (signals, traces, metrics) => {
    const { stack } = attachedStack({ signals });
    const notes = Annotations.fromStack(stack).findInfo('/TestStack/Telemetry', Match.anyValue()).map((m) => String(m.entry.data));
    expect(notes.some((n) => TRANSACTION_SEARCH.test(n))).toBe(traces);
    expect(notes.some((n) => OTEL_METRICS.test(n))).toBe(metrics);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('TelemetrySink.cloudWatch: invalid options are refused with the prop and the value', () => {
  function synthWith(options: CloudWatchSinkOptions | ((stack: Stack) => CloudWatchSinkOptions)): () => void {
    return () => {
      const stack = newStack();
      new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.cloudWatch(typeof options === 'function' ? options(stack) : options) });
    };
  }

  test('no signals', () => {
    expect(synthWith({ signals: [] })).toThrow('sink signals must name at least one of traces, logs, metrics (a CloudWatchSignal), got []');
  });

  test('a repeated signal', () => {
    expect(synthWith({ signals: [CloudWatchSignal.LOGS, CloudWatchSignal.TRACES, CloudWatchSignal.LOGS] })).toThrow(
      'sink signals must not repeat a signal, got ["logs","traces","logs"] ("logs" twice)',
    );
  });

  test('an unknown signal', () => {
    expect(synthWith({ signals: ['profiles' as CloudWatchSignal] })).toThrow(
      'sink signals must hold only traces, logs, metrics (a CloudWatchSignal), got "profiles"',
    );
  });

  test('logRetention together with logGroup', () => {
    expect(synthWith((stack) => ({ logGroup: logs.LogGroup.fromLogGroupName(stack, 'G', 'g'), logRetention: logs.RetentionDays.ONE_WEEK }))).toThrow(
      'sink logRetention (7 days) only applies to the log group the construct creates, and logGroup is given: set the retention on your log group, or drop logGroup (`log_retention` in Python)',
    );
  });

  test.each([
    ['logGroup', (stack: Stack) => ({ logGroup: logs.LogGroup.fromLogGroupName(stack, 'G', 'g') }), 'log_group'],
    ['logRetention', () => ({ logRetention: logs.RetentionDays.ONE_WEEK }), 'log_retention'],
    ['logStreamPrefix', () => ({ logStreamPrefix: 'x' }), 'log_stream_prefix'],
  ])('%s without the logs signal', (prop, options, python) => {
    expect(synthWith((stack) => ({ signals: [CloudWatchSignal.TRACES], ...options(stack) }))).toThrow(
      `sink ${prop} is set but signals does not include CloudWatchSignal.LOGS: it only applies to OTLP logs; add LOGS to signals, or drop ${prop} (\`${python}\` in Python)`,
    );
  });

  test.each(['a:b', 'a*', 'x'.repeat(470)])('logStreamPrefix %p', (logStreamPrefix) => {
    expect(synthWith({ logStreamPrefix })).toThrow(
      `sink logStreamPrefix must be at most 469 characters without ":" or "*" (the stream is <prefix><yyyy/mm/dd>/<32 hex digits>, at most 512 characters), got "${logStreamPrefix}" (\`log_stream_prefix\` in Python)`,
    );
  });

  test('the longest logStreamPrefix is fine', () => {
    expect(synthWith({ logStreamPrefix: 'x'.repeat(469) })).not.toThrow();
  });

  test.each(['xray.eu-west-1.amazonaws.com', 'ftp://x.example.com'])('endpoint %p', (endpoint) => {
    expect(synthWith({ endpoint })).toThrow(`sink endpoint must be an http:// or https:// URL, got "${endpoint}"`);
  });

  test('timeout', () => {
    expect(synthWith({ timeout: Duration.minutes(2) })).toThrow('sink timeout must be a whole number of milliseconds from 1 ms to 1 min, got 2 minutes');
  });

  test('serviceName', () => {
    expect(synthWith({ serviceName: ' ' })).toThrow('serviceName must not be empty, got "" (`service_name` in Python)');
  });
});
