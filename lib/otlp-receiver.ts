import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { OtlpReceiverBindContext, OtlpReceiverBinding } from './bindings';
import { ENV, inRange, LIMITS } from './config/contract';
import { numberString } from './config/validate';
import { OTEL_ENDPOINT, OTEL_PROTOCOL } from './otlp-sdk-environment';
import { inPython } from './prop-names';

/** Options of `OtlpReceiver.http()`. */
export interface OtlpReceiverHttpOptions {
  /**
   * The port the receiver listens on, on 127.0.0.1 inside the execution environment. Allowed:
   * 1024 to 65535, except 9001 (the Lambda Runtime API's) and the listener's `port`.
   *
   * @default 4318 - the OpenTelemetry SDKs' default OTLP/HTTP port
   */
  readonly port?: number;
}

/**
 * The extension's local OTLP/HTTP receiver for the function's own telemetry (spans, logs and
 * metrics from an OpenTelemetry SDK in the function, in any language).
 *
 * With a receiver, `attachTo` points the function's SDK at it with the standard variables
 * `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:<port>` and
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`: the SDK needs no code change. The extension
 * queues what it receives with the platform's events and exports both through the sink, so the
 * function's export returns after a loopback round trip instead of waiting for the backend.
 */
export abstract class OtlpReceiver {
  /**
   * OTLP/HTTP (protobuf or JSON, `/v1/traces`, `/v1/metrics`, `/v1/logs`) on
   * `127.0.0.1:<port>`. The default when the sink forwards OTLP (`TelemetrySink.otlp()`); with
   * the other sinks, what the receiver gets is written in the sink's own format.
   */
  public static http(options: OtlpReceiverHttpOptions = {}): OtlpReceiver {
    return new HttpOtlpReceiver(options.port ?? LIMITS.otlpReceiverPort.default);
  }

  /**
   * No receiver: the extension exports only what the Lambda platform reports, and the function's
   * environment gets no `OTEL_EXPORTER_OTLP_*` variable. The default with the HTTP and stdout
   * sinks.
   */
  public static disabled(): OtlpReceiver {
    return new DisabledOtlpReceiver();
  }

  /** @internal */
  public abstract _bind(scope: IConstruct, context: OtlpReceiverBindContext): OtlpReceiverBinding;
}

/** The prop the receiver's port is given in, as messages name it. */
const PORT_PROP = 'otlpReceiver port';

class HttpOtlpReceiver extends OtlpReceiver {
  constructor(private readonly port: number) {
    super();
  }

  /** @internal */
  public _bind(_scope: IConstruct, context: OtlpReceiverBindContext): OtlpReceiverBinding {
    const port = this.port;
    const range = LIMITS.otlpReceiverPort;
    if (!Token.isUnresolved(port) && (!inRange(port, range) || LIMITS.reservedPorts.includes(port))) {
      throw new Error(
        `${PORT_PROP} must be an integer from ${range.min} to ${range.max} other than ${LIMITS.reservedPorts.join(', ')} (the Lambda Runtime API's port), got ${port}${inPython(PORT_PROP)}`,
      );
    }
    if (port === context.listenerPort) {
      throw new Error(
        `${PORT_PROP} must differ from port, the Telemetry API listener's, but both are ${numberString(port)}: give OtlpReceiver.http() another port, or the layer another port${inPython(PORT_PROP)}`,
      );
    }
    const portString = numberString(port);
    return {
      environment: { [ENV.OTLP_RECEIVER_PORT]: portString },
      sdkEnvironment: {
        [OTEL_ENDPOINT]: `http://localhost:${portString}`,
        [OTEL_PROTOCOL]: 'http/protobuf',
      },
    };
  }
}

class DisabledOtlpReceiver extends OtlpReceiver {
  /** @internal */
  public _bind(_scope: IConstruct, _context: OtlpReceiverBindContext): OtlpReceiverBinding {
    return { environment: {}, sdkEnvironment: {} };
  }
}
