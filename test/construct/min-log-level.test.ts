/**
 * minLogLevel: the environment entry of the contract (absent by default: every record), and how
 * it composes with the function's own applicationLogLevel (the stricter wins): a warning when
 * the function's level is stricter (minLogLevel cannot bring those records back), an info note
 * when it is looser (the export has fewer records than the function's log group).
 */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { newStack, nodeFunction } from './helpers';
import { LogLevel, TelemetryExtensionLayer, TelemetrySink } from '../../lib';
import { ENV, LOG_LEVELS } from '../../lib/config/contract';

const otlp = () => TelemetrySink.otlp({ endpoint: 'https://otel.example.com' });

describe('minLogLevel: the environment', () => {
  test.each(Object.values(LogLevel))('%s', (minLogLevel) => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: otlp(), minLogLevel });
    expect(telemetry.environment[ENV.MIN_LOG_LEVEL]).toBe(minLogLevel);
    telemetry.attachTo(nodeFunction(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.MIN_LOG_LEVEL]: minLogLevel }) },
    });
  });

  test('the enum names exactly the contract\'s levels, lowest first', () => {
    expect(Object.values(LogLevel)).toEqual([...LOG_LEVELS]);
  });

  test('absent by default: every record is exported', () => {
    const telemetry = new TelemetryExtensionLayer(newStack(), 'Telemetry', { sink: otlp() });
    expect(ENV.MIN_LOG_LEVEL in telemetry.environment).toBe(false);
  });

  test.each(['VERBOSE', 'info'])('%p is refused with the prop and the value', (level) => {
    expect(() => new TelemetryExtensionLayer(newStack(), 'Telemetry', { minLogLevel: level as LogLevel })).toThrow(
      `minLogLevel must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (a LogLevel), got "${level}" (\`min_log_level\` in Python)`,
    );
  });

  test('a function that sets the variable to another value is refused, as for every TELEMETRY_EXTENSION_* variable', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: otlp(), minLogLevel: LogLevel.WARN });
    const fn = nodeFunction(stack, 'Fn', { environment: { [ENV.MIN_LOG_LEVEL]: 'DEBUG' } });
    expect(() => telemetry.attachTo(fn)).toThrow(`the function already sets ${ENV.MIN_LOG_LEVEL} to "DEBUG", and this layer's configuration sets it to "WARN"`);
  });
});

describe('minLogLevel and the function\'s applicationLogLevel: the stricter wins', () => {
  function attachWith(minLogLevel: LogLevel | undefined, applicationLogLevel: lambda.ApplicationLogLevel | undefined) {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { sink: otlp(), minLogLevel });
    telemetry.attachTo(
      nodeFunction(stack, 'Fn', applicationLogLevel ? { loggingFormat: lambda.LoggingFormat.JSON, applicationLogLevelV2: applicationLogLevel } : {}),
    );
    const annotations = Annotations.fromStack(stack);
    return {
      warnings: annotations.findWarning('/TestStack/Fn', Match.anyValue()).map((m) => String(m.entry.data)),
      infos: annotations.findInfo('/TestStack/Fn', Match.anyValue()).map((m) => String(m.entry.data)),
    };
  }

  test('the function\'s level is stricter: a warning, minLogLevel cannot bring those records back', () => {
    const { warnings, infos } = attachWith(LogLevel.DEBUG, lambda.ApplicationLogLevel.WARN);
    expect(warnings).toEqual([
      'The telemetry layer\'s minLogLevel is DEBUG, but the function\'s applicationLogLevel is WARN: Lambda drops the records below WARN before the extension sees them, so no DEBUG/INFO records are exported. Lower the function\'s applicationLogLevel (`application_log_level_v2` in Python) to DEBUG, or raise minLogLevel to WARN. [ack: cdk-telemetry-extension:minLogLevelBelowApplicationLogLevel]',
    ]);
    expect(infos).toEqual([]);
  });

  test('the function\'s level is looser: an info note, the extension filters further', () => {
    const { warnings, infos } = attachWith(LogLevel.ERROR, lambda.ApplicationLogLevel.DEBUG);
    expect(warnings).toEqual([]);
    expect(infos).toEqual([
      'The telemetry layer\'s minLogLevel ERROR is stricter than the function\'s applicationLogLevel DEBUG: the DEBUG/INFO/WARN records the function\'s log group keeps are not exported (they are counted as filtered).',
    ]);
  });

  test.each([
    ['the same level', LogLevel.INFO, lambda.ApplicationLogLevel.INFO],
    ['no applicationLogLevel', LogLevel.INFO, undefined],
    ['no minLogLevel', undefined, lambda.ApplicationLogLevel.ERROR],
  ])('%s: nothing to say', (_name, minLogLevel, applicationLogLevel) => {
    expect(attachWith(minLogLevel, applicationLogLevel)).toEqual({ warnings: [], infos: [] });
  });
});
