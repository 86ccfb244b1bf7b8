/**
 * The modes' end-to-end app: one Node.js function with the telemetry layer attached as the
 * example app does (test/example/app.ts), whose template says how Lambda runs it: SnapStart
 * (`SnapStart.ApplyOn: PublishedVersions`) or a capacity provider (`CapacityProviderConfig`),
 * both set through the L1 escape hatch (this aws-cdk-lib has no capacity providers, and refuses
 * SnapStart for Node.js runtimes, which the emulator runs). Synthesized, read back from cdk.out
 * (layer, code, environment, initialization type) and run in the emulator with the OTLP receiver.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OtlpReceiver as LayerOtlpReceiver, TelemetryExtensionLayer, TelemetrySink, TelemetryType } from '../../../lib';
import { readCdkFunction, type CdkFunctionInfo } from '../../emulator/cdk-out';
import { LambdaEmulator, type EmulatorOptions, type InitializationType } from '../../emulator/emulator';
import { freePort } from '../../support/free-port';
import { OtlpReceiver, type DecodedSpan } from '../../support/otlp-receiver';

export const STACK_NAME = 'TelemetryModes';
export const FUNCTION_NAME = 'telemetry-modes';

export type Template = 'on-demand' | 'snap-start' | 'capacity-provider';

export interface ModesRun {
  readonly emulator: LambdaEmulator;
  /** Where the companion extension looks for its `crash` / `delay` files. */
  readonly companionDir: string;
  readonly receiver: OtlpReceiver;
  readonly fn: CdkFunctionInfo;
  close(): Promise<void>;
}

export interface ModesRunOptions {
  readonly template?: Template;
  readonly memorySizeMB?: number;
  readonly timeout?: Duration;
  /** Emulator options on top of what cdk.out says (e.g. `provisioned-concurrency`, `maxConcurrency`). */
  readonly emulator?: Partial<EmulatorOptions>;
  /**
   * Add ./companion-extension.cjs to (a copy of) the layer from cdk.out, steered through files in
   * `companionDir` of the run.
   */
  readonly companion?: boolean;
}

function synth(outdir: string, endpoint: string, options: ModesRunOptions): string {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, STACK_NAME);
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(__dirname, 'handler')),
    memorySize: options.memorySizeMB ?? 128,
    timeout: options.timeout ?? Duration.seconds(3),
  });
  new TelemetryExtensionLayer(stack, 'Telemetry', {
    types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
    sink: TelemetrySink.otlp({ endpoint, serviceName: FUNCTION_NAME }),
    // The function is not instrumented: no receiver (which would bind 4318 on this shared host).
    otlpReceiver: LayerOtlpReceiver.disabled(),
  }).attachTo(fn);
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  if (options.template === 'snap-start') cfn.addPropertyOverride('SnapStart', { ApplyOn: 'PublishedVersions' });
  if (options.template === 'capacity-provider') {
    cfn.addPropertyOverride('CapacityProviderConfig', {
      LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: 'arn:aws:lambda:us-east-1:123456789012:capacity-provider:modes', PerExecutionEnvironmentMaxConcurrency: 8 },
    });
  }
  return app.synth().directory;
}

export async function runModes(options: ModesRunOptions = {}): Promise<ModesRun> {
  const receiver = await OtlpReceiver.start({ waitTimeoutMs: 20_000 });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-modes-cdk-out-'));
  let emulator: LambdaEmulator | undefined;
  try {
    const fn = readCdkFunction(synth(path.join(outdir, 'cdk.out'), receiver.url, options), STACK_NAME, undefined);
    const assetLayerDir = fn.layers[0]?.assetDir;
    const companionDir = path.join(outdir, 'companion');
    fs.mkdirSync(companionDir);
    let layerDir = assetLayerDir;
    if (assetLayerDir && options.companion) {
      layerDir = path.join(outdir, 'layer');
      fs.cpSync(assetLayerDir, layerDir, { recursive: true });
      fs.writeFileSync(path.join(layerDir, 'extensions', 'companion'), `#!/bin/sh\nexec ${process.execPath} ${path.join(__dirname, 'companion-extension.cjs')}\n`, { mode: 0o755 });
    }
    if (!layerDir || !fn.codeAssetDir) throw new Error(`cdk.out has no layer or code asset: ${JSON.stringify(fn.layers)}`);
    if (Object.keys(fn.nonLiteralEnv).length > 0) throw new Error(`environment values unknown before deploy: ${Object.keys(fn.nonLiteralEnv).join(', ')}`);
    emulator = await LambdaEmulator.start({
      layerDir,
      handlerDir: fn.codeAssetDir,
      handler: fn.handler,
      env: { ...fn.env, TELEMETRY_EXTENSION_PORT: String(await freePort()), COMPANION_DIR: companionDir },
      runtime: fn.runtime,
      functionName: FUNCTION_NAME,
      memorySizeMB: fn.memorySizeMB,
      timeoutMs: fn.timeoutSeconds * 1000,
      initializationType: fn.initializationType as InitializationType,
      ...options.emulator,
    });
    const started = emulator;
    return {
      emulator: started,
      companionDir,
      receiver,
      fn,
      close: async () => {
        await started.close();
        await receiver.close();
        fs.rmSync(outdir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await emulator?.close();
    await receiver.close();
    fs.rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/** The invocation (SERVER) spans, by request id; fails on a request id seen twice. */
export function serverSpans(receiver: OtlpReceiver): Map<string, DecodedSpan> {
  const byId = new Map<string, DecodedSpan>();
  for (const span of receiver.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER')) {
    const id = String(span.attributes['faas.invocation_id']);
    if (byId.has(id)) throw new Error(`two invocation spans for ${id}`);
    byId.set(id, span);
  }
  return byId;
}

/** A span's duration in ms. */
export function durationMs(span: DecodedSpan): number {
  return Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
}
