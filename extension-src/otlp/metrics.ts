/**
 * Metrics derived from Telemetry API events, accumulated per export batch and handed to the OTLP
 * serializers as plain `MetricData` (no MeterProvider: events are the measurements already).
 *
 * Names follow the OTel FaaS semantic conventions where they exist (`faas.*`); the rest are
 * `aws.lambda.*`. Event-derived metrics are DELTA (each batch reports what it saw, windows are
 * contiguous); self-telemetry from {@link Counters} is CUMULATIVE since the extension started.
 */
import { ValueType, type Attributes } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  type MetricData,
  type SumMetricData,
  type GaugeMetricData,
} from '@opentelemetry/sdk-metrics';
import type { CountersSnapshot } from '../stats/counters';

export interface MetricDefinition {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly kind: 'histogram' | 'sum' | 'gauge';
  readonly valueType: ValueType;
  /** Histograms: explicit bucket upper bounds. */
  readonly boundaries?: readonly number[];
}

/** Seconds: short Lambda invocations up to the 15-minute maximum. */
export const DURATION_BOUNDARIES_S: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600, 900,
];

const MiB = 1024 * 1024;
/** Bytes: the Lambda memory sizes people use, 128 MB to 10 GB. */
export const MEMORY_BOUNDARIES_BYTES: readonly number[] = [64, 128, 256, 512, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 10240].map((mb) => mb * MiB);

function histogram(name: string, unit: string, description: string, boundaries: readonly number[]): MetricDefinition {
  return { name, unit, description, kind: 'histogram', valueType: ValueType.DOUBLE, boundaries };
}

function sum(name: string, unit: string, description: string): MetricDefinition {
  return { name, unit, description, kind: 'sum', valueType: ValueType.INT };
}

/** Event-derived metrics. */
export const FAAS_METRICS = {
  invokeDuration: histogram('faas.invoke_duration', 's', 'Duration of the function invocations (platform.report durationMs)', DURATION_BOUNDARIES_S),
  initDuration: histogram('faas.init_duration', 's', 'Duration of the execution environment initialization (platform.initReport)', DURATION_BOUNDARIES_S),
  coldstarts: sum('faas.coldstarts', '{coldstart}', 'Invocations that were the first of their execution environment'),
  errors: sum('faas.errors', '{error}', 'Invocations that ended with status error or failure'),
  timeouts: sum('faas.timeouts', '{timeout}', 'Invocations that timed out'),
  memUsage: histogram('faas.mem_usage', 'By', 'Maximum memory used per invocation (platform.report maxMemoryUsedMB)', MEMORY_BOUNDARIES_BYTES),
  billedDuration: histogram('aws.lambda.billed_duration', 's', 'Billed duration per invocation (platform.report billedDurationMs)', DURATION_BOUNDARIES_S),
  memorySize: { name: 'aws.lambda.memory_size', unit: 'By', description: 'Memory configured for the function (platform.report memorySizeMB)', kind: 'gauge', valueType: ValueType.INT } as MetricDefinition,
  restoreDuration: histogram('aws.lambda.restore_duration', 's', 'Duration of SnapStart restores (platform.restoreReport)', DURATION_BOUNDARIES_S),
  logsDropped: sum('aws.lambda.logs_dropped', '{record}', 'Telemetry records Lambda dropped (platform.logsDropped droppedRecords)'),
} as const;

/** Self-telemetry, from the extension's counters. */
export const SELF_METRICS: ReadonlyArray<{ readonly key: keyof CountersSnapshot | 'evictedInvocations'; readonly def: MetricDefinition }> = [
  { key: 'received', def: sum('telemetry_extension.events.received', '{event}', 'Events received from the Telemetry API') },
  { key: 'invalid', def: sum('telemetry_extension.events.invalid', '{event}', 'Events that broke their schema (dropped)') },
  { key: 'unknown', def: sum('telemetry_extension.events.unknown', '{event}', 'Events of a type this version does not know') },
  { key: 'rejected', def: sum('telemetry_extension.events.rejected', '{event}', 'Events refused with 503 because the queue was full') },
  { key: 'filtered', def: sum('telemetry_extension.events.filtered', '{event}', 'Function and extension log records below the minimum log level (left out on purpose)') },
  { key: 'dropped', def: sum('telemetry_extension.events.dropped', '{event}', 'Events lost (queue overflow, exports given up on)') },
  { key: 'exported', def: sum('telemetry_extension.events.exported', '{event}', 'Events delivered to the sink') },
  { key: 'failedExports', def: sum('telemetry_extension.exports.failed', '{request}', 'Export requests that failed (each retry counts)') },
  { key: 'evictedInvocations', def: sum('telemetry_extension.invocations.evicted', '{invocation}', 'Open invocations forgotten because too many were open') },
];

interface HistogramState {
  readonly def: MetricDefinition;
  count: number;
  sum: number;
  min: number;
  max: number;
  readonly counts: number[];
}

/** Measurements of one batch. */
export class BatchMetrics {
  private readonly histograms = new Map<string, HistogramState>();
  private readonly sums = new Map<string, { def: MetricDefinition; value: number }>();
  private readonly gauges = new Map<string, { def: MetricDefinition; value: number; timeMs: number }>();
  private maxTimeMs = -Infinity;
  private minTimeMs = Infinity;

  get isEmpty(): boolean {
    return this.histograms.size === 0 && this.sums.size === 0 && this.gauges.size === 0;
  }

  record(def: MetricDefinition, value: number, timeMs: number): void {
    if (!Number.isFinite(value)) return;
    this.touch(timeMs);
    if (def.kind === 'sum') {
      const state = this.sums.get(def.name) ?? { def, value: 0 };
      state.value += value;
      this.sums.set(def.name, state);
    } else if (def.kind === 'gauge') {
      this.gauges.set(def.name, { def, value, timeMs });
    } else {
      const bounds = def.boundaries ?? [];
      let state = this.histograms.get(def.name);
      if (!state) {
        state = { def, count: 0, sum: 0, min: Infinity, max: -Infinity, counts: new Array<number>(bounds.length + 1).fill(0) };
        this.histograms.set(def.name, state);
      }
      state.count++;
      state.sum += value;
      state.min = Math.min(state.min, value);
      state.max = Math.max(state.max, value);
      // Explicit buckets are upper-inclusive: (bounds[i-1], bounds[i]].
      let index = bounds.findIndex((bound) => value <= bound);
      if (index < 0) index = bounds.length;
      state.counts[index]++;
    }
  }

  /** Earliest / latest event time measured, or undefined when empty. */
  get timeRange(): { readonly startMs: number; readonly endMs: number } | undefined {
    return this.isEmpty ? undefined : { startMs: this.minTimeMs, endMs: this.maxTimeMs };
  }

  /** DELTA data for the window [startMs, endMs]. */
  toMetricData(startMs: number, endMs: number): MetricData[] {
    const startTime = millisToHrTime(startMs);
    const endTime = millisToHrTime(endMs);
    const attributes: Attributes = {};
    const out: MetricData[] = [];
    for (const h of this.histograms.values()) {
      const data: HistogramMetricData = {
        descriptor: descriptor(h.def),
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: [{
          startTime,
          endTime,
          attributes,
          value: {
            buckets: { boundaries: [...(h.def.boundaries ?? [])], counts: [...h.counts] },
            count: h.count,
            sum: h.sum,
            min: h.min,
            max: h.max,
          },
        }],
      };
      out.push(data);
    }
    for (const s of this.sums.values()) out.push(sumData(s.def, s.value, startTime, endTime, AggregationTemporality.DELTA));
    for (const g of this.gauges.values()) {
      const data: GaugeMetricData = {
        descriptor: descriptor(g.def),
        aggregationTemporality: AggregationTemporality.DELTA,
        dataPointType: DataPointType.GAUGE,
        dataPoints: [{ startTime: millisToHrTime(g.timeMs), endTime: millisToHrTime(g.timeMs), attributes, value: g.value }],
      };
      out.push(data);
    }
    return out;
  }

  private touch(timeMs: number): void {
    this.minTimeMs = Math.min(this.minTimeMs, timeMs);
    this.maxTimeMs = Math.max(this.maxTimeMs, timeMs);
  }
}

/** Counts by source: one data point per source and outcome (the `<source>.<outcome>` snapshot keys). */
export const SOURCE_RECORDS_METRIC = sum(
  'telemetry_extension.source.records',
  '{record}',
  'Records by source (telemetry-api events; function spans, data points, log records) and outcome (received, invalid, unknown, rejected, exported, dropped)',
);

/** CUMULATIVE self-telemetry since `sinceMs`. */
export function selfTelemetryData(values: Readonly<Record<string, number>>, sinceMs: number, nowMs: number): MetricData[] {
  const startTime = millisToHrTime(sinceMs);
  const endTime = millisToHrTime(Math.max(sinceMs, nowMs));
  const data = SELF_METRICS.map(({ key, def }) => sumData(def, values[key] ?? 0, startTime, endTime, AggregationTemporality.CUMULATIVE));
  const bySource = sourceDataPoints(values, startTime, endTime);
  if (bySource.length > 0) {
    data.push({ ...sumData(SOURCE_RECORDS_METRIC, 0, startTime, endTime, AggregationTemporality.CUMULATIVE), dataPoints: bySource });
  }
  return data;
}

function sourceDataPoints(values: Readonly<Record<string, number>>, startTime: [number, number], endTime: [number, number]) {
  const points = [];
  for (const [key, value] of Object.entries(values)) {
    const dot = key.lastIndexOf('.');
    if (dot <= 0) continue;
    const attributes = { 'telemetry_extension.source': key.slice(0, dot), 'telemetry_extension.outcome': key.slice(dot + 1) };
    points.push({ startTime, endTime, attributes, value });
  }
  return points;
}

function sumData(
  def: MetricDefinition,
  value: number,
  startTime: [number, number],
  endTime: [number, number],
  temporality: AggregationTemporality,
): SumMetricData {
  return {
    descriptor: descriptor(def),
    aggregationTemporality: temporality,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: [{ startTime, endTime, attributes: {}, value }],
  };
}

function descriptor(def: MetricDefinition) {
  return { name: def.name, unit: def.unit, description: def.description, valueType: def.valueType };
}
