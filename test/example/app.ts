/**
 * The example CDK app: one Node.js function with the telemetry layer attached, exporting OTLP to
 * an endpoint given at synth time. Used by the synth tests, the end-to-end tests and the demo.
 */
import * as path from 'path';
import { App, DockerImage, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import * as esbuild from 'esbuild';
import { FlushStrategy, NodeJsSource, OtlpReceiver, TelemetryExtensionLayer, TelemetryQueueLimits, TelemetrySink, TelemetryType } from '../../lib';

export interface ExampleStackProps extends StackProps {
  /** OTLP/HTTP base endpoint (the default sink). */
  readonly otlpEndpoint?: string;
  /** Another sink instead of OTLP to `otlpEndpoint`. */
  readonly sink?: TelemetrySink;
  readonly flushStrategy?: FlushStrategy;
  readonly logFormat?: lambda.LoggingFormat;
  readonly queue?: TelemetryQueueLimits;
  readonly nodeJs?: NodeJsSource;
  readonly types?: TelemetryType[];
  /**
   * The extension's listener port (the layer's `port` prop). Tests and the demo pass a free one:
   * in Lambda every sandbox has its own network, here every run shares the host.
   * @default 4243 (the layer's default)
   */
  readonly port?: number;
  /**
   * The extension's OTLP receiver for the function's own telemetry (the layer's `otlpReceiver`
   * prop): the example function exports its spans there when `attachTo` points it at one.
   * @default - the layer's default (`OtlpReceiver.http()` on 4318 with the OTLP sink)
   */
  readonly otlpReceiver?: OtlpReceiver;
}

export const EXAMPLE_STACK_NAME = 'TelemetryExample';
export const EXAMPLE_FUNCTION_ID = 'Example';

export class ExampleStack extends Stack {
  public readonly fn: lambda.Function;
  public readonly telemetry: TelemetryExtensionLayer;

  constructor(scope: Construct, id: string, props: ExampleStackProps) {
    super(scope, id, props);
    this.fn = new lambda.Function(this, EXAMPLE_FUNCTION_ID, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: exampleFunctionCode(),
      memorySize: 128,
      timeout: Duration.seconds(3),
      loggingFormat: props.logFormat ?? lambda.LoggingFormat.TEXT,
    });
    this.telemetry = new TelemetryExtensionLayer(this, 'Telemetry', {
      types: props.types ?? [TelemetryType.PLATFORM, TelemetryType.FUNCTION],
      sink: props.sink ?? TelemetrySink.otlp({ endpoint: props.otlpEndpoint ?? 'http://127.0.0.1:4318', serviceName: 'telemetry-example' }),
      flushStrategy: props.flushStrategy,
      queue: props.queue,
      nodeJs: props.nodeJs,
      port: props.port,
      otlpReceiver: props.otlpReceiver,
    });
    this.telemetry.attachTo(this.fn);
  }
}

const HANDLER_DIR = path.join(__dirname, 'handler');

/**
 * handler/index.ts with the OpenTelemetry SDK it imports, bundled by esbuild into `index.js` at
 * synth time (local bundling, as `NodejsFunction` does; no Docker): a Lambda zip carries its
 * node_modules inside.
 */
function exampleFunctionCode(): lambda.Code {
  return lambda.Code.fromAsset(HANDLER_DIR, {
    bundling: {
      image: DockerImage.fromRegistry('local-bundling-only'),
      local: {
        tryBundle(outputDir: string): boolean {
          esbuild.buildSync({
            entryPoints: [path.join(HANDLER_DIR, 'index.ts')],
            outfile: path.join(outputDir, 'index.js'),
            bundle: true,
            platform: 'node',
            target: 'node22',
            format: 'cjs',
            logLevel: 'warning',
          });
          return true;
        },
      },
    },
  });
}

/** Synthesizes the example app into `outdir` and returns the cloud assembly directory. */
export function synthExample(outdir: string, props: ExampleStackProps): string {
  // Like `cdk synth`: record each resource's asset path in its metadata (the emulator reads it).
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  new ExampleStack(app, EXAMPLE_STACK_NAME, props);
  return app.synth().directory;
}
