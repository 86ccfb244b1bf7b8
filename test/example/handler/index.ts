/**
 * The example function, instrumented with the OpenTelemetry JS SDK: each invocation is a SERVER
 * span `handler` (with `faas.invocation_id`) and a child span `work`, exported with the SDK's
 * OTLP/HTTP protobuf exporter to `OTEL_EXPORTER_OTLP_ENDPOINT` (what `attachTo` sets: the
 * extension's OTLP receiver) and flushed before the handler returns, as a Lambda function must
 * (it is frozen afterwards). Without that variable the spans are made but not exported.
 * With X-Ray active tracing (`_X_AMZN_TRACE_ID`, set by the runtime per invocation) the handler
 * span continues that trace, as the SDK's X-Ray propagator would.
 *
 * It succeeds, fails, is slow, crashes or hangs (a timeout) depending on `event.action`.
 * Bundled with its node_modules by the example app (../app.ts) with esbuild.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const exporting = process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
const provider = new NodeTracerProvider({
  spanProcessors: exporting ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [],
});
provider.register();
const tracer = trace.getTracer('example-function', '1.0.0');

/** The invocation's X-Ray trace as the handler span's remote parent (`Root=1-8hex-24hex;Parent=16hex;Sampled=0|1`). */
function xrayParent(header: string | undefined): Context {
  const fields = new Map((header ?? '').split(';').map((part) => part.trim().split('=') as [string, string]));
  const root = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/.exec(fields.get('Root') ?? '');
  const parent = fields.get('Parent') ?? '';
  if (!root || !/^[0-9a-f]{16}$/.test(parent)) return ROOT_CONTEXT;
  const traceFlags = fields.get('Sampled') === '0' ? TraceFlags.NONE : TraceFlags.SAMPLED;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: root[1] + root[2], spanId: parent, traceFlags, isRemote: true });
}

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
    }, xrayParent(process.env._X_AMZN_TRACE_ID), async (span) => {
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
