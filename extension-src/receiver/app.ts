/**
 * The OTLP/HTTP receiver the function's OpenTelemetry SDK exports to (OTLP specification,
 * "OTLP/HTTP"): `POST /v1/traces`, `/v1/metrics`, `/v1/logs`, bodies in `application/x-protobuf`
 * or `application/json`, optionally `Content-Encoding: gzip`.
 *
 * Answers:
 * - 200: the matching `Export*ServiceResponse` in the request's encoding, with `partial_success`
 *   when records were refused (see screen-records.ts); the rest went to `accept`;
 * - 400: the body cannot be decoded (bad gzip, malformed protobuf or JSON); SDKs never retry it;
 * - 413: the body (on the wire, or after gunzip) is larger than `maxBodyBytes`;
 * - 415: a content type or content encoding other than those above;
 * - 503 (or 429, `fullStatus`) with `Retry-After`: `accept` said the queue is full; nothing of the
 *   request was kept, the SDK sends it again;
 * - 405 for other methods on the three paths, 404 for other paths.
 * Every 4xx / 5xx body of the three paths is a `google.rpc.Status`, in the request's encoding
 * when it is known, else protobuf.
 *
 * Like the Telemetry API listener: Koa with its own router, nothing logged per request, Koa's own
 * error printing off (a line without the extension's log marker would come back as an event).
 */
import { Router, type RouterContext } from '@koa/router';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { RateLimitedLog } from '../log';
import type { AcceptTelemetry, CountRefused, FunctionTelemetry } from './function-telemetry';
import { CONTENT_TYPES, decodeRequest, encodeResponse, encodeStatus, OtlpDecodeError, RPC_CODE } from './otlp-codec';
import type { ExportRequests, OtlpEncoding, OtlpSignal } from './otlp-types';
import { screenRecords } from './screen-records';

/** Default body limit, on the wire and after gunzip: an SDK batch of 512 spans is 100-300 KB. */
export const DEFAULT_RECEIVER_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ReceiverDeps {
  /** Where decoded data goes (the bounded queue, by source). */
  readonly accept: AcceptTelemetry;
  /** Told how many records were refused when a request had none to accept. Default: nothing. */
  readonly refusedOnly?: CountRefused;
  /** Bodies above this many bytes, compressed or not, get 413. Default {@link DEFAULT_RECEIVER_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  /** `Retry-After` of a full-queue answer, seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Status of a full-queue answer; both are retried by SDKs. Default 503. */
  readonly fullStatus?: 429 | 503;
  /** Where refused requests are reported. Default: 5 lines per minute. */
  readonly warnings?: Pick<RateLimitedLog, 'warn'>;
  readonly now?: () => number;
}

const SIGNALS: readonly OtlpSignal[] = ['traces', 'metrics', 'logs'];

function isRawBodyError(error: unknown): error is getRawBody.RawBodyError {
  return error instanceof Error && typeof (error as { type?: unknown }).type === 'string' && typeof (error as { status?: unknown }).status === 'number';
}

/** `application/x-protobuf` / `application/json` (parameters such as charset ignored), else undefined. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  if (mediaType === CONTENT_TYPES.protobuf) return 'protobuf';
  if (mediaType === CONTENT_TYPES.json) return 'json';
  return undefined;
}

function gunzip(body: Buffer, maxBytes: number): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- zlib loads at the first gzipped body, not at init
  const zlib = require('node:zlib') as typeof import('node:zlib');
  return zlib.gunzipSync(body, { maxOutputLength: maxBytes });
}

function item(
  signal: OtlpSignal,
  request: ExportRequests[OtlpSignal],
  items: number,
  encoding: OtlpEncoding,
  receivedAtMs: number,
): FunctionTelemetry {
  const base = { source: 'function', items, receivedAtMs, encoding } as const;
  switch (signal) {
    case 'traces': return { ...base, signal, resourceSpans: (request as ExportRequests['traces']).resourceSpans };
    case 'metrics': return { ...base, signal, resourceMetrics: (request as ExportRequests['metrics']).resourceMetrics };
    default: return { ...base, signal: 'logs', resourceLogs: (request as ExportRequests['logs']).resourceLogs };
  }
}

/** The Koa application. Listen with `app.callback()` on a node http server (see server.ts). */
export function createReceiverApp(deps: ReceiverDeps): Koa {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_RECEIVER_MAX_BODY_BYTES;
  const retryAfter = String(deps.retryAfterSeconds ?? 1);
  const fullStatus = deps.fullStatus ?? 503;
  const warnings = deps.warnings ?? new RateLimitedLog(5, 60_000);
  const now = deps.now ?? Date.now;

  const app = new Koa();
  app.silent = true;
  const router = new Router();

  const answer = (ctx: RouterContext, status: number, encoding: OtlpEncoding, body: Uint8Array) => {
    ctx.status = status;
    ctx.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    ctx.set('Content-Type', CONTENT_TYPES[encoding]);
  };
  const fail = (ctx: RouterContext, status: number, encoding: OtlpEncoding, code: number, message: string) => {
    answer(ctx, status, encoding, encodeStatus(encoding, code, message));
  };

  const handle = (signal: OtlpSignal) => async (ctx: RouterContext) => {
    const encoding = encodingOf(ctx.get('content-type'));
    if (!encoding) {
      fail(ctx, 415, 'protobuf', RPC_CODE.INVALID_ARGUMENT, `unsupported content type ${JSON.stringify(ctx.get('content-type'))}: use application/x-protobuf or application/json`);
      return;
    }
    const contentEncoding = ctx.get('content-encoding').trim().toLowerCase();
    if (contentEncoding !== '' && contentEncoding !== 'identity' && contentEncoding !== 'gzip') {
      fail(ctx, 415, encoding, RPC_CODE.INVALID_ARGUMENT, `unsupported content encoding ${JSON.stringify(contentEncoding)}: use gzip or none`);
      return;
    }

    let body: Buffer;
    try {
      body = await getRawBody(ctx.req, { limit: maxBodyBytes, length: ctx.get('content-length') || undefined });
    } catch (error) {
      if (isRawBodyError(error) && error.type === 'entity.too.large') {
        warnings.warn('OTLP export refused: body too large', { signal, limitBytes: maxBodyBytes });
        fail(ctx, 413, encoding, RPC_CODE.INVALID_ARGUMENT, `body exceeds ${maxBodyBytes} bytes`);
        return;
      }
      if (isRawBodyError(error) && error.status < 500) {
        fail(ctx, error.status, encoding, RPC_CODE.INVALID_ARGUMENT, error.message);
        return;
      }
      throw error;
    }

    if (contentEncoding === 'gzip') {
      try {
        body = gunzip(body, maxBodyBytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          warnings.warn('OTLP export refused: body too large after gunzip', { signal, limitBytes: maxBodyBytes });
          fail(ctx, 413, encoding, RPC_CODE.INVALID_ARGUMENT, `body exceeds ${maxBodyBytes} bytes after gunzip`);
          return;
        }
        fail(ctx, 400, encoding, RPC_CODE.INVALID_ARGUMENT, `body is not valid gzip: ${(error as Error).message}`);
        return;
      }
    }

    let request: ExportRequests[OtlpSignal];
    try {
      request = decodeRequest(signal, encoding, body);
    } catch (error) {
      if (!(error instanceof OtlpDecodeError)) throw error;
      warnings.warn('OTLP export refused: undecodable body', { signal, error: error.message.slice(0, 160) });
      fail(ctx, 400, encoding, RPC_CODE.INVALID_ARGUMENT, error.message);
      return;
    }

    const screened = screenRecords(signal, request);
    if (screened.rejected > 0) warnings.warn('OTLP records refused', { signal, count: screened.rejected, reason: screened.errorMessage });
    if (screened.items === 0 && screened.rejected > 0) deps.refusedOnly?.(screened.rejected);
    if (screened.items > 0 && deps.accept(item(signal, request, screened.items, encoding, now()), body.length, screened.rejected) === 'full') {
      ctx.set('Retry-After', retryAfter);
      fail(ctx, fullStatus, encoding, fullStatus === 429 ? RPC_CODE.RESOURCE_EXHAUSTED : RPC_CODE.UNAVAILABLE, 'queue full, retry later');
      return;
    }
    answer(ctx, 200, encoding, encodeResponse(signal, encoding, screened));
  };

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      warnings.warn('OTLP receiver failed on a request', { error: (error as Error).message });
      const encoding = encodingOf(ctx.get('content-type')) ?? 'protobuf';
      ctx.status = 500;
      ctx.body = Buffer.from(encodeStatus(encoding, RPC_CODE.INTERNAL, 'internal error'));
      ctx.set('Content-Type', CONTENT_TYPES[encoding]);
    }
  });
  for (const signal of SIGNALS) router.post(`/v1/${signal}`, handle(signal));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
