/**
 * A local OTLP/HTTP (and plain JSON) receiver for tests: the stand-in for a collector.
 *
 * - Listens on 127.0.0.1, port 0 (random). `receiver.url` is its base URL.
 * - `POST /v1/traces|/v1/metrics|/v1/logs`: OTLP, `application/x-protobuf` or `application/json`,
 *   gunzipped when `Content-Encoding: gzip`, DECODED with the official opentelemetry-proto schema
 *   (see ./otlp-proto/decode.ts), never with the encoder under test.
 * - Any other path: "plain JSON mode" (the HTTP sink): gunzipped, `JSON.parse`d when the content
 *   type is JSON.
 * - Records every request, including ones it then fails, hangs or drops.
 * - Scripted faults: queue responses with {@link OtlpReceiver.enqueue} (status, headers such as
 *   `Retry-After`, delay, hang until closed, destroy the socket). Unscripted requests get 200
 *   with an empty export response.
 * - Awaitable helpers ({@link OtlpReceiver.waitForRequests}, `waitForSpans`, ...) resolve as soon
 *   as the condition holds: no polling, no sleeps. They reject after `timeoutMs` (default 10 s)
 *   with what was received so far, so a failing test says why.
 *
 * Always `await receiver.close()` (it also ends hanging requests and kept-alive sockets).
 *
 * @example
 *   const receiver = await OtlpReceiver.start();
 *   receiver.enqueue({ status: 503, headers: { 'retry-after': '0' } });
 *   // ... export to `${receiver.url}` ...
 *   const spans = await receiver.waitForSpans(3);
 *   await receiver.close();
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import getRawBody from 'raw-body';
import { listenOnFreePort } from './http-server';
import {
  decodeJson,
  decodeProtobuf,
  flattenLogs,
  flattenMetrics,
  flattenSpans,
  type DecodedLog,
  type DecodedMetric,
  type DecodedSpan,
  type Signal,
} from './otlp-proto/decode';

export type { DecodedLog, DecodedMetric, DecodedSpan, Signal } from './otlp-proto/decode';

/** One request as received. */
export interface ReceivedRequest {
  /** Arrival order, from 0. */
  readonly seq: number;
  /** Epoch ms when the whole body had arrived (before it is answered). */
  readonly receivedAt: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Set for OTLP paths (`/v1/traces` etc., also under a prefix such as `/otlp/v1/traces`). */
  readonly signal?: Signal;
  /** Lower-case header names, as node gives them. */
  readonly headers: http.IncomingHttpHeaders;
  /** Names and values as sent, alternating (duplicates kept). */
  readonly rawHeaders: readonly string[];
  readonly contentType: string;
  /** `gzip` when the body was gzipped, else `identity`. */
  readonly contentEncoding: string;
  /** Body bytes as they came over the wire (possibly gzipped). */
  readonly wireBytes: number;
  /** Body after gunzip. */
  readonly rawBody: Buffer;
  /**
   * OTLP: the decoded export request (protobufjs `toObject`: camelCase keys, ids base64, int64 as
   * strings). Plain JSON mode: the parsed JSON. Otherwise the body as UTF-8 text.
   */
  readonly body: unknown;
  /** Why the body could not be decoded (the request is answered 400). */
  readonly decodeError?: string;
  /** The response this request was given (or `hang` / `destroy`). */
  readonly response: ScriptedResponse;
}

/** What to answer to one request. */
export interface ScriptedResponse {
  /** HTTP status; default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: an empty OTLP export response in the request's encoding, or `{}`. */
  readonly body?: string | Buffer;
  /** Wait this long before answering (real time: for client-timeout tests). */
  readonly delayMs?: number;
  /** Never answer; the request stays open until the client gives up or `close()`. */
  readonly hang?: boolean;
  /** Destroy the socket without answering (a connection reset for the client). */
  readonly destroy?: boolean;
  /** Only for requests to this signal (OTLP) or path (plain mode); others skip this entry. */
  readonly match?: Signal | string;
}

export interface ReceiverOptions {
  /** Default timeout of the `waitFor*` helpers, ms. */
  readonly waitTimeoutMs?: number;
}

interface Waiter {
  readonly check: () => boolean;
  readonly resolve: () => void;
}

const OTLP_PATH = /\/v1\/(traces|metrics|logs)$/;

export class OtlpReceiver {
  /** Start a receiver on 127.0.0.1 with a random port. */
  static async start(options: ReceiverOptions = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(options);
    await listenOnFreePort(receiver.server);
    return receiver;
  }

  /** Every request received so far, in arrival order. */
  readonly requests: ReceivedRequest[] = [];

  private readonly server: http.Server;
  private readonly script: ScriptedResponse[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly pending = new Set<http.ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waitTimeoutMs: number;
  private closed = false;

  private constructor(options: ReceiverOptions) {
    this.waitTimeoutMs = options.waitTimeoutMs ?? 10_000;
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  /** `http://127.0.0.1:<port>` (no trailing slash). */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Queue responses for the next matching requests, in order. */
  enqueue(...responses: ScriptedResponse[]): this {
    this.script.push(...responses);
    return this;
  }

  /** Requests for one OTLP signal. */
  requestsFor(signal: Signal): ReceivedRequest[] {
    return this.requests.filter((r) => r.signal === signal);
  }

  /** Decoded spans of every traces request answered with 2xx (or of all requests with `all`). */
  spans(all = false): DecodedSpan[] {
    return this.accepted('traces', all).flatMap((r) => flattenSpans(r.body as Record<string, unknown>));
  }

  metrics(all = false): DecodedMetric[] {
    return this.accepted('metrics', all).flatMap((r) => flattenMetrics(r.body as Record<string, unknown>));
  }

  logs(all = false): DecodedLog[] {
    return this.accepted('logs', all).flatMap((r) => flattenLogs(r.body as Record<string, unknown>));
  }

  /** Decoded spans of one traces request. */
  spansOf(request: ReceivedRequest): DecodedSpan[] {
    return request.signal === 'traces' && request.decodeError === undefined ? flattenSpans(request.body as Record<string, unknown>) : [];
  }

  /** Decoded metrics of one metrics request. */
  metricsOf(request: ReceivedRequest): DecodedMetric[] {
    return request.signal === 'metrics' && request.decodeError === undefined ? flattenMetrics(request.body as Record<string, unknown>) : [];
  }

  /** Decoded log records of one logs request. */
  logsOf(request: ReceivedRequest): DecodedLog[] {
    return request.signal === 'logs' && request.decodeError === undefined ? flattenLogs(request.body as Record<string, unknown>) : [];
  }

  /** Plain-JSON-mode bodies (non-OTLP paths) answered with 2xx. */
  jsonBodies(): unknown[] {
    return this.requests.filter((r) => r.signal === undefined && isOk(r.response)).map((r) => r.body);
  }

  /** Resolves with all requests once at least `n` (matching `filter`) have arrived. */
  waitForRequests(n: number, filter: (r: ReceivedRequest) => boolean = () => true, timeoutMs?: number): Promise<ReceivedRequest[]> {
    return this.waitFor(() => this.requests.filter(filter).length >= n, `${n} request(s)`, timeoutMs)
      .then(() => this.requests.filter(filter));
  }

  /** Resolves with all accepted spans once at least `n` have arrived. */
  waitForSpans(n: number, timeoutMs?: number): Promise<DecodedSpan[]> {
    return this.waitFor(() => this.spans().length >= n, `${n} span(s)`, timeoutMs).then(() => this.spans());
  }

  /** Resolves with all accepted metrics once at least `n` (optionally named `name`) have arrived. */
  waitForMetrics(n: number, name?: string, timeoutMs?: number): Promise<DecodedMetric[]> {
    const count = () => this.metrics().filter((m) => name === undefined || m.name === name).length;
    return this.waitFor(() => count() >= n, `${n} metric(s)${name ? ` named ${name}` : ''}`, timeoutMs).then(() => this.metrics());
  }

  waitForLogs(n: number, timeoutMs?: number): Promise<DecodedLog[]> {
    return this.waitFor(() => this.logs().length >= n, `${n} log record(s)`, timeoutMs).then(() => this.logs());
  }

  /** Resolves once `check` holds (re-checked on every arrival), e.g. "every invocation has its span". */
  waitUntil(check: () => boolean, description: string, timeoutMs?: number): Promise<void> {
    return this.waitFor(check, description, timeoutMs);
  }

  /** Plain JSON mode: resolves with the parsed bodies once at least `n` were accepted. */
  waitForJson(n: number, timeoutMs?: number): Promise<unknown[]> {
    return this.waitFor(() => this.jsonBodies().length >= n, `${n} JSON body(ies)`, timeoutMs).then(() => this.jsonBodies());
  }

  /** Stop listening, end hanging requests and all connections, reject nothing. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.pending) res.destroy();
    this.pending.clear();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await done;
  }

  private accepted(signal: Signal, all: boolean): ReceivedRequest[] {
    return this.requestsFor(signal).filter((r) => r.decodeError === undefined && (all || isOk(r.response)));
  }

  private waitFor(check: () => boolean, what: string, timeoutMs = this.waitTimeoutMs): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        this.timers.delete(timer);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.describe()}`));
      }, timeoutMs);
      this.timers.add(timer);
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          this.timers.delete(timer);
          resolve();
        },
      };
      this.waiters.add(waiter);
    });
  }

  private describe(): string {
    if (this.requests.length === 0) return 'no request';
    return this.requests.map((r) => `${r.method} ${r.path} -> ${describeResponse(r.response)}${r.decodeError ? ` (${r.decodeError})` : ''}`).join(', ');
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private nextResponse(signal: Signal | undefined, path: string): ScriptedResponse {
    const index = this.script.findIndex((s) => s.match === undefined || s.match === signal || s.match === path);
    if (index < 0) return {};
    return this.script.splice(index, 1)[0];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const signal = OTLP_PATH.exec(path)?.[1] as Signal | undefined;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let wire: Buffer;
    try {
      wire = await getRawBody(req, { limit: '64mb' });
    } catch {
      return; // client went away mid-body
    }
    let rawBody = wire;
    let body: unknown;
    let decodeError: string | undefined;
    try {
      if (contentEncoding === 'gzip') rawBody = zlib.gunzipSync(wire);
      else if (contentEncoding !== 'identity') throw new Error(`unsupported content-encoding ${contentEncoding}`);
      if (signal !== undefined) {
        if (contentType === 'application/x-protobuf') body = decodeProtobuf(signal, rawBody);
        else if (contentType === 'application/json') body = decodeJson(signal, rawBody.toString('utf8'));
        else throw new Error(`unsupported OTLP content-type ${contentType}`);
      } else {
        body = contentType === 'application/json' ? JSON.parse(rawBody.toString('utf8')) : rawBody.toString('utf8');
      }
    } catch (err) {
      decodeError = err instanceof Error ? err.message : String(err);
    }
    const response: ScriptedResponse = decodeError === undefined
      ? this.nextResponse(signal, path)
      : { status: 400, body: JSON.stringify({ code: 3, message: decodeError }), headers: { 'content-type': 'application/json' } };
    this.requests.push({
      seq: this.requests.length,
      receivedAt: Date.now(),
      method: req.method ?? '',
      path,
      signal,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      contentType,
      contentEncoding,
      wireBytes: wire.length,
      rawBody,
      body,
      decodeError,
      response,
    });
    this.respond(res, response, contentType);
    this.notify();
  }

  private respond(res: http.ServerResponse, response: ScriptedResponse, contentType: string): void {
    if (response.destroy) {
      res.socket?.destroy();
      return;
    }
    if (response.hang) {
      this.pending.add(res);
      res.on('close', () => this.pending.delete(res));
      return;
    }
    const send = () => {
      this.pending.delete(res);
      if (res.destroyed) return;
      const json = contentType !== 'application/x-protobuf';
      const body = response.body ?? (json ? '{}' : Buffer.alloc(0));
      res.writeHead(response.status ?? 200, {
        'content-type': json ? 'application/json' : 'application/x-protobuf',
        ...response.headers,
      });
      res.end(body);
    };
    if (response.delayMs) {
      this.pending.add(res);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, response.delayMs);
      this.timers.add(timer);
    } else {
      send();
    }
  }
}

function isOk(response: ScriptedResponse): boolean {
  const status = response.status ?? 200;
  return !response.hang && !response.destroy && status >= 200 && status < 300;
}

function describeResponse(response: ScriptedResponse): string {
  if (response.hang) return 'hang';
  if (response.destroy) return 'destroy';
  return String(response.status ?? 200);
}
