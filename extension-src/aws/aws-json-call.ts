/**
 * One AWS JSON 1.1 API call (`POST /`, `X-Amz-Target`, `application/x-amz-json-1.1`), SigV4-signed
 * with `aws4` at every attempt, retried by ../sinks/retry.ts within a time budget. Used at init for
 * SSM `GetParameter` and CloudWatch Logs `CreateLogStream`; the same call shape serves Secrets
 * Manager's `GetSecretValue` (../sinks/secret-headers.ts).
 *
 * The whole response body is read (bounded by {@link MAX_RESPONSE_BYTES}): an answer that carries
 * a credential is larger than the diagnostics prefix the export transport keeps.
 *
 * Never throws: the result says what happened, with the AWS error type and message when the
 * service answered one (`HTTP 400, ParameterNotFound: ...`). Callers must not echo response
 * bodies of successful calls: they may hold secrets.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { CredentialsSource } from './credentials';
import { createSigV4Signer } from './sigv4-signer';
import { withRetry, type RetryClock, type RetryPolicy } from '../delivery/retry';
import { responseResult, type AttemptResult } from '../delivery/transport';

export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface AwsJsonCall {
  /** Signing name, e.g. `ssm`. */
  readonly service: string;
  readonly region: string;
  /** Full target, e.g. `AmazonSSM.GetParameter`. */
  readonly target: string;
  /** Service URL (`https://ssm.<region>.amazonaws.com`, or an override such as a local fake). */
  readonly endpoint: URL;
  readonly payload: unknown;
  readonly credentials: CredentialsSource;
  /** Total time budget, ms. Default 5000. */
  readonly budgetMs?: number;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
}

export type AwsJsonResult =
  | { readonly ok: true; readonly body: Buffer }
  /**
   * `reason` is safe to print: status, AWS error type and message, or the connection error.
   * `status` and `errorType` (e.g. `ResourceAlreadyExistsException`) when the service answered.
   */
  | { readonly ok: false; readonly reason: string; readonly status?: number; readonly errorType?: string };

const CALL_RETRY_POLICY: RetryPolicy = {
  initialBackoffMs: 100,
  maxBackoffMs: 1_000,
  multiplier: 2,
  maxElapsedMs: 5_000,
  maxAttempts: 3,
};

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export async function callAwsJson(call: AwsJsonCall): Promise<AwsJsonResult> {
  const body = Buffer.from(JSON.stringify(call.payload), 'utf8');
  const sign = createSigV4Signer({ service: call.service, region: call.region, credentials: call.credentials });
  const path = `${call.endpoint.pathname || '/'}${call.endpoint.search}`;
  const budgetMs = call.budgetMs ?? 5_000;
  const clock = call.clock;
  const now = clock ? clock.now() : Date.now();
  let last: AttemptResult | undefined;
  let signError: string | undefined;
  const outcome = await withRetry(async (timeoutMs) => {
    let headers: Record<string, string>;
    try {
      headers = sign({
        method: 'POST',
        host: call.endpoint.host,
        path,
        headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': call.target },
        body,
      });
    } catch (err) {
      signError = err instanceof Error ? err.message : String(err);
      // Nothing to send: stop at once (a 4xx-like permanent outcome).
      return { kind: 'response', status: 400, body: Buffer.alloc(0) };
    }
    last = await postOnce(call.endpoint, headers, body, timeoutMs);
    // AWS JSON services answer throttling with HTTP 400 (`ThrottlingException`): retry it as 429.
    if (last.kind === 'response' && last.status === 400 && isThrottling(last.body)) return { ...last, status: 429 };
    return last;
  }, { deadline: now + budgetMs, timeoutMs: budgetMs, policy: { ...(call.policy ?? CALL_RETRY_POLICY), maxElapsedMs: budgetMs }, clock });

  if (signError !== undefined) return { ok: false, reason: signError };
  if (outcome.delivered && last?.kind === 'response') return { ok: true, body: last.body };
  if (last?.kind === 'response') {
    const detail = last.status >= 400 ? awsErrorText(last.body) : '';
    return { ok: false, reason: `HTTP ${last.status}${detail}`, status: last.status, errorType: awsErrorType(last.body) };
  }
  return { ok: false, reason: outcome.lastError ?? outcome.reason ?? 'failed' };
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);

function isThrottling(body: Buffer): boolean {
  const type = awsErrorType(body);
  return type !== undefined && THROTTLING.has(type);
}

/** The error type of an AWS JSON error body (`__type`, namespace stripped), if any. */
export function awsErrorType(body: Buffer): string | undefined {
  try {
    const type = (JSON.parse(body.toString('utf8')) as { __type?: unknown }).__type;
    return typeof type === 'string' ? type.split('#').pop() : undefined;
  } catch {
    return undefined;
  }
}

/** ` ParameterNotFound: ...` from an AWS JSON error body (`__type`, `message`/`Message`), or ''. */
export function awsErrorText(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { __type?: unknown; message?: unknown; Message?: unknown };
    const type = typeof parsed.__type === 'string' ? parsed.__type.split('#').pop() : undefined;
    const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : undefined;
    const text = [type, message?.slice(0, 300)].filter(Boolean).join(': ');
    return text ? `, ${text}` : '';
  } catch {
    return '';
  }
}

function postOnce(url: URL, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const isHttps = url.protocol === 'https:';
    let req: http.ClientRequest;
    try {
      req = (isHttps ? https : http).request(url, { method: 'POST', headers, agent: false });
    } catch (err) {
      resolve({ kind: 'error', code: 'connection', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish({ kind: 'error', code: 'timeout', message: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      const message = err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
      finish({ kind: 'error', code: 'connection', message });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      res.on('error', (err) => finish({ kind: 'error', code: 'connection', message: err.message }));
      res.on('end', () => {
        if (size > MAX_RESPONSE_BYTES) {
          finish({ kind: 'error', code: 'connection', message: `response larger than ${MAX_RESPONSE_BYTES} bytes` });
          return;
        }
        finish(responseResult(res, chunks));
      });
    });
    req.end(body);
  });
}
