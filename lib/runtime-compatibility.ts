import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/**
 * Which functions a telemetry layer can serve, decided from what a runtime is (its family and
 * its operating system), never from a list of runtimes that goes stale: a runtime Lambda adds
 * after this release (`new Runtime('nodejs26.x', RuntimeFamily.NODEJS)`) works as it is.
 *
 * The layers carry no `CompatibleRuntimes` (a list would name runtimes Lambda does not have,
 * miss the ones it adds, and CloudFormation allows at most 15): these rules are checked by the
 * construct instead, by `attachTo` (an error) and `attachToAll` (a warning, the function skipped).
 */

/** The oldest Node.js the extension's bundle runs on (esbuild's target). */
export const MIN_FUNCTION_NODE_MAJOR = 18;

/**
 * Runtimes on Amazon Linux 2 (glibc 2.26) or older, by name. Lambda's newer runtimes are all on
 * Amazon Linux 2023 (glibc 2.34), and AWS releases no new Amazon Linux 2 runtimes, so each rule
 * below is closed: "older than", never "newer than". An unknown runtime is taken to be AL2023.
 */
const AMAZON_LINUX_2_OR_OLDER: ReadonlyArray<(name: string) => boolean> = [
  (name) => versionOf(name, /^nodejs(\d+)?/) < 20,
  (name) => /^python2/.test(name) || versionOf(name, /^python3\.(\d+)$/) < 12,
  (name) => /^java8(\.|$)/.test(name) || versionOf(name, /^java(\d+)$/) < 21,
  (name) => /^dotnetcore/.test(name) || versionOf(name, /^dotnet(\d+)$/) < 8,
  (name) => /^ruby2/.test(name) || versionOf(name, /^ruby3\.(\d+)$/) < 3,
  (name) => name === 'go1.x' || name === 'provided' || name === 'provided.al2',
];

/** The number `pattern` captures in `name`: Infinity when it does not match, 0 when it matches with no number. */
function versionOf(name: string, pattern: RegExp): number {
  const match = pattern.exec(name);
  if (!match) return Infinity;
  return match[1] === undefined ? 0 : Number(match[1]);
}

/** Does the runtime run on Amazon Linux 2023 (glibc 2.34), where the official Node.js binaries start? */
export function runsOnAmazonLinux2023(runtime: lambda.Runtime): boolean {
  // `java17.al2023`, `provided.al2023`: the name says so, whatever the version.
  if (runtime.name.endsWith('.al2023')) return true;
  return !AMAZON_LINUX_2_OR_OLDER.some((rule) => rule(runtime.name));
}

/** Why a function whose own Node.js runs the extension cannot, or undefined. */
export function functionRuntimeIncompatibility(runtime: lambda.Runtime): string | undefined {
  if (runtime.family !== lambda.RuntimeFamily.NODEJS) {
    return `its runtime ${runtime.name} has no Node.js, which this layer needs to run the extension; use NodeJsSource.bundled() for the nodeJs prop, or a Node.js runtime (\`node_js\` in Python)`;
  }
  const major = versionOf(runtime.name, /^nodejs(\d+)?/);
  if (major < MIN_FUNCTION_NODE_MAJOR) {
    return `its runtime ${runtime.name} has a Node.js older than ${MIN_FUNCTION_NODE_MAJOR}, which the extension needs; use a newer Node.js runtime`;
  }
  return undefined;
}

/** Why a function cannot start the bundled Node.js `major` binary, or undefined. */
export function bundledNodeIncompatibility(runtime: lambda.Runtime, major: number): string | undefined {
  if (runsOnAmazonLinux2023(runtime)) return undefined;
  return `its runtime ${runtime.name} runs on Amazon Linux 2 or older (glibc 2.26), where the bundled Node.js ${major} (glibc 2.28 or later) cannot start; use a runtime on Amazon Linux 2023${
    runtime.family === lambda.RuntimeFamily.NODEJS ? ', or NodeJsSource.functionRuntime()' : ''
  }`;
}

/** What a layer offers, as far as compatibility goes. */
export interface LayerCompatibility {
  /** The layer's `compatibleArchitectures`. */
  readonly architectures: readonly lambda.Architecture[];
  /** Why the layer's Node.js cannot run on `runtime`, or undefined (from the NodeJsSource's bind). */
  runtimeIncompatibility(runtime: lambda.Runtime): string | undefined;
}

/** A function this app defines, the only kind that can get a layer. */
export type AttachableFunction = lambda.Function | lambda.SingletonFunction;

export function isAttachable(fn: IConstruct): fn is AttachableFunction {
  return fn instanceof lambda.Function || fn instanceof lambda.SingletonFunction;
}

/**
 * Why the layer cannot serve `fn`, or undefined: the one rule that `attachTo` (which throws) and
 * `TelemetryAttachAspect` (which warns and skips) share.
 */
export function incompatibility(fn: IConstruct, layer: LayerCompatibility): string | undefined {
  if (!isAttachable(fn)) {
    return 'only a lambda.Function or lambda.SingletonFunction defined in this app can get a layer (imported functions, aliases and versions cannot)';
  }
  const runtime = fn.runtime;
  if (runtime.name === lambda.Runtime.FROM_IMAGE.name) {
    return 'container-image functions cannot use layers; add the extension to the image instead';
  }
  const problem = layer.runtimeIncompatibility(runtime);
  if (problem) return problem;
  const arch = fn.architecture;
  if (!layer.architectures.some((a) => a.name === arch.name)) {
    return `its architecture ${arch.name} is not in the layer's compatibleArchitectures (${layer.architectures
      .map((a) => a.name)
      .join(', ')}) (\`compatible_architectures\` in Python)`;
  }
  return undefined;
}
