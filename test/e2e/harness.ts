/**
 * End-to-end harness: synthesize the example CDK app, take the layer asset and the function's
 * environment straight from `cdk.out`, and run them in the local Lambda emulator with a local
 * OTLP receiver as the sink's endpoint. Everything is real: processes, HTTP, the bundled layer.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OtlpReceiver as LayerOtlpReceiver } from '../../lib';
import { readCdkFunction, type CdkFunctionInfo } from '../emulator/cdk-out';
import { LambdaEmulator, type EmulatorOptions } from '../emulator/emulator';
import { EXAMPLE_FUNCTION_ID, EXAMPLE_STACK_NAME, ExampleStackProps, synthExample } from '../example/app';
import { freePort } from '../support/free-port';
import { OtlpReceiver } from '../support/otlp-receiver';

export interface ExampleRun {
  readonly emulator: LambdaEmulator;
  readonly receiver: OtlpReceiver;
  readonly fn: CdkFunctionInfo;
  readonly assemblyDir: string;
  /** Stops everything and removes the cloud assembly. */
  close(): Promise<void>;
}

export interface ExampleRunOptions {
  /** Stack props; the OTLP endpoint defaults to the receiver, `port` to a free port. Gets the receiver's URL. */
  readonly stack?: (receiverUrl: string) => Omit<ExampleStackProps, 'otlpEndpoint'> & { otlpEndpoint?: string };
  /** Emulator options on top of what cdk.out says. */
  readonly emulator?: Partial<EmulatorOptions>;
  /** Extra or overriding function environment (e.g. a broken setting). */
  readonly env?: Readonly<Record<string, string>>;
  /** Directory the CDK app synthesizes from (for resolving a bundled Node.js package). */
  readonly appDir?: string;
}

export async function runExample(options: ExampleRunOptions = {}): Promise<ExampleRun> {
  const receiver = await OtlpReceiver.start({ waitTimeoutMs: 20_000 });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-run-'));
  let emulator: LambdaEmulator | undefined;
  const close = async () => {
    await emulator?.close();
    await receiver.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  };
  try {
    // Every sandbox in Lambda has its own network; here all share the host: the layer's `port`
    // prop gets a free port per run, so what runs is the environment attachTo writes.
    // The OTLP receiver is off unless a test asks for one (then on a free port, as `port`): the
    // platform's view alone, as for an uninstrumented function.
    const props: ExampleStackProps = {
      otlpEndpoint: receiver.url, port: await freePort(), otlpReceiver: LayerOtlpReceiver.disabled(), ...options.stack?.(receiver.url),
    };
    const assemblyDir = synthIn(options.appDir, () => synthExample(path.join(runDir, 'cdk.out'), props));
    const fn = readCdkFunction(assemblyDir, EXAMPLE_STACK_NAME, undefined);
    if (!fn.logicalId.startsWith(EXAMPLE_FUNCTION_ID)) throw new Error(`unexpected function ${fn.logicalId}`);
    const layerDir = fn.layers[0]?.assetDir;
    if (!layerDir || !fn.codeAssetDir) {
      throw new Error(`cdk.out has no layer or code asset for ${fn.logicalId}: ${JSON.stringify(fn.layers)}`);
    }
    if (Object.keys(fn.nonLiteralEnv).length > 0) {
      throw new Error(`environment values unknown before deploy: ${Object.keys(fn.nonLiteralEnv).join(', ')}`);
    }
    if (fn.env.TELEMETRY_EXTENSION_PORT !== String(props.port)) {
      throw new Error(`the layer's port prop (${props.port}) did not reach the function: TELEMETRY_EXTENSION_PORT=${fn.env.TELEMETRY_EXTENSION_PORT}`);
    }
    emulator = await LambdaEmulator.start({
      layerDir,
      handlerDir: fn.codeAssetDir,
      handler: fn.handler,
      env: { ...fn.env, ...options.env },
      functionName: 'telemetry-example',
      memorySizeMB: fn.memorySizeMB,
      timeoutMs: fn.timeoutSeconds * 1000,
      logFormat: fn.logFormat,
      ...options.emulator,
    });
    return { emulator, receiver, fn, assemblyDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Runs `synth` with `appDir` as the working directory (if given), restoring it after. */
function synthIn<T>(appDir: string | undefined, synth: () => T): T {
  const cwd = process.cwd();
  try {
    if (appDir) process.chdir(appDir);
    return synth();
  } finally {
    process.chdir(cwd);
  }
}

/** The value of a string attribute of a decoded OTLP item. */
export function attr(item: { readonly attributes: Readonly<Record<string, unknown>> }, key: string): unknown {
  return item.attributes[key];
}
