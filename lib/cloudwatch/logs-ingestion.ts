/**
 * "Stop paying twice for logs": when the extension exports the function's logs, CloudWatch Logs
 * ingestion of the same lines in the function's own log group can be stopped. Lambda writes there
 * only "provided your function's execution role has the necessary permissions"; an explicit Deny
 * of logs:CreateLogGroup / CreateLogStream / PutLogEvents on that group in the function's role
 * overrides every Allow (AWSLambdaBasicExecutionRole included). test/aws/RESEARCH.md section 6.
 */
import { Annotations, ArnFormat, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import type { SinkBinding } from '../bindings';
import { cfnFunctionOf } from '../log-level';
import { inPython } from '../prop-names';
import type { AttachableFunction } from '../runtime-compatibility';

/** What happens to CloudWatch Logs ingestion of an attached function's own log group. */
export enum CloudWatchLogsIngestion {
  /** Lambda keeps writing the function's log group, as without the layer. */
  KEEP = 'KEEP',
  /**
   * An explicit Deny of `logs:CreateLogGroup`, `logs:CreateLogStream` and `logs:PutLogEvents` on
   * the function's own log group (its `loggingConfig` log group, else `/aws/lambda/<name>`) in
   * its role: the function's lines, the platform `REPORT` lines and the extension's own output
   * reach CloudWatch Logs only through the extension. Needs `TelemetryType.FUNCTION`.
   */
  STOP = 'STOP',
}

export const LOGS_DENIED_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];

/** The id of the Deny policy below the function. */
const POLICY_ID = 'TelemetryLogsIngestionStop';

/** Checks `STOP` against the layer's other props at construction; warnings go on `scope`. */
export function checkLogsIngestion(
  scope: IConstruct,
  ingestion: CloudWatchLogsIngestion | undefined,
  types: readonly string[],
  sink: SinkBinding,
): void {
  if (ingestion === undefined || ingestion === CloudWatchLogsIngestion.KEEP) return;
  if (ingestion !== CloudWatchLogsIngestion.STOP) {
    throw new Error(`cloudWatchLogsIngestion must be KEEP or STOP (a CloudWatchLogsIngestion), got "${ingestion}"${inPython('cloudWatchLogsIngestion')}`);
  }
  if (sink.writesToFunctionLogGroup) {
    throw new Error(
      `cloudWatchLogsIngestion STOP denies writing to the function's own log group, where the stdout sink writes: nothing would be kept; use TelemetrySink.cloudWatch(), otlp() or http() as the sink, or CloudWatchLogsIngestion.KEEP${inPython('cloudWatchLogsIngestion')}`,
    );
  }
  if (!types.includes('function')) {
    Annotations.of(scope).addWarningV2(
      'cdk-telemetry-extension:logsIngestionStoppedWithoutFunctionLogs',
      `cloudWatchLogsIngestion is STOP but types does not include TelemetryType.FUNCTION (got ${JSON.stringify(types)}): the function's log lines would reach neither CloudWatch Logs nor the sink and be lost. Add TelemetryType.FUNCTION to types, or use CloudWatchLogsIngestion.KEEP.`,
    );
  }
}

/** The name of the function's own log group: `LoggingConfig.LogGroup` if set, else `/aws/lambda/<function name>`. */
export function functionLogGroupName(fn: AttachableFunction): string {
  const cfn = cfnFunctionOf(fn);
  const config = cfn?.loggingConfig;
  if (config !== undefined && !Token.isUnresolved(config)) {
    const group = (config as lambda.CfnFunction.LoggingConfigProperty).logGroup;
    if (group !== undefined) return group;
  }
  // A name given in the props is known now (fn.functionName is a Ref even then).
  const name = cfn?.functionName !== undefined && !Token.isUnresolved(cfn.functionName) ? cfn.functionName : fn.functionName;
  return `/aws/lambda/${name}`;
}

/** Do two (possibly token) strings name the same thing once CloudFormation resolves them? */
function sameValue(scope: IConstruct, a: string, b: string): boolean {
  const stack = Stack.of(scope);
  return JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
}

/**
 * Adds the Deny to the function's role, in a policy of its own below the function (the default
 * policy would depend on the function's name, and the function depends on its default policy).
 */
export function stopLogsIngestion(fn: AttachableFunction, sink: SinkBinding): void {
  const group = functionLogGroupName(fn);
  const otlpGroup: logs.ILogGroup | undefined = sink.otlpLogGroup;
  if (otlpGroup && sameValue(fn, otlpGroup.logGroupName, group)) {
    throw new Error(
      `cloudWatchLogsIngestion STOP denies writing to the function's own log group ${JSON.stringify(Stack.of(fn).resolve(group))}, which is also the sink's logGroup: the extension could not write its OTLP logs either; give TelemetrySink.cloudWatch() another logGroup (or none, for one the construct creates), or use CloudWatchLogsIngestion.KEEP (\`log_group\`, \`cloud_watch_logs_ingestion\` in Python)`,
    );
  }
  const role = fn.role;
  if (!role || !Resource.isOwnedResource(role)) {
    Annotations.of(fn).addWarningV2(
      'cdk-telemetry-extension:logsIngestionNotStopped',
      `cloudWatchLogsIngestion is STOP, but the function's role ${role ? role.roleArn : '(none)'} is not defined in this app, so no Deny was added and CloudWatch Logs keeps ingesting its log group ${group}. Deny ${LOGS_DENIED_ACTIONS.join(', ')} on arn:<partition>:logs:<region>:<account>:log-group:${group} and :log-group:${group}:* in that role yourself.`,
    );
    return;
  }
  // A SingletonFunction's policy goes below its one function, however many wrappers share it.
  const scope = cfnFunctionOf(fn)?.node.scope ?? fn;
  if (scope.node.tryFindChild(POLICY_ID)) return;
  const arn = (suffix: string) =>
    Stack.of(fn).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${group}${suffix}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  new iam.Policy(scope, POLICY_ID, {
    roles: [role],
    statements: [
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: LOGS_DENIED_ACTIONS,
        resources: [arn(''), arn(':*')],
      }),
    ],
  });
}
