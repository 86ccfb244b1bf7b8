/**
 * The wire: one HTTP(S) POST per call, on keep-alive agents, with an overall per-request timeout
 * and optional gzip. Never rejects: every outcome is an {@link AttemptResult}; retry decisions are
 * made by ./retry.ts, which wraps a {@link Transport} (as does the request signer, ./signing.ts).
 *
 * Kept-alive sockets can be dead after an environment freeze (the peer closed them meanwhile): a
 * connection error on a reused socket is retried once at once on a fresh one, as Node's docs
 * advise, before it counts as a failed attempt.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { idleCompaction } from './compaction';
import type { CompressionName } from '../../lib/config/contract';

const gzip = promisify(zlib.gzip);

/**
 * zlib level 2, not the default 6: the least CPU per byte saved of levels 1-6 on OTLP log bodies
 * of 1000 events (1.5 us per KiB saved against 3.6 at level 6, 0.25 against 0.62 us per event) for
 * the same size within 3 % (`npx tsx test/bench/gzip-levels.ts`, table in README "Benchmarks").
 */
export const GZIP_LEVEL = 2;

/** What one attempt produced. */
export type AttemptResult =
  | {
    readonly kind: 'response';
    readonly status: number;
    /** Raw `Retry-After` header, if any. */
    readonly retryAfter?: string;
    /** Start of the response body (at most {@link MAX_RESPONSE_BODY} bytes kept). */
    readonly body: Buffer;
  }
  | { readonly kind: 'error'; readonly code: 'timeout' | 'connection' | 'signing'; readonly message: string };

/** A body ready to send: compressed once per batch, sent as many times as retries need. */
export interface PreparedBody {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly contentEncoding?: 'gzip';
}

/** One request to send: where, what, and headers of its own (on top of the transport's). */
export interface OutgoingRequest {
  readonly url: URL;
  readonly body: PreparedBody;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends one attempt of a request. Never rejects. */
export interface Transport {
  send(request: OutgoingRequest, timeoutMs: number): Promise<AttemptResult>;
  /** Release sockets so the process can exit. */
  close(): void;
}

/** Compress (when configured) once; the result is reused by every attempt. */
export async function prepareBody(body: Uint8Array | string, contentType: string, compression: CompressionName): Promise<PreparedBody> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  idleCompaction.activity(bytes.byteLength);
  if (compression === 'gzip') return { bytes: await gzip(bytes, { level: GZIP_LEVEL }), contentType, contentEncoding: 'gzip' };
  return { bytes, contentType };
}

export interface HttpTransportOptions {
  /** Extra request headers (plain and secret ones, already merged). */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: CompressionName;
  readonly userAgent?: string;
}

/** Bytes of a response body kept for diagnostics; the rest is read and discarded. */
export const MAX_RESPONSE_BODY = 4096;

class RequestTimeout extends Error {}

export class HttpTransport implements Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly headers: Readonly<Record<string, string>>;

  constructor(private readonly options: HttpTransportOptions) {
    this.headers = {
      ...options.headers,
      'user-agent': options.userAgent ?? 'telemetry-extension',
    };
  }

  /** {@link prepareBody} with this transport's compression. */
  prepare(body: Uint8Array | string, contentType: string): Promise<PreparedBody> {
    return prepareBody(body, contentType, this.options.compression);
  }

  /** POST `body` to `url`, giving up after `timeoutMs` in total. Never rejects. */
  post(url: URL, body: PreparedBody, timeoutMs: number): Promise<AttemptResult> {
    return this.send({ url, body }, timeoutMs);
  }

  async send(request: OutgoingRequest, timeoutMs: number): Promise<AttemptResult> {
    const started = Date.now();
    const first = await this.once(request, timeoutMs);
    if (first.result.kind === 'error' && first.result.code === 'connection' && first.reusedSocket) {
      const left = timeoutMs - (Date.now() - started);
      if (left > 0) return (await this.once(request, left)).result;
    }
    return first.result;
  }

  /** Close kept-alive sockets so the process can exit. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private once(request: OutgoingRequest, timeoutMs: number): Promise<{ result: AttemptResult; reusedSocket: boolean }> {
    const { url, body } = request;
    return new Promise((resolve) => {
      let settled = false;
      let reusedSocket = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ result, reusedSocket });
      };
      const headers: Record<string, string> = {
        ...this.headers,
        ...request.headers,
        'content-type': body.contentType,
        'content-length': String(body.bytes.byteLength),
      };
      if (body.contentEncoding) headers['content-encoding'] = body.contentEncoding;
      const isHttps = url.protocol === 'https:';
      let req: http.ClientRequest;
      try {
        req = (isHttps ? https : http).request(url, {
          method: 'POST',
          headers,
          agent: isHttps ? this.httpsAgent : this.httpAgent,
        });
      } catch (err) {
        // Invalid URL or header: no request was made. Not retryable in practice, but the
        // configuration is validated at init, so this is only a last line of defence.
        resolve({ result: { kind: 'error', code: 'connection', message: errorMessage(err) }, reusedSocket: false });
        return;
      }
      let timedOut = false;
      const timeoutError = () => ({ kind: 'error', code: 'timeout', message: `timeout after ${timeoutMs} ms` }) as const;
      // Not AbortSignal.timeout as the request's `signal`: tried, and real-process tests (e2e,
      // reliability) then lost events at SHUTDOWN; this timer is cleared when the attempt settles.
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new RequestTimeout());
      }, timeoutMs);
      req.on('socket', () => {
        reusedSocket = req.reusedSocket;
      });
      req.on('error', (err) => {
        if (timedOut || err instanceof RequestTimeout) finish(timeoutError());
        else finish({ kind: 'error', code: 'connection', message: errorMessage(err) });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_BODY) {
            const part = chunk.subarray(0, MAX_RESPONSE_BODY - kept);
            chunks.push(part);
            kept += part.length;
          }
        });
        res.on('error', (err) => finish(timedOut ? timeoutError() : { kind: 'error', code: 'connection', message: errorMessage(err) }));
        // A body cut short: 'close' without 'end' (after 'end', `finish` has already settled).
        res.on('close', () => finish(timedOut ? timeoutError() : { kind: 'error', code: 'connection', message: 'response closed before its end' }));
        res.on('end', () => finish(responseResult(res, chunks)));
      });
      req.end(body.bytes);
    });
  }
}

/** The attempt's result from a response read to its end: status, `Retry-After`, the body kept. */
export function responseResult(res: http.IncomingMessage, chunks: readonly Buffer[]): AttemptResult {
  const retryAfter = res.headers['retry-after'];
  return {
    kind: 'response',
    status: res.statusCode ?? 0,
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
    body: Buffer.concat(chunks),
  };
}

function errorMessage(err: unknown): string {
  // Not `instanceof Error`: errors from node core may come from another realm (vm contexts).
  if (err !== null && typeof err === 'object' && typeof (err as Error).message === 'string') {
    const { code, message } = err as NodeJS.ErrnoException;
    const text = message || (err as Error).name || 'error';
    return code && !text.includes(code) ? `${code}: ${text}` : text;
  }
  return String(err);
}
