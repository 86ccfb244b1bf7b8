/**
 * Runs in the "aws-cdk-lib latest" jest project only (aws-cdk-lib mapped to the npm alias
 * aws-cdk-lib-latest): the newest aws-cdk-lib validates every template at synth and writes
 * validation-report.json next to the assembly. Nothing in it may concern this construct.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NodeJsSource, TelemetryExtensionLayer, TelemetrySink } from '../../../lib';
import { EXAMPLE_STACK_NAME, synthExample } from '../../example/app';
import { tempDir } from '../temp';

const HANDLER_DIR = path.join(__dirname, '..', '..', 'fixtures', 'handler');

interface Violation {
  readonly ruleName: string;
  readonly description?: string;
  readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string; readonly cloudFormationResource?: { readonly logicalId?: string } }>;
}

/** Every violation of every plugin in the report, with what it names. */
function violationsIn(assemblyDir: string): Violation[] {
  const file = path.join(assemblyDir, 'validation-report.json');
  expect(fs.existsSync(file)).toBe(true);
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const found: Violation[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {value.forEach(walk);} else if (value !== null && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      if (typeof o.ruleName === 'string' && Array.isArray(o.violatingConstructs)) found.push(o as unknown as Violation);
      else Object.values(o).forEach(walk);
    }
  };
  walk(report);
  // The shape this parser reads (a report lists only the plugins that found something).
  expect(report.title).toBe('Validation Report');
  expect(Array.isArray(report.pluginReports)).toBe(true);
  return found;
}

function fakeNode(): string {
  const binary = path.join(tempDir('node-'), 'node');
  fs.writeFileSync(binary, '#!/bin/sh\n', { mode: 0o755 });
  return binary;
}

describe('aws-cdk-lib latest: its template validation finds nothing in this construct', () => {
  test('this project maps aws-cdk-lib to the newest release', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved through jest's moduleNameMapper
    const version: string = require('aws-cdk-lib/package.json').version;
    const [major, minor] = version.split('.').map(Number);
    expect(major).toBe(2);
    expect(minor).toBeGreaterThanOrEqual(276);
  });

  test('bundled layers on python3.14, java25, dotnet10 and nodejs24.x, and the small layer, report nothing', () => {
    const app = new App({ outdir: tempDir('cdk.out-') });
    const stack = new Stack(app, 'Validated', { env: { account: '123456789012', region: 'eu-west-1' } });
    const binary = fakeNode();
    const bundled = new TelemetryExtensionLayer(stack, 'Telemetry', {
      nodeJs: NodeJsSource.bundled({ x64BinaryPath: binary, arm64BinaryPath: binary, strip: false }),
      sink: TelemetrySink.otlp({
        endpoint: 'https://otel.example.com',
        headersSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Headers', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:h-AbCdEf'),
      }),
    });
    const small = new TelemetryExtensionLayer(stack, 'SmallTelemetry');
    const runtimes: Array<[string, lambda.RuntimeFamily, string, lambda.Architecture]> = [
      ['python3.14', lambda.RuntimeFamily.PYTHON, 'index.handler', lambda.Architecture.ARM_64],
      ['java25', lambda.RuntimeFamily.JAVA, 'example.Handler::handleRequest', lambda.Architecture.X86_64],
      ['dotnet10', lambda.RuntimeFamily.DOTNET_CORE, 'Example::Example.Function::Handler', lambda.Architecture.X86_64],
      ['nodejs24.x', lambda.RuntimeFamily.NODEJS, 'index.handler', lambda.Architecture.ARM_64],
    ];
    for (const [name, family, handler, architecture] of runtimes) {
      const fn = new lambda.Function(stack, name.replace(/\W/g, ''), {
        runtime: new lambda.Runtime(name, family),
        handler,
        architecture,
        code: lambda.Code.fromAsset(HANDLER_DIR),
      });
      bundled.attachTo(fn);
    }
    small.attachTo(
      new lambda.Function(stack, 'Small', {
        runtime: new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS),
        handler: 'index.handler',
        code: lambda.Code.fromAsset(HANDLER_DIR),
      }),
    );
    const assembly = app.synth();
    const template = assembly.getStackByName('Validated').template;
    expect(Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::Lambda::LayerVersion')).toHaveLength(3);
    // The whole stack is this construct and functions on current runtimes: nothing at all.
    expect(violationsIn(assembly.directory)).toEqual([]);
  });

  test('a control: the report does show a finding where there is one (a deprecated runtime)', () => {
    const app = new App({ outdir: tempDir('cdk.out-') });
    const stack = new Stack(app, 'Control');
    new lambda.Function(stack, 'Old', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromAsset(HANDLER_DIR) });
    const assembly = app.synth();
    expect(violationsIn(assembly.directory).map((v) => v.ruleName)).toContain('W2531');
  });

  test('the example app synthesizes, and no finding concerns the telemetry layer', () => {
    const outdir = tempDir('cdk.out-');
    const assembly = synthExample(outdir, { otlpEndpoint: 'http://127.0.0.1:4318' });
    expect(fs.existsSync(path.join(assembly, `${EXAMPLE_STACK_NAME}.template.json`))).toBe(true);
    const ours = violationsIn(assembly).filter((v) =>
      v.violatingConstructs.some((c) => (c.constructPath ?? '').includes('/Telemetry') || /^Telemetry/.test(c.cloudFormationResource?.logicalId ?? '')),
    );
    expect(ours).toEqual([]);
  });
});
