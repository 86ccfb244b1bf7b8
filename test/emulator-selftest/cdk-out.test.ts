import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FIXTURES, closeAll, makeLayer, probes, startEmulator } from './helpers';
import { readCdkFunction } from '../emulator/cdk-out';

const outdirs: string[] = [];

/** Synthesizes a function with a layer (an asset), literal and non-literal env; returns the assembly dir and the function's logical id. */
function synth(assetMetadata: boolean): { outdir: string; functionId: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-cdk-out-'));
  outdirs.push(outdir);
  const layerSource = makeLayer({ 'probe-ext': { probeEnv: ['LITERAL'] } });
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': assetMetadata } });
  const stack = new Stack(app, 'EmuStack');
  const bucket = new s3.Bucket(stack, 'Bucket');
  const layer = new lambda.LayerVersion(stack, 'Layer', { code: lambda.Code.fromAsset(layerSource) });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_20_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'handlers.echo',
    code: lambda.Code.fromAsset(FIXTURES),
    memorySize: 512,
    timeout: Duration.seconds(7),
    layers: [layer, lambda.LayerVersion.fromLayerVersionArn(stack, 'External', 'arn:aws:lambda:us-east-1:123456789012:layer:ext:1')],
    environment: { LITERAL: 'yes', BUCKET: bucket.bucketName },
  });
  app.synth();
  return { outdir, functionId: stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction) };
}

let outdir: string;
let functionId: string;

beforeAll(() => {
  ({ outdir, functionId } = synth(false));
});

afterAll(async () => {
  await closeAll();
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('readCdkFunction', () => {
  test('reads layers, environment, runtime, architecture, memory, timeout, handler and code asset', () => {
    const info = readCdkFunction(outdir, 'EmuStack', functionId);

    expect(info).toMatchObject({
      logicalId: functionId,
      handler: 'handlers.echo',
      runtime: 'nodejs20.x',
      architecture: 'arm64',
      memorySizeMB: 512,
      timeoutSeconds: 7,
      env: { LITERAL: 'yes' },
      nonLiteralEnv: { BUCKET: { Ref: expect.any(String) } },
    });
    expect(fs.existsSync(path.join(info.codeAssetDir as string, 'handlers.cjs'))).toBe(true);
    expect(info.layers).toHaveLength(2);
    expect(fs.existsSync(path.join(info.layers[0].assetDir as string, 'extensions', 'probe-ext'))).toBe(true);
    expect(info.layers[1]).toEqual({
      reference: 'arn:aws:lambda:us-east-1:123456789012:layer:ext:1', unresolvedReason: expect.stringMatching(/external layer ARN/),
    });
  });

  test('uses aws:asset:path metadata when the assembly has it', () => {
    const withMetadata = synth(true);

    const info = readCdkFunction(withMetadata.outdir, 'EmuStack', withMetadata.functionId);

    expect(info.codeAssetDir).toMatch(new RegExp(`^${withMetadata.outdir}/asset\\.`));
    expect(fs.existsSync(path.join(info.layers[0].assetDir as string, 'extensions', 'probe-ext'))).toBe(true);
  });

  test('without a logical id it takes the first function', () => {
    expect(readCdkFunction(outdir, 'EmuStack').logicalId).toBe(functionId);
  });

  test('says which stacks and functions exist when the one asked for does not', () => {
    expect(() => readCdkFunction(outdir, 'Nope')).toThrow(/Stack Nope not found .*EmuStack/);
    expect(() => readCdkFunction(outdir, 'EmuStack', 'Missing')).toThrow(new RegExp(`Function Missing not found .*${functionId}`));
  });

  test('what it reads runs in the emulator', async () => {
    const info = readCdkFunction(outdir, 'EmuStack', functionId);

    const emu = await startEmulator({
      layerDir: info.layers[0].assetDir,
      handlerDir: info.codeAssetDir as string,
      handler: info.handler,
      env: { ...info.env },
      memorySizeMB: info.memorySizeMB,
      timeoutMs: info.timeoutSeconds * 1000,
    });
    const result = await emu.invoke({ from: 'cdk.out' });

    expect(result.response).toMatchObject({ event: { from: 'cdk.out' }, memoryLimitInMB: '512' });
    expect(probes(emu, 'probe-ext', 'env')[0].values).toEqual({ LITERAL: 'yes' });
  });
});

describe('initializationType from the template', () => {
  test.each([
    [undefined, 'on-demand'],
    [{ SnapStart: { ApplyOn: 'PublishedVersions' } }, 'snap-start'],
    [{ CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: 'arn:aws:lambda:us-east-1:123456789012:capacity-provider:cp' } } }, 'lambda-managed-instances'],
  ])('%j -> %s', (overrides, expected) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-cdk-out-'));
    outdirs.push(dir);
    const app = new App({ outdir: dir });
    const stack = new Stack(app, 'ModeStack');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'handlers.echo', code: lambda.Code.fromAsset(FIXTURES),
    });
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    for (const [key, value] of Object.entries(overrides ?? {})) cfn.addPropertyOverride(key, value);
    app.synth();

    expect(readCdkFunction(dir, 'ModeStack').initializationType).toBe(expected);
  });
});
