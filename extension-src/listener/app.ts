/**
 * The HTTP listener the Telemetry API pushes to: one route, `POST /`, whose body is a JSON array
 * of events (the subscription's destination URI has no path, see lambda/telemetry-api.ts).
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
import { isOwnOutput, RateLimitedLog } from '../log';
import type { BoundedQueue } from '../queue/bounded-queue';
import type { Counters } from '../stats/counters';
import { InvalidBatchError, parseBatch, type InvalidEvent } from '../telemetry/parse-batch';
import { isKnownEvent, type ParsedEvent } from '../telemetry/schemas';

/** Headroom on top of 2 x maxBytes: JSON framing and AWS's own estimate of a batch's size. */
export const BODY_LIMIT_SLACK_BYTES = 64 * 1024;

/** The largest body the listener reads for a subscription buffering at `buffering.maxBytes`. */
export function bodyLimitFor(buffering: Pick<BufferingConfig, 'maxBytes'>): number {
  return 2 * buffering.maxBytes + BODY_LIMIT_SLACK_BYTES;
}

export interface ListenerDeps {
  readonly queue: BoundedQueue<ParsedEvent>;
  readonly counters: Counters;
  /** Bodies above this many bytes get 413. */
  readonly maxBodyBytes: number;
  /** Where invalid events and request failures are reported. Default: 5 lines per minute. */
  readonly warnings?: Pick<RateLimitedLog, 'warn'>;
  /** Receipt time source (epoch ms), the fallback for unreadable event times. */
  readonly now?: () => number;
}

function isRawBodyError(error: unknown): error is getRawBody.RawBodyError {
  return error instanceof Error && typeof (error as { type?: unknown }).type === 'string' && typeof (error as { status?: unknown }).status === 'number';
}

function describeInvalid(invalid: readonly InvalidEvent[]): string {
  const first = invalid[0];
  return `#${first.index}${first.type ? ` (${first.type})` : ''}: ${first.reason}`;
}

/** The Koa application. Listen with `app.callback()` on a node http server (see server.ts). */
export function createListenerApp(deps: ListenerDeps): Koa {
  const { queue, counters, maxBodyBytes } = deps;
  const warnings = deps.warnings ?? new RateLimitedLog(5, 60_000);
  const now = deps.now ?? Date.now;

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

    const total = (body as unknown[]).length;
    let kept = batch.events;
    let ownOutput = 0;
    for (const event of batch.events) {
      if (event.type === 'extension' && isOwnOutput(event.record)) ownOutput++;
    }
    if (ownOutput > 0) kept = batch.events.filter((event) => !(event.type === 'extension' && isOwnOutput(event.record)));

    const bytes = total > 0 ? (raw.length * kept.length) / total : 0;
    if (!queue.offer(kept, bytes)) {
      counters.rejected += kept.length;
      ctx.status = 503;
      ctx.body = 'queue full, resend later';
      return;
    }

    counters.received += total - ownOutput;
    counters.invalid += batch.invalid.length;
    counters.unknown += batch.unknown;
    for (const event of kept) {
      if (isKnownEvent(event) && event.type === 'platform.logsDropped') {
        counters.platformDroppedRecords += event.record.droppedRecords;
        counters.platformDroppedBytes += event.record.droppedBytes;
      }
    }
    if (batch.invalid.length > 0) {
      warnings.warn('invalid telemetry events dropped', { count: batch.invalid.length, first: describeInvalid(batch.invalid) });
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
