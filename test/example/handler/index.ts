/**
 * The example function, instrumented with the OpenTelemetry JS SDK: each invocation is a SERVER
 * span `handler` (with `faas.invocation_id`) and a child span `work`, exported with the SDK's
 * OTLP/HTTP protobuf exporter to `OTEL_EXPORTER_OTLP_ENDPOINT` (what `attachTo` sets: the
 * extension's OTLP receiver) and flushed before the handler returns, as a Lambda function must
 * (it is frozen afterwards). Without that variable the spans are made but not exported.
 *
 * It succeeds, fails, is slow, crashes or hangs (a timeout) depending on `event.action`.
 * Bundled with its node_modules by the example app (../app.ts) with esbuild.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const exporting = process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
const provider = new NodeTracerProvider({
  spanProcessors: exporting ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [],
});
provider.register();
const tracer = trace.getTracer('example-function', '1.0.0');

interface ExampleEvent {
  readonly action?: 'ok' | 'fail' | 'slow' | 'crash' | 'hang';
}

async function work(action: string): Promise<void> {
  await tracer.startActiveSpan('work', async (span) => {
    try {
      if (action === 'slow') await new Promise((resolve) => setTimeout(resolve, 300));
      if (action === 'crash') process.exit(3);
      if (action === 'hang') await new Promise((resolve) => setTimeout(resolve, 60_000));
    } finally {
      span.end();
    }
  });
}

/**
 * A flush to the extension on localhost takes about a loopback round trip; this bound only
 * matters when nothing listens there (the SDK retries): telemetry never makes the function time out.
 */
const FLUSH_BOUND_MS = 500;

/** The spans reach the extension before the function freezes; an unreachable endpoint is not the caller's failure. */
async function flush(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), FLUSH_BOUND_MS);
  });
  try {
    const outcome = await Promise.race([provider.forceFlush(), bound]);
    if (outcome === 'late') console.warn(`span export still pending after ${FLUSH_BOUND_MS} ms`);
  } catch (error) {
    console.warn(`span export failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

export async function handler(event: ExampleEvent | undefined, context: { awsRequestId: string }): Promise<{ ok: true; action: string }> {
  const action = event?.action ?? 'ok';
  console.log(`handling ${action}`);
  try {
    return await tracer.startActiveSpan('handler', {
      kind: SpanKind.SERVER,
      attributes: { 'faas.invocation_id': context.awsRequestId, 'faas.trigger': 'other' },
    }, async (span) => {
      try {
        await work(action);
        if (action === 'fail') {
          console.warn('about to fail');
          throw new Error('the example function was asked to fail');
        }
        return { ok: true as const, action };
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  } finally {
    await flush();
  }
}
