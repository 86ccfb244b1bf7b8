/**
 * The OTLP/HTTP sink: events are mapped by {@link OtlpConverter}, encoded by
 * @opentelemetry/otlp-transformer's serializers (protobuf or JSON, never by hand) and POSTed to
 * `<endpoint>/v1/traces|metrics|logs`, each signal concurrently, each with retry (./retry.ts).
 *
 * Requests that fail for a reason that may pass are kept and sent again at the next export (see
 * ../../delivery/backlog.ts): a collector outage loses nothing while the backlog holds.
 *
 * Accounting: an event is exported when every request that carried records derived from it was
 * delivered (events that produce no record, e.g. `platform.start` or unknown types, count as
 * exported at once); it is dropped when one of them is dropped. An outcome reports what was
 * settled during the call, events of earlier calls included; the export loop counts it. The
 * counters are only read here, for the self-telemetry metrics.
 *
 * The function's own data (items of the OTLP receiver) goes out with the platform's, resources
 * merged by the converter (`OtlpBatch.forward`), in the same request per signal: in protobuf the
 * platform's encoding followed by `encodeRequest` of the function's resources (two encodings of
 * one message type, concatenated, are the encoding of their merge: repeated fields append); in
 * OTLP/JSON the function's resources appended to the request's `resource*` array. Its records
 * (spans, data points, log records) are exported or dropped with the requests carrying them, and
 * reported apart in `outcome.function`.
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
import { splitForLimits, splitResourceMetrics, type RequestLimits as StrictLimits } from '../../aws/split-export';
import { EventGroup, newTally, type BacklogLimits, type RetryBacklog, type Tally } from '../../delivery/backlog';
import { Delivery, outcomeOf, type DeliveryJob } from '../../delivery/delivery';
import { splitToLimits, type Payload, type PayloadSplitter, type RequestLimits } from '../../delivery/payload';
import type { RetryClock, RetryPolicy } from '../../delivery/retry';
import type { RequestSigner } from '../../delivery/signing';
import { HttpTransport, type Transport } from '../../delivery/transport';
import { OtlpConverter, type OtlpBatch } from '../../otlp/converter';
import { signalUrl, type OtlpSignal } from '../../otlp/endpoints';
import type { Forward } from '../../otlp/forward';
import { selfTelemetryData } from '../../otlp/metrics';
import { signalsOf, type Signals } from '../../otlp/signals';
import type { IdGenerator } from '../../otlp/trace-context';
import { recordsOf, splitItems, type PipelineItem } from '../../pipeline/items';
import type { FunctionTelemetry } from '../../receiver/function-telemetry';
import { encodeRequest, toOtlpJson } from '../../receiver/otlp-codec';
import type { Counters } from '../../stats/counters';
import { EXTENSION_VERSION, type ResourceAttributes } from '../resource';
import type { ExportOptions, ExportOutcome, Sink } from '../sink';

export interface OtlpSinkOptions {
  /** Base endpoint, as `OTEL_EXPORTER_OTLP_ENDPOINT`. Required unless `urls` is given. */
  readonly endpoint?: string;
  /** The URL of each signal, instead of `endpoint` + `/v1/<signal>` (endpoints on different hosts). */
  readonly urls?: Readonly<Record<OtlpSignal, URL>>;
  /** The signals sent; records of the others are not even encoded. Default: all three. */
  readonly signals?: readonly OtlpSignal[];
  /** Headers of one signal's requests only (e.g. `x-aws-log-group`); signed like the others. */
  readonly signalHeaders?: Partial<Readonly<Record<OtlpSignal, Readonly<Record<string, string>>>>>;
  readonly protocol: OtlpProtocolName;
  /** Plain and secret headers, merged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: CompressionName;
  readonly timeoutMs: number;
  readonly resource: ResourceAttributes;
  /** Read (never written) for the self-telemetry metrics. */
  readonly counters: Pick<Counters, 'snapshot'>;
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
  /** Called before every attempt of every request; its headers are added (e.g. SigV4). Default: none. */
  readonly sign?: RequestSigner;
  /**
   * Per-request limits by signal: larger traces and logs requests are split (spans and log
   * records halved until each request fits). Default: none.
   */
  readonly requestLimits?: Partial<Readonly<Record<OtlpSignal, RequestLimits>>>;
  /**
   * Limits an endpoint enforces by refusing the request (../../aws/split-export.ts): records are cut
   * into requests within them before sending (metrics by data point), and a record that alone is
   * over a limit is never sent: the events of its signal in that export are dropped, counted and
   * reported. Default: none.
   */
  readonly strictLimits?: Partial<Readonly<Record<OtlpSignal, StrictLimits>>>;
  /** Decorates the wire (e.g. to report an endpoint's answers). Default: the HTTP transport as is. */
  readonly wrapTransport?: (wire: Transport) => Transport;
}

interface Serializers {
  readonly contentType: string;
  traces(spans: OtlpBatch['spans']): Uint8Array | undefined;
  metrics(metrics: ResourceMetrics): Uint8Array | undefined;
  logs(logs: OtlpBatch['logs']): Uint8Array | undefined;
  /** The platform's request (if any) with the function's resource-scoped data added. */
  merge(signal: OtlpSignal, platform: Uint8Array | undefined, forwarded: readonly object[]): Uint8Array | undefined;
}

/** The repeated field of each export request. */
const RESOURCE_FIELD = { traces: 'resourceSpans', metrics: 'resourceMetrics', logs: 'resourceLogs' } as const;

function requestOf(signal: OtlpSignal, forwarded: readonly object[]) {
  return { [RESOURCE_FIELD[signal]]: forwarded } as never;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function mergeProtobuf(signal: OtlpSignal, platform: Uint8Array | undefined, forwarded: readonly object[]): Uint8Array | undefined {
  if (forwarded.length === 0) return platform;
  const own = encodeRequest(signal, requestOf(signal, forwarded));
  return platform ? concat(platform, own) : own;
}

function mergeJson(signal: OtlpSignal, platform: Uint8Array | undefined, forwarded: readonly object[]): Uint8Array | undefined {
  if (forwarded.length === 0) return platform;
  const field = RESOURCE_FIELD[signal];
  const own = toOtlpJson(signal, requestOf(signal, forwarded))[field] as unknown[] | undefined;
  const request = platform ? (JSON.parse(Buffer.from(platform).toString('utf8')) as Record<string, unknown[]>) : {};
  request[field] = [...(request[field] ?? []), ...(own ?? [])];
  return Buffer.from(JSON.stringify(request), 'utf8');
}

const PROTOBUF: Serializers = {
  contentType: 'application/x-protobuf',
  traces: (spans) => ProtobufTraceSerializer.serializeRequest(spans),
  metrics: (metrics) => ProtobufMetricsSerializer.serializeRequest(metrics),
  logs: (logs) => ProtobufLogsSerializer.serializeRequest(logs),
  merge: mergeProtobuf,
};

const JSON_SERIALIZERS: Serializers = {
  contentType: 'application/json',
  traces: (spans) => JsonTraceSerializer.serializeRequest(spans),
  metrics: (metrics) => JsonMetricsSerializer.serializeRequest(metrics),
  logs: (logs) => JsonLogsSerializer.serializeRequest(logs),
  merge: mergeJson,
};

export class OtlpSink implements Sink {
  readonly name = 'otlp';
  private readonly delivery: Delivery;
  private readonly converter: OtlpConverter;
  private readonly serializers: Serializers;
  private readonly urls: Readonly<Record<OtlpSignal, URL>>;
  private readonly resource: Resource;
  private readonly scope: InstrumentationScope = { name: EXTENSION_NAME, version: EXTENSION_VERSION };
  private readonly startedMs: number;
  private lastSelfTelemetryMs: number;
  private metricsWindowEndMs?: number;
  private readonly selected: Readonly<Record<OtlpSignal, boolean>>;

  constructor(private readonly options: OtlpSinkOptions) {
    if (options.urls) {
      this.urls = options.urls;
    } else {
      if (options.endpoint === undefined) throw new TypeError('the OTLP sink needs an endpoint or the URL of each signal');
      this.urls = {
        traces: signalUrl(options.endpoint, 'traces'),
        metrics: signalUrl(options.endpoint, 'metrics'),
        logs: signalUrl(options.endpoint, 'logs'),
      };
    }
    const signals = options.signals ?? ['traces', 'metrics', 'logs'];
    this.selected = { traces: signals.includes('traces'), metrics: signals.includes('metrics'), logs: signals.includes('logs') };
    this.serializers = options.protocol === 'http/json' ? JSON_SERIALIZERS : PROTOBUF;
    const wire = new HttpTransport({ headers: options.headers, compression: options.compression, userAgent: `${EXTENSION_NAME}/${EXTENSION_VERSION}` });
    this.delivery = new Delivery({
      transport: options.wrapTransport ? options.wrapTransport(wire) : wire,
      compression: options.compression,
      timeoutMs: options.timeoutMs,
      what: 'OTLP export',
      limits: options.backlogLimits,
      policy: options.retryPolicy,
      clock: options.clock,
      sign: options.sign,
      split: splitterOf(options.requestLimits),
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

  /** Requests kept for retry. */
  get backlog(): RetryBacklog {
    return this.delivery.backlog;
  }

  async export(items: readonly PipelineItem[], deadline: number, options: ExportOptions = {}): Promise<ExportOutcome> {
    const { events, functionItems } = splitItems(items);
    const functionRecords = functionItems.reduce((n, item) => n + recordsOf(item), 0);
    if (this.delivery.closed) return this.delivery.dropAll(events.length + functionRecords, functionRecords);
    let batch: OtlpBatch;
    try {
      // A flush before a freeze releases what joining holds: it never waits past that deadline.
      batch = this.converter.convert(events, functionItems, { final: options.final === true });
    } catch (err) {
      this.delivery.warn('OTLP mapping failed; batch dropped', { events: events.length, functionRecords, error: describe(err) });
      return this.delivery.dropAll(events.length + functionRecords, functionRecords);
    }
    const withSelf = this.selected.metrics && (!batch.metrics.isEmpty || batch.forward.metrics.length > 0
      || this.now() - this.lastSelfTelemetryMs >= (this.options.selfTelemetryIntervalMs ?? 60_000));
    const tally = newTally();
    // Events with the same signals depend on the same requests: one group per combination.
    // Signals not sent do not count (an event whose records all go to those is settled at once).
    const counts = new Map<Signals, number>();
    for (const contributed of batch.contributions) {
      const signals = this.sent(contributed);
      if (signals.size === 0) tally.exported++;
      else counts.set(signals, (counts.get(signals) ?? 0) + 1);
    }
    const groups = [...counts].map(([signals, count]) => ({ signals, group: new EventGroup(count) }));
    groups.push(...functionGroups(functionItems, this.selected, tally));
    await this.delivery.send(this.jobs(batch, withSelf, groups, tally), deadline, tally);
    return outcomeOf(tally);
  }

  /** Invocations that never closed, init spans no invocation claimed and the self-telemetry go out last. */
  async shutdown(deadline: number): Promise<ExportOutcome> {
    if (this.delivery.closed) return outcomeOf(newTally());
    let jobs: DeliveryJob[] = [];
    try {
      jobs = this.jobs(this.converter.drainBatch(this.now()), this.selected.metrics, [], newTally());
    } catch (err) {
      this.delivery.warn('OTLP shutdown flush failed', { error: describe(err) });
    }
    return this.delivery.close(deadline, jobs);
  }

  /** One payload per signal `batch` has records for, with the event groups that depend on it. */
  private jobs(
    batch: OtlpBatch,
    withSelfTelemetry: boolean,
    groups: ReadonlyArray<{ readonly signals: Signals; readonly group: EventGroup }>,
    tally: Tally,
  ): DeliveryJob[] {
    const payloads: Payload[] = [];
    const oversized: Array<[OtlpSignal, number]> = [];
    const strict = this.options.strictLimits ?? {};
    type Split = { readonly requests: ReadonlyArray<{ body: Uint8Array; items: readonly unknown[] }>; readonly oversized: readonly unknown[] };
    const add = (signal: OtlpSignal, split: Split, count: (items: readonly unknown[]) => number) => {
      for (const request of split.requests) payloads.push(this.encoded(signal, request.body, count(request.items)));
      if (split.oversized.length > 0) oversized.push([signal, split.oversized.length]);
    };
    const { forward } = batch;
    if (this.selected.traces && (batch.spans.length > 0 || forward.traces.length > 0)) {
      const encode = (spans: readonly OtlpBatch['spans'][number][]) => this.serializers.traces([...spans]);
      if (strict.traces) {
        // The platform's records are cut to the endpoint's limits; the function's go on their own.
        if (batch.spans.length > 0) add('traces', splitForLimits(batch.spans, strict.traces, encode), (items) => items.length);
        if (forward.traces.length > 0) payloads.push(this.payload('traces', [], forward.traces, encode));
      } else {
        payloads.push(this.payload('traces', batch.spans, forward.traces, encode));
      }
    }
    const metrics = this.selected.metrics ? this.resourceMetrics(batch, withSelfTelemetry) : undefined;
    const forwardMetrics = this.selected.metrics ? forward.metrics : [];
    if (metrics || forwardMetrics.length > 0) {
      const encode = (rm: ResourceMetrics) => this.serializers.metrics(rm);
      const strictMetrics = strict.metrics;
      if (strictMetrics && metrics) {
        add('metrics', splitResourceMetrics(metrics, strictMetrics, encode), (items) => (items as ResourceMetrics[]).reduce((n, rm) => n + dataPoints(rm), 0));
      }
      const own = strictMetrics ? undefined : metrics;
      if (own || forwardMetrics.length > 0) {
        payloads.push({
          label: 'metrics',
          url: this.urls.metrics,
          contentType: this.serializers.contentType,
          headers: this.options.signalHeaders?.metrics,
          items: (own?.scopeMetrics[0].metrics.length ?? 0) + forwardMetrics.length,
          encode: () => this.serializers.merge('metrics', own ? encode(own) : undefined, forwardMetrics),
        });
      }
    }
    if (this.selected.logs && (batch.logs.length > 0 || forward.logs.length > 0)) {
      const encode = (logs: readonly OtlpBatch['logs'][number][]) => this.serializers.logs([...logs]);
      if (strict.logs) {
        if (batch.logs.length > 0) add('logs', splitForLimits(batch.logs, strict.logs, encode), (items) => items.length);
        if (forward.logs.length > 0) payloads.push(this.payload('logs', [], forward.logs, encode));
      } else {
        payloads.push(this.payload('logs', batch.logs, forward.logs, encode));
      }
    }
    const groupsOf = (signal: OtlpSignal) => groups.filter((g) => g.signals.has(signal)).map((g) => g.group);
    for (const [signal, count] of oversized) {
      // The endpoint would refuse every request carrying such a record: never sent.
      const limits = strict[signal]!;
      this.delivery.warn('OTLP export: records over the endpoint\'s per-request limits dropped', { signal, records: count, maxBytes: limits.maxBytes, maxItemBytes: limits.maxItemBytes });
      this.delivery.backlog.fail(groupsOf(signal), tally);
    }
    return payloads.map((payload) => ({ payload, groups: groupsOf(payload.label as OtlpSignal) }));
  }

  /** A request body already cut to the endpoint's limits. */
  private encoded(signal: OtlpSignal, body: Uint8Array, items: number): Payload {
    const headers = this.options.signalHeaders?.[signal];
    return { label: signal, url: this.urls[signal], contentType: this.serializers.contentType, headers, items, encode: () => body };
  }

  /** `signals` without those not sent. */
  private sent(signals: Signals): Signals {
    const { traces, metrics, logs } = this.selected;
    if (traces && metrics && logs) return signals;
    return signalsOf(traces && signals.has('traces'), metrics && signals.has('metrics'), logs && signals.has('logs'));
  }

  /**
   * A traces or logs payload of the platform's `records` and the function's `forwarded`
   * resources, halved on request (per-request limits): each half takes half of both.
   */
  private payload<T>(
    signal: OtlpSignal,
    records: readonly T[],
    forwarded: Forward['traces'] | Forward['logs'],
    serialize: (records: T[]) => Uint8Array | undefined,
  ): Payload {
    return {
      label: signal,
      url: this.urls[signal],
      contentType: this.serializers.contentType,
      headers: this.options.signalHeaders?.[signal],
      items: records.length + forwardedRecords(forwarded),
      encode: () => this.serializers.merge(signal, records.length > 0 ? serialize(records as T[]) : undefined, forwarded),
      split: () => {
        if (records.length + forwarded.length < 2) return undefined;
        const half = Math.ceil(records.length / 2);
        const forwardHalf = Math.ceil(forwarded.length / 2);
        // The function's data splits at resource granularity: one resource of many spans goes whole.
        const first = this.payload(signal, records.slice(0, half), forwarded.slice(0, forwardHalf) as typeof forwarded, serialize);
        const second = this.payload(signal, records.slice(half), forwarded.slice(forwardHalf) as typeof forwarded, serialize);
        return [first, second];
      },
    };
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

  private now(): number {
    return this.options.clock?.now() ?? Date.now();
  }
}

/** Splits each signal's payloads to its own limits. */
function splitterOf(limits: OtlpSinkOptions['requestLimits']): PayloadSplitter | undefined {
  if (!limits) return undefined;
  const bySignal = new Map(Object.entries(limits).map(([signal, l]) => [signal, splitToLimits(l ?? {})]));
  return (payload, body) => bySignal.get(payload.label)?.(payload, body);
}

/** One group per signal of the function's records in this hand-over (pass-through: they travel in that signal's request). */
function functionGroups(
  items: readonly FunctionTelemetry[],
  selected: Readonly<Record<OtlpSignal, boolean>>,
  tally: Tally,
): Array<{ readonly signals: Signals; readonly group: EventGroup }> {
  const bySignal = new Map<OtlpSignal, number>();
  for (const item of items) {
    if (selected[item.signal]) {
      bySignal.set(item.signal, (bySignal.get(item.signal) ?? 0) + item.items);
    } else {
      // A signal the sink does not send (CloudWatch `signals`): settled as the user asked.
      tally.exported += item.items;
      tally.functionExported += item.items;
    }
  }
  return [...bySignal].map(([signal, records]) => ({
    signals: signalsOf(signal === 'traces', signal === 'metrics', signal === 'logs'),
    group: new EventGroup(records, true),
  }));
}

/** Spans or log records in resource-scoped data (for per-request item limits). */
function forwardedRecords(forwarded: Forward['traces'] | Forward['logs']): number {
  let n = 0;
  for (const resource of forwarded) {
    if ('scopeSpans' in resource) for (const scope of resource.scopeSpans) n += scope.spans.length;
    else for (const scope of resource.scopeLogs) n += scope.logRecords.length;
  }
  return n;
}

/** Data points of resource-scoped metrics (for per-request limits). */
function dataPoints(metrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) n += metric.dataPoints.length;
  return n;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
