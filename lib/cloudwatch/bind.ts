/**
 * The CloudWatch sink's bind step: the environment entries of the contract, the log group it
 * creates, the least-privilege grants of each enabled signal and the account prerequisites as
 * synth-time info notes. Sources of every action, limit and prerequisite: test/aws/RESEARCH.md.
 */
import { Annotations, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { CloudWatchSignal, CloudWatchSinkOptions } from './options';
import type { Environment, SinkBinding, SinkGrant } from '../bindings';
import { CLOUDWATCH_SIGNALS, DEFAULTS, ENV, LIMITS } from '../config/contract';
import { durationMillis, numberString, validateServiceName, validateUrl } from '../config/validate';
import { inPython } from '../prop-names';

/** `<prefix><yyyy/mm/dd>/<32 hex>` must fit CloudWatch Logs' 512 characters of a stream name. */
export const MAX_LOG_STREAM_PREFIX_LENGTH = 512 - '2026/01/01/'.length - 32;

/** Where the account must have switched something on for a signal (README, "CloudWatch"). */
const PREREQUISITES: Partial<Record<CloudWatchSignal, string>> = {
  [CloudWatchSignal.TRACES]:
    'TelemetrySink.cloudWatch sends traces to the X-Ray OTLP endpoint, which needs Transaction Search enabled in the account and region (in the CloudWatch console, with `aws xray update-trace-segment-destination --destination CloudWatchLogs`, or the AWS::XRay::TransactionSearchConfig resource): https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Enable-TransactionSearch.html',
  [CloudWatchSignal.METRICS]:
    'TelemetrySink.cloudWatch sends metrics to the CloudWatch OTLP metrics endpoint: enable OpenTelemetry metrics ingestion in the CloudWatch settings of the account: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/metrics-otel-send.html',
};

/** The signals, validated, in the contract's order. */
function signalsOf(options: CloudWatchSinkOptions): CloudWatchSignal[] {
  const given = options.signals ?? [CloudWatchSignal.TRACES, CloudWatchSignal.LOGS, CloudWatchSignal.METRICS];
  if (given.length === 0) {
    throw new Error(`sink signals must name at least one of ${CLOUDWATCH_SIGNALS.join(', ')} (a CloudWatchSignal), got []`);
  }
  for (const signal of given) {
    if (!(CLOUDWATCH_SIGNALS as readonly string[]).includes(signal)) {
      throw new Error(`sink signals must hold only ${CLOUDWATCH_SIGNALS.join(', ')} (a CloudWatchSignal), got "${signal}"`);
    }
  }
  const duplicate = given.find((s, i) => given.indexOf(s) !== i);
  if (duplicate !== undefined) {
    throw new Error(`sink signals must not repeat a signal, got ${JSON.stringify(given)} ("${duplicate}" twice)`);
  }
  return (CLOUDWATCH_SIGNALS as readonly string[]).filter((s) => given.includes(s as CloudWatchSignal)) as CloudWatchSignal[];
}

function validateLogStreamPrefix(prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  if (prefix.length > MAX_LOG_STREAM_PREFIX_LENGTH || /[:*]/.test(prefix)) {
    throw new Error(
      `sink logStreamPrefix must be at most ${MAX_LOG_STREAM_PREFIX_LENGTH} characters without ":" or "*" (the stream is <prefix><yyyy/mm/dd>/<32 hex digits>, at most 512 characters), got "${prefix}"${inPython('logStreamPrefix')}`,
    );
  }
}

/** The log group of the logs signal: the user's, or one created below `scope`. */
function logGroupOf(scope: IConstruct, options: CloudWatchSinkOptions, sendsLogs: boolean): logs.ILogGroup | undefined {
  if (!sendsLogs) {
    for (const [prop, value] of [['logGroup', options.logGroup], ['logRetention', options.logRetention], ['logStreamPrefix', options.logStreamPrefix]] as const) {
      if (value !== undefined) {
        throw new Error(
          `sink ${prop} is set but signals does not include CloudWatchSignal.LOGS: it only applies to OTLP logs; add LOGS to signals, or drop ${prop}${inPython(prop)}`,
        );
      }
    }
    return undefined;
  }
  if (options.logGroup) {
    if (options.logRetention !== undefined) {
      throw new Error(
        `sink logRetention (${options.logRetention} days) only applies to the log group the construct creates, and logGroup is given: set the retention on your log group, or drop logGroup${inPython('logRetention')}`,
      );
    }
    checkSameEnvironment(scope, options.logGroup);
    return options.logGroup;
  }
  return new logs.LogGroup(scope, 'OtlpLogs', { retention: options.logRetention ?? logs.RetentionDays.ONE_MONTH });
}

/**
 * The OTLP logs endpoint of the function's region writes to a group named by `x-aws-log-group`
 * in the caller's own account: a group of another account or region cannot be written to.
 */
function checkSameEnvironment(scope: IConstruct, group: logs.ILogGroup): void {
  const stack = Stack.of(scope);
  for (const [what, theirs, ours] of [['account', group.env.account, stack.account], ['region', group.env.region, stack.region]]) {
    if (!Token.isUnresolved(theirs) && !Token.isUnresolved(ours) && theirs !== ours) {
      throw new Error(
        `sink logGroup must be in the function's ${what} (${ours}): the OTLP logs endpoint writes to a log group of the caller's account in the endpoint's region, got ${group.logGroupArn}; use a log group of ${ours}, or none (for one the construct creates) (\`log_group\` in Python)`,
      );
    }
  }
}

/** `arn:<partition>:logs:<region>:<account>:log-group:<name><suffix>`, in the group's own account and region. */
export function logGroupArn(scope: IConstruct, group: logs.ILogGroup, suffix: string): string {
  return Stack.of(scope).formatArn({
    service: 'logs',
    region: group.env.region,
    account: group.env.account,
    resource: 'log-group',
    resourceName: `${group.logGroupName}${suffix}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The grants of each enabled signal (RESEARCH.md section 4), nothing more. */
function grantsOf(scope: IConstruct, signals: readonly CloudWatchSignal[], group: logs.ILogGroup | undefined): SinkGrant[] {
  const grants: SinkGrant[] = [];
  if (signals.includes(CloudWatchSignal.TRACES)) {
    // The OTLP traces endpoint is authorized as xray:PutTraceSegments, which has no resource-level permissions.
    grants.push({ actions: ['xray:PutTraceSegments'], resources: ['*'] });
  }
  if (group) {
    // The extension creates its stream at init (the endpoint needs an existing one), then PutLogEvents through OTLP.
    grants.push({ actions: ['logs:CreateLogStream'], resources: [logGroupArn(scope, group, ':*')] });
    grants.push({ actions: ['logs:PutLogEvents'], resources: [logGroupArn(scope, group, ':log-stream:*')] });
  }
  if (signals.includes(CloudWatchSignal.METRICS)) {
    // No cloudwatch:namespace condition: one "implicitly denies any OTLP ingest".
    grants.push({ actions: ['cloudwatch:PutMetricData'], resources: ['*'] });
  }
  return grants;
}

/** Binds `TelemetrySink.cloudWatch(options)` for the layer construct `scope`. */
export function bindCloudWatchSink(scope: IConstruct, options: CloudWatchSinkOptions): SinkBinding {
  const signals = signalsOf(options);
  const group = logGroupOf(scope, options, signals.includes(CloudWatchSignal.LOGS));
  const environment: Environment = {
    [ENV.SINK]: 'cloudwatch',
    [ENV.CLOUDWATCH_SIGNALS]: signals.join(','),
    [ENV.SINK_PROTOCOL]: options.protocol ?? DEFAULTS.protocol,
    [ENV.SINK_COMPRESSION]: options.compression ?? DEFAULTS.compression,
  };
  if (group) environment[ENV.CLOUDWATCH_LOG_GROUP] = group.logGroupName;
  if (options.logStreamPrefix !== undefined && options.logStreamPrefix !== '') {
    validateLogStreamPrefix(options.logStreamPrefix);
    environment[ENV.CLOUDWATCH_LOG_STREAM_PREFIX] = options.logStreamPrefix;
  }
  if (options.endpoint !== undefined) {
    validateUrl('sink endpoint', options.endpoint);
    environment[ENV.CLOUDWATCH_ENDPOINT] = options.endpoint;
  }
  const timeout = options.timeout
    ? durationMillis('sink timeout', options.timeout, LIMITS.sinkTimeoutMs) ?? options.timeout.toMilliseconds()
    : LIMITS.sinkTimeoutMs.default;
  environment[ENV.SINK_TIMEOUT_MS] = numberString(timeout);
  if (options.serviceName !== undefined) {
    validateServiceName(options.serviceName);
    environment[ENV.SERVICE_NAME] = options.serviceName;
  }
  for (const signal of signals) {
    const note = PREREQUISITES[signal];
    if (note) Annotations.of(scope).addInfo(note);
  }
  return { environment, grants: grantsOf(scope, signals, group), otlpLogGroup: group, warnings: [] };
}
