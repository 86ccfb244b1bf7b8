/**
 * The OTLP/HTTP sink: events are mapped by {@link OtlpConverter}, encoded by
 * @opentelemetry/otlp-transformer's serializers (protobuf or JSON, never by hand) and POSTed to
 * `<endpoint>/v1/traces|metrics|logs`, each signal concurrently, each with retry (./retry.ts).
 *
 * Requests that fail for a reason that may pass are kept and sent again at the next export (see
 * ../retry-backlog.ts): a collector outage loses nothing while the backlog holds.
 *
 * Accounting: an event is exported when every request that carried records derived from it was
 * delivered (events that produce no record, e.g. `platform.start` or unknown types, count as
 * exported at once); it is dropped when one of them is dropped. An outcome counts what was
 * settled during the call, events of earlier calls included. Dropped events and failed attempts
 * are added to the counters here; `exported` is the caller's to add from the outcome.
 */
import type { InstrumentationScope } from '@opentelemetry/core';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { OtlpProtocolName, CompressionName } from '../../../lib/config/contract';
import { EXTENSION_NAME } from '../../../lib/config/contract';
import { RateLimitedLog } from '../../log';
import { OtlpConverter, type OtlpBatch } from '../../otlp/converter';
import { signalUrl, type OtlpSignal } from '../../otlp/endpoints';
import { BatchMetrics, selfTelemetryData } from '../../otlp/metrics';
import type { Signals } from '../../otlp/signals';
import type { IdGenerator } from '../../otlp/trace-context';
import type { Counters } from '../../stats/counters';
import type { ParsedEvent } from '../../telemetry/schemas';
import { HttpTransport } from '../http-transport';
import { EXTENSION_VERSION, type ResourceAttributes } from '../resource';
import type { RetryClock, RetryPolicy } from '../retry';
import { EventGroup, RetryBacklog, type BacklogLimits, type BacklogRequest, type Tally } from '../retry-backlog';
import type { ExportOutcome, Sink } from '../sink';

export interface OtlpSinkOptions {
  /** Base endpoint, as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  readonly protocol: OtlpProtocolName;
  /** Plain and secret headers, merged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: CompressionName;
  readonly timeoutMs: number;
  readonly resource: ResourceAttributes;
  readonly counters: Counters;
  /** Name of invocation spans; default `service.name`/`faas.name`. */
  readonly spanName?: string;
  /** Self-telemetry rides along with every metrics request, and at least this often. Default 60 s. */
  readonly selfTelemetryIntervalMs?: number;
  readonly maxOpenInvocations?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly clock?: RetryClock;
  readonly ids?: IdGenerator;
  /** Bounds of the requests kept for retry. Default {@link DEFAULT_BACKLOG_LIMITS}. */
  readonly backlogLimits?: Partial<BacklogLimits>;
}

interface Serializers {
  readonly contentType: string;
  traces(spans: OtlpBatch['spans']): Uint8Array | undefined;
  metrics(metrics: ResourceMetrics): Uint8Array | undefined;
  logs(logs: OtlpBatch['logs']): Uint8Array | undefined;
}

const PROTOBUF: Serializers = {
  contentType: 'application/x-protobuf',
  traces: (spans) => ProtobufTraceSerializer.serializeRequest(spans),
  metrics: (metrics) => ProtobufMetricsSerializer.serializeRequest(metrics),
  logs: (logs) => ProtobufLogsSerializer.serializeRequest(logs),
};

const JSON_SERIALIZERS: Serializers = {
  contentType: 'application/json',
  traces: (spans) => JsonTraceSerializer.serializeRequest(spans),
  metrics: (metrics) => JsonMetricsSerializer.serializeRequest(metrics),
  logs: (logs) => JsonLogsSerializer.serializeRequest(logs),
};

export class OtlpSink implements Sink {
  readonly name = 'otlp';
  /** Requests kept for retry. */
  readonly backlog: RetryBacklog;
  private readonly transport: HttpTransport;
  private readonly converter: OtlpConverter;
  private readonly serializers: Serializers;
  private readonly urls: Readonly<Record<OtlpSignal, URL>>;
  private readonly resource: Resource;
  private readonly scope: InstrumentationScope = { name: EXTENSION_NAME, version: EXTENSION_VERSION };
  private readonly failures = new RateLimitedLog(5, 60_000);
  private readonly startedMs: number;
  private lastSelfTelemetryMs: number;
  private metricsWindowEndMs?: number;
  private closed = false;

  constructor(private readonly options: OtlpSinkOptions) {
    this.urls = {
      traces: signalUrl(options.endpoint, 'traces'),
      metrics: signalUrl(options.endpoint, 'metrics'),
      logs: signalUrl(options.endpoint, 'logs'),
    };
    this.serializers = options.protocol === 'http/json' ? JSON_SERIALIZERS : PROTOBUF;
    this.transport = new HttpTransport({
      headers: options.headers,
      compression: options.compression,
      userAgent: `${EXTENSION_NAME}/${EXTENSION_VERSION}`,
    });
    this.backlog = new RetryBacklog({
      transport: this.transport,
      timeoutMs: options.timeoutMs,
      counters: options.counters,
      failures: this.failures,
      what: 'OTLP export',
      limits: options.backlogLimits,
      policy: options.retryPolicy,
      clock: options.clock,
    });
    this.resource = resourceFromAttributes(options.resource);
    const spanName = options.spanName ?? String(options.resource['faas.name'] ?? options.resource['service.name'] ?? 'invoke');
    this.converter = new OtlpConverter({
      resource: this.resource,
      scope: this.scope,
      spanName,
      maxOpenInvocations: options.maxOpenInvocations,
      ids: options.ids,
    });
    this.startedMs = this.now();
    this.lastSelfTelemetryMs = this.startedMs;
  }

  async export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome> {
    if (this.closed) return this.drop(events.length);
    let batch: OtlpBatch;
    try {
      batch = this.converter.convert(events);
    } catch (err) {
      this.failures.warn('OTLP mapping failed; batch dropped', { events: events.length, error: describe(err) });
      return this.drop(events.length);
    }
    const withSelf = !batch.metrics.isEmpty || this.now() - this.lastSelfTelemetryMs >= (this.options.selfTelemetryIntervalMs ?? 60_000);
    const tally: Tally = { exported: 0, dropped: 0 };
    // Events with the same signals depend on the same requests: one group per combination.
    const counts = new Map<Signals, number>();
    for (const signals of batch.contributions) {
      if (signals.size === 0) tally.exported++;
      else counts.set(signals, (counts.get(signals) ?? 0) + 1);
    }
    const groups = [...counts].map(([signals, count]) => ({ signals, group: new EventGroup(count) }));
    await this.send(batch, withSelf, deadline, groups, tally);
    return tally;
  }

  async shutdown(deadline: number): Promise<ExportOutcome> {
    const tally: Tally = { exported: 0, dropped: 0 };
    if (this.closed) return tally;
    this.closed = true;
    try {
      const spans = this.converter.drain(this.now());
      await this.send({ spans, logs: [], metrics: new BatchMetrics(), contributions: [] }, true, deadline, [], tally);
    } catch (err) {
      this.failures.warn('OTLP shutdown flush failed', { error: describe(err) });
    } finally {
      this.backlog.close(tally);
      this.transport.close();
    }
    return tally;
  }

  /** Send what `batch` holds (after the backlog), the signals concurrently. */
  private async send(
    batch: OtlpBatch,
    withSelfTelemetry: boolean,
    deadline: number,
    groups: ReadonlyArray<{ readonly signals: Signals; readonly group: EventGroup }>,
    tally: Tally,
  ): Promise<void> {
    const bodies: Array<[OtlpSignal, () => Uint8Array | undefined]> = [];
    if (batch.spans.length > 0) bodies.push(['traces', () => this.serializers.traces(batch.spans)]);
    const metrics = this.resourceMetrics(batch, withSelfTelemetry);
    if (metrics) bodies.push(['metrics', () => this.serializers.metrics(metrics)]);
    if (batch.logs.length > 0) bodies.push(['logs', () => this.serializers.logs(batch.logs)]);
    const requests: BacklogRequest[] = [];
    for (const [signal, serialize] of bodies) {
      const dependents = groups.filter((g) => g.signals.has(signal)).map((g) => g.group);
      let body: Uint8Array | undefined;
      try {
        body = serialize();
        if (body === undefined) this.failures.warn('OTLP serialization produced nothing', { signal });
      } catch (err) {
        this.failures.warn('OTLP serialization failed', { signal, error: describe(err) });
      }
      if (body === undefined) {
        this.backlog.fail(dependents, tally);
        continue;
      }
      const prepared = await this.transport.prepare(body, this.serializers.contentType);
      requests.push(this.backlog.request(signal, this.urls[signal], prepared, dependents));
    }
    await this.backlog.send(requests, deadline, tally);
  }

  private resourceMetrics(batch: OtlpBatch, withSelfTelemetry: boolean): ResourceMetrics | undefined {
    const metrics = [];
    const range = batch.metrics.timeRange;
    if (range) {
      // Contiguous DELTA windows: each starts where the previous one ended.
      const startMs = Math.min(this.metricsWindowEndMs ?? range.startMs, range.startMs);
      const endMs = Math.max(range.endMs, startMs);
      this.metricsWindowEndMs = endMs;
      metrics.push(...batch.metrics.toMetricData(startMs, endMs));
    }
    if (withSelfTelemetry) {
      const now = this.now();
      this.lastSelfTelemetryMs = now;
      const values = { ...this.options.counters.snapshot(), evictedInvocations: this.converter.evictedInvocations };
      metrics.push(...selfTelemetryData(values, this.startedMs, now));
    }
    if (metrics.length === 0) return undefined;
    return { resource: this.resource, scopeMetrics: [{ scope: this.scope, metrics }] };
  }

  private drop(count: number): ExportOutcome {
    this.options.counters.dropped += count;
    return { exported: 0, dropped: count };
  }

  private now(): number {
    return this.options.clock?.now() ?? Date.now();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
