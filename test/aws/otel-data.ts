/**
 * Real telemetry for the tests, made by the OpenTelemetry JS SDK (not by hand): ended spans, emitted
 * log records and collected metrics, as the extension's OTLP sink hands them to the serializers.
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

const RESOURCE = resourceFromAttributes({ 'service.name': 'split-test', 'cloud.provider': 'aws', 'cloud.region': 'eu-central-1' });

/** `count` ended spans; `padding` characters of attribute text make each one bigger. */
export async function makeSpans(count: number, padding = 0): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: RESOURCE, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('split-test', '1.0.0');
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`op-${i}`, { attributes: { 'test.index': i, 'test.padding': 'x'.repeat(padding) } });
    span.end();
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** `count` log records with bodies of about `bodyLength` characters. */
export async function makeLogRecords(count: number, bodyLength = 10): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: RESOURCE, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('split-test', '1.0.0');
  for (let i = 0; i < count; i++) {
    logger.emit({ body: `record ${i} ${'y'.repeat(bodyLength)}`, severityText: 'INFO', severityNumber: 9, attributes: { 'test.index': i } });
  }
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Collected metrics: for each of `instruments` counters (two scopes, alternating), `pointsEach`
 * data points (one per attribute set), plus one histogram with as many points.
 */
export async function makeMetrics(instruments: number, pointsEach: number): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource: RESOURCE, readers: [reader] });
  const meters = [provider.getMeter('scope-a', '1.0.0'), provider.getMeter('scope-b', '2.0.0')];
  for (let c = 0; c < instruments; c++) {
    const counter = meters[c % 2].createCounter(`test.counter.${c}`, { unit: '{event}' });
    for (let p = 0; p < pointsEach; p++) counter.add(p + 1, { 'test.point': p });
  }
  const histogram = meters[0].createHistogram('test.duration', { unit: 'ms' });
  for (let p = 0; p < pointsEach; p++) histogram.record(p * 1.5, { 'test.point': p });
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw new Error(`metric collection failed: ${errors.join(', ')}`);
  await provider.shutdown();
  return resourceMetrics;
}
