/**
 * The HTTP listener the Telemetry API pushes to: one route, `POST /`, whose body is a JSON array
 * of events (the subscription's destination URI has no path, see lambda/telemetry-api.ts).
 *
 * The listener only does HTTP: it reads and parses the body and hands the parsed batch to the
 * ingest step (../pipeline/ingest.ts), which filters, queues and counts.
 *
 * Answers:
 * - 200: the batch was taken (its valid events are queued; invalid ones are counted, logged
 *   rate-limited and dropped, so one bad event never makes Lambda resend a batch forever);
 * - 400: the body is not JSON or not an array (resending it would not help either);
 * - 413: the body exceeds the limit (about 2 x the subscription's `maxBytes`, see bodyLimitFor);
 * - 503: the queue is full; nothing of the batch was kept, Lambda keeps it and resends it later;
 * - 405 for other methods on `/`, 404 for other paths.
 *
 * Nothing is logged per event. Koa's own error printing is off (`silent`): a line without the
 * extension's log marker would come back as an `extension` event.
 */
import { Router } from '@koa/router';
import Koa from 'koa';
import getRawBody from 'raw-body';
import type { BufferingConfig } from '../config/types';
import { RateLimitedLog } from '../log';
import { Ingest, type IngestSource } from '../pipeline/ingest';
import { TELEMETRY_API_SOURCE } from '../pipeline/telemetry-api-source';
import type { BoundedQueue } from '../queue/bounded-queue';
import type { Counters } from '../stats/counters';
import { InvalidBatchError, parseBatch } from '../telemetry/parse-batch';
import type { ParsedEvent } from '../telemetry/schemas';

/** Headroom on top of 2 x maxBytes: JSON framing and AWS's own estimate of a batch's size. */
export const BODY_LIMIT_SLACK_BYTES = 64 * 1024;

/** The largest body the listener reads for a subscription buffering at `buffering.maxBytes`. */
export function bodyLimitFor(buffering: Pick<BufferingConfig, 'maxBytes'>): number {
  return 2 * buffering.maxBytes + BODY_LIMIT_SLACK_BYTES;
}

export interface ListenerOptions {
  /** Bodies above this many bytes get 413. */
  readonly maxBodyBytes: number;
  /** Where invalid events and request failures are reported. Default: 5 lines per minute. */
  readonly warnings?: Pick<RateLimitedLog, 'warn'>;
  /** Receipt time source (epoch ms), the fallback for unreadable event times. */
  readonly now?: () => number;
  /** What the batches are ingested as (e.g. with a minimum log level). Default {@link TELEMETRY_API_SOURCE}. */
  readonly source?: IngestSource<ParsedEvent>;
}

/** The ingest step the batches go to; or the queue and counters to build one from (with `warnings`). */
export type ListenerDeps = ListenerOptions & (
  | { readonly ingest: Pick<Ingest<ParsedEvent>, 'ingest'> }
  | { readonly queue: BoundedQueue<ParsedEvent>; readonly counters: Counters }
);

function isRawBodyError(error: unknown): error is getRawBody.RawBodyError {
  return error instanceof Error && typeof (error as { type?: unknown }).type === 'string' && typeof (error as { status?: unknown }).status === 'number';
}

/** The Koa application. Listen with `app.callback()` on a node http server (see server.ts). */
export function createListenerApp(deps: ListenerDeps): Koa {
  const { maxBodyBytes } = deps;
  const warnings = deps.warnings ?? new RateLimitedLog(5, 60_000);
  const ingest = 'ingest' in deps ? deps.ingest : new Ingest({ queue: deps.queue, counters: deps.counters, warnings });
  const now = deps.now ?? Date.now;
  const source = deps.source ?? TELEMETRY_API_SOURCE;

  const app = new Koa();
  app.silent = true;
  const router = new Router();

  router.post('/', async (ctx) => {
    let raw: Buffer;
    try {
      raw = await getRawBody(ctx.req, { limit: maxBodyBytes, length: ctx.get('content-length') || undefined });
    } catch (error) {
      if (isRawBodyError(error) && error.type === 'entity.too.large') {
        warnings.warn('telemetry batch refused: body too large', { limitBytes: maxBodyBytes });
        ctx.status = 413;
        ctx.body = `body exceeds ${maxBodyBytes} bytes`;
        return;
      }
      if (isRawBodyError(error) && error.status < 500) {
        ctx.status = error.status;
        ctx.body = error.message;
        return;
      }
      throw error;
    }

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      ctx.status = 400;
      ctx.body = `body is not valid JSON: ${(error as Error).message}`;
      return;
    }

    let batch;
    try {
      batch = parseBatch(body, now());
    } catch (error) {
      if (error instanceof InvalidBatchError) {
        ctx.status = 400;
        ctx.body = error.message;
        return;
      }
      throw error;
    }

    if (ingest.ingest(source, { items: batch.events, invalid: batch.invalid, unknown: batch.unknown, bytes: raw.length }) === 'full') {
      ctx.status = 503;
      ctx.body = 'queue full, resend later';
      return;
    }
    ctx.status = 200;
    ctx.body = 'OK';
  });

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      warnings.warn('telemetry listener failed on a request', { error: (error as Error).message });
      ctx.status = 500;
      ctx.body = 'internal error';
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
