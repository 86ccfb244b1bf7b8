/**
 * The function side, in-process: the real OpenTelemetry JS SDK (tracer and logger providers) makes
 * an invocation's spans (a SERVER `handler` span and a child `work`) and log records; the official
 * OTLP serializer encodes them as the SDK's OTLP/HTTP protobuf exporter would send them, and the
 * receiver's own `decodeRequest` turns the bytes into the {@link FunctionTelemetry} items the
 * converter gets.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseXRayHeader } from '../../extension-src/otlp/trace-context';
import { decodeRequest, type FunctionLogs, type FunctionTraces } from '../../extension-src/receiver';

export interface FunctionInvocation {
  readonly requestId: string;
  readonly startMs: number;
  readonly endMs: number;
  /** `_X_AMZN_TRACE_ID`: the handler span continues that trace (as an X-Ray propagator would). */
  readonly xrayHeader?: string;
  /** Which attribute names the invocation on the handler span. Default `faas.invocation_id`. */
  readonly idAttribute?: 'faas.invocation_id' | 'faas.execution' | 'none';
  readonly fail?: boolean;
  /** Emit one log record inside the handler span. */
  readonly log?: boolean;
}

export interface HandlerIds {
  readonly traceId: string;
  readonly spanId: string;
}

export class FunctionSdk {
  private readonly spans = new InMemorySpanExporter();
  /** The SDK's own records, as a processor gets them (its export path is asynchronous). */
  private logs: SdkLogRecord[] = [];
  private readonly tracerProvider: BasicTracerProvider;
  private readonly loggerProvider: LoggerProvider;

  constructor() {
    const resource = resourceFromAttributes({ 'service.name': 'orders-fn', 'cloud.region': 'eu-west-3' });
    this.tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(this.spans)] });
    this.loggerProvider = new LoggerProvider({ resource, processors: [this.capture()] });
  }

  private capture(): LogRecordProcessor {
    return {
      onEmit: (record) => void this.logs.push(record),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
  }

  /** One handler run: its spans (and log record) are finished, not exported yet. */
  invoke(inv: FunctionInvocation): HandlerIds {
    const tracer = this.tracerProvider.getTracer('orders-fn', '1.0.0');
    const xray = parseXRayHeader(inv.xrayHeader);
    const parent = xray?.parentSpanId
      ? trace.setSpanContext(ROOT_CONTEXT, { traceId: xray.traceId, spanId: xray.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
      : ROOT_CONTEXT;
    const attributes: Attributes = { 'faas.trigger': 'other' };
    if ((inv.idAttribute ?? 'faas.invocation_id') !== 'none') attributes[inv.idAttribute ?? 'faas.invocation_id'] = inv.requestId;
    const handler = tracer.startSpan('handler', { kind: SpanKind.SERVER, startTime: inv.startMs, attributes }, parent);
    const inside = trace.setSpan(parent, handler);
    tracer.startSpan('work', { startTime: inv.startMs + 1 }, inside).end(inv.endMs - 1);
    if (inv.log) {
      context.with(inside, () => this.loggerProvider.getLogger('orders-fn').emit({
        severityNumber: SeverityNumber.INFO, body: `handled ${inv.requestId}`, timestamp: inv.startMs + 1, context: inside,
      }));
    }
    if (inv.fail) handler.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    handler.end(inv.endMs);
    return { traceId: handler.spanContext().traceId, spanId: handler.spanContext().spanId };
  }

  /** What a forceFlush sends now (OTLP/HTTP protobuf, or JSON): the finished spans as the receiver decodes them. */
  traces(encoding: 'protobuf' | 'json' = 'protobuf'): FunctionTraces {
    const finished = this.spans.getFinishedSpans();
    this.spans.reset();
    const body = (encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(finished) as Uint8Array;
    return { source: 'function', signal: 'traces', items: finished.length, receivedAtMs: Date.now(), encoding, resourceSpans: decodeRequest('traces', encoding, body).resourceSpans };
  }

  /** The finished log records as the receiver decodes them. */
  async logRecords(): Promise<FunctionLogs> {
    await this.loggerProvider.forceFlush();
    const finished = this.logs;
    this.logs = [];
    const body = ProtobufLogsSerializer.serializeRequest(finished) as Uint8Array;
    return { source: 'function', signal: 'logs', items: finished.length, receivedAtMs: Date.now(), encoding: 'protobuf', resourceLogs: decodeRequest('logs', 'protobuf', body).resourceLogs };
  }
}
