import { Annotations, Stack } from 'aws-cdk-lib';
import type { Environment } from './bindings';
import type { AttachableFunction } from './runtime-compatibility';

/**
 * The function side of the OTLP receiver: the variables of the OpenTelemetry specification that
 * point every SDK's OTLP exporter at it, and the rule that the function's own values win.
 */

/** The variables of the OpenTelemetry specification that every SDK's OTLP exporter reads. */
export const OTEL_ENDPOINT = 'OTEL_EXPORTER_OTLP_ENDPOINT';
export const OTEL_PROTOCOL = 'OTEL_EXPORTER_OTLP_PROTOCOL';
/** Per-signal variables, which take precedence over the two above in every SDK. */
const OTEL_SIGNAL_VARIABLES = ['TRACES', 'METRICS', 'LOGS'].flatMap((signal) => [
  `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`,
  `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`,
]);

/**
 * The `OTEL_EXPORTER_OTLP_*` entries to set on `fn`, given what it already has: the function's
 * own settings win. The endpoint and the protocol go together (a gRPC endpoint of the user's
 * with our `http/protobuf`, or the user's `grpc` against our HTTP receiver, would both fail),
 * so when the function sets either to another value than the receiver's, neither is set, and a
 * warning (`cdk-telemetry-extension:otelExporterKept`) says where its SDK exports instead. A
 * per-signal variable of the function's is kept too and named in the same warning.
 */
export function sdkEnvironmentFor(fn: AttachableFunction, current: { [key: string]: unknown }, sdk: Environment, layerPath: string): Environment {
  if (Object.keys(sdk).length === 0) return {};
  const stack = Stack.of(fn);
  const shown = (value: unknown) => JSON.stringify(stack.resolve(value));
  const theirs = Object.keys(sdk).filter((key) => key in current && shown(current[key]) !== shown(sdk[key]));
  const perSignal = OTEL_SIGNAL_VARIABLES.filter((key) => key in current);
  const kept = [...theirs, ...perSignal];
  if (kept.length > 0) {
    const settings = kept.map((key) => `${key}=${shown(current[key])}`).join(', ');
    const consequence =
      theirs.length > 0
        ? `its OpenTelemetry SDK exports where they say, not to the OTLP receiver of ${layerPath} (${shown(sdk[OTEL_ENDPOINT])}), and neither ${OTEL_ENDPOINT} nor ${OTEL_PROTOCOL} was set`
        : `per-signal variables take precedence, so those signals do not go to the OTLP receiver of ${layerPath} (${shown(sdk[OTEL_ENDPOINT])})`;
    Annotations.of(fn).addWarningV2(
      'cdk-telemetry-extension:otelExporterKept',
      `The function already sets ${settings}: kept; ${consequence}. Remove ${kept.length > 1 ? 'them' : 'it'} to send the function's telemetry through the extension, or use OtlpReceiver.disabled() for the otlpReceiver prop (\`otlp_receiver\` in Python) if the function exports elsewhere on purpose.`,
    );
  }
  return theirs.length > 0 ? {} : sdk;
}
