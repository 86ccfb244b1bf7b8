import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Environment } from './bindings';
import { ENV, LOG_LEVELS, LogLevelName } from './config/contract';
import { inPython } from './prop-names';
import type { AttachableFunction } from './runtime-compatibility';

/**
 * The severity of a log record, lowest first: Lambda's own level names (those of
 * `applicationLogLevel`), which are also the OpenTelemetry severity ranges.
 */
export enum LogLevel {
  /** The finest detail. */
  TRACE = 'TRACE',
  /** Debugging detail. */
  DEBUG = 'DEBUG',
  /** Normal operation. */
  INFO = 'INFO',
  /** Something unexpected that the function handled. */
  WARN = 'WARN',
  /** A failure of an operation. */
  ERROR = 'ERROR',
  /** A failure of the function. */
  FATAL = 'FATAL',
}

/** The rank of a level (0 = TRACE), or undefined for a name that is not one of {@link LOG_LEVELS}. */
function rank(level: string): number | undefined {
  const i = (LOG_LEVELS as readonly string[]).indexOf(level.toUpperCase());
  return i < 0 ? undefined : i;
}

/** The environment entry of the layer's `minLogLevel` (none when it is not set: every record). */
export function minLogLevelEnvironment(minLogLevel: LogLevel | undefined): Environment {
  if (minLogLevel === undefined) return {};
  if (Token.isUnresolved(minLogLevel)) return { [ENV.MIN_LOG_LEVEL]: minLogLevel };
  if (rank(minLogLevel) === undefined || minLogLevel !== minLogLevel.toUpperCase()) {
    throw new Error(`minLogLevel must be one of ${LOG_LEVELS.join(', ')} (a LogLevel), got "${minLogLevel}"${inPython('minLogLevel')}`);
  }
  return { [ENV.MIN_LOG_LEVEL]: minLogLevel as LogLevelName };
}

/**
 * The function's `LoggingConfig` as CloudFormation will see it (`lambda.Function` has no public
 * getter; a `SingletonFunction`'s function is the stack's child named by its `constructName`).
 */
export function functionLoggingConfig(fn: AttachableFunction): { applicationLogLevel?: unknown; logGroup?: unknown } {
  const cfn = cfnFunctionOf(fn);
  if (!cfn) return {};
  const config = Stack.of(fn).resolve(cfn.loggingConfig) as { applicationLogLevel?: unknown; logGroup?: unknown } | undefined;
  return config ?? {};
}

/** The `CfnFunction` behind a `Function` or `SingletonFunction`, if this app defines it. */
export function cfnFunctionOf(fn: AttachableFunction): lambda.CfnFunction | undefined {
  const target = fn instanceof lambda.SingletonFunction ? Stack.of(fn).node.tryFindChild(fn.constructName) : fn;
  const cfn = target?.node.defaultChild;
  return cfn instanceof lambda.CfnFunction ? cfn : undefined;
}

/**
 * How `minLogLevel` and the function's own `applicationLogLevel` compose: the stricter wins
 * (test/aws/RESEARCH.md section 7). Lambda and the runtimes drop records below the function's
 * level before they reach stdout, so the Telemetry API never sees them either:
 *
 * - the function's level is stricter than `minLogLevel`: `minLogLevel` cannot bring the records in
 *   between back, a warning says so;
 * - the function's level is looser: the extension filters further (counted as filtered), so the
 *   export has fewer records than the function's log group; an info note says so.
 */
export function checkApplicationLogLevel(fn: AttachableFunction, minLogLevel: LogLevel | undefined): void {
  if (minLogLevel === undefined || Token.isUnresolved(minLogLevel)) return;
  const level = functionLoggingConfig(fn).applicationLogLevel;
  if (typeof level !== 'string' || Token.isUnresolved(level)) return;
  const theirs = rank(level);
  const ours = rank(minLogLevel);
  if (theirs === undefined || ours === undefined || theirs === ours) return;
  if (theirs > ours) {
    Annotations.of(fn).addWarningV2(
      'cdk-telemetry-extension:minLogLevelBelowApplicationLogLevel',
      `The telemetry layer's minLogLevel is ${minLogLevel}, but the function's applicationLogLevel is ${level}: Lambda drops the records below ${level} before the extension sees them, so no ${LOG_LEVELS.slice(ours, theirs).join('/')} records are exported. Lower the function's applicationLogLevel (\`application_log_level_v2\` in Python) to ${minLogLevel}, or raise minLogLevel to ${level}.`,
    );
  } else {
    Annotations.of(fn).addInfo(
      `The telemetry layer's minLogLevel ${minLogLevel} is stricter than the function's applicationLogLevel ${level}: the ${LOG_LEVELS.slice(theirs, ours).join('/')} records the function's log group keeps are not exported (they are counted as filtered).`,
    );
  }
}
