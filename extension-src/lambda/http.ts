/**
 * Minimal JSON-over-HTTP calls to the Lambda Runtime API host (`AWS_LAMBDA_RUNTIME_API`), with
 * `node:http` only, on kept-alive connections, optional timeout.
 *
 * Keep-alive: a TCP connect (and close) per `event/next` was the largest single CPU cost of an
 * invocation (test/bench/PROFILE.md: about 15 % of it). The API is HTTP/1.1 with keep-alive (the
 * AWS examples use `fetch`, which keeps alive). A `next` in flight holds its socket across a
 * freeze as before; a socket idle in the pool may have been closed by the API meanwhile, so a
 * transport error on a reused socket before any answer is retried once at once on a new
 * connection outside the pool (as Node's docs advise; the pool may hold more such sockets); a new
 * connection's error is reported as it is. Pooled sockets are
 * unref'd by the agent: they never keep the process alive.
 */
import * as http from 'node:http';

export interface ApiReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** `host:port`, as in `AWS_LAMBDA_RUNTIME_API`. */
  readonly runtimeApi: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Give up after this many ms without a complete answer. Absent: wait for ever (`event/next`). */
  readonly timeoutMs?: number;
}

/** A Runtime API host is `host:port` (IPv6 hosts in brackets). */
export function splitRuntimeApi(runtimeApi: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(runtimeApi.trim());
  if (!match) throw new Error(`AWS_LAMBDA_RUNTIME_API must be host:port, got ${JSON.stringify(runtimeApi)}`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** Kept-alive connections to the Extensions / Telemetry API: the long-poll `next` holds one, other calls another. */
const API_AGENT = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Resolves with any HTTP answer (status included); rejects only on transport errors or timeout. */
export async function callApi(req: ApiRequest): Promise<ApiReply> {
  const { host, port } = splitRuntimeApi(req.runtimeApi);
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string | number> = { ...req.headers };
  if (payload) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = payload.length;
  }
  const started = Date.now();
  try {
    return await attempt(host, port, req, headers, payload, req.timeoutMs);
  } catch (error) {
    if (!(error instanceof ReusedSocketError)) throw error;
    const left = req.timeoutMs === undefined ? undefined : req.timeoutMs - (Date.now() - started);
    if (left !== undefined && left <= 0) throw error.original;
    // Not from the pool, which may hold more sockets the API closed meanwhile.
    return attempt(host, port, req, headers, payload, left, false);
  }
}

/** A transport error on a socket from the pool, before any answer: worth one more try on a new connection. */
class ReusedSocketError extends Error {
  constructor(readonly original: unknown) {
    super('reused socket failed');
  }
}

function attempt(
  host: string, port: number, req: ApiRequest, headers: Record<string, string | number>, payload: Buffer | undefined,
  timeoutMs: number | undefined, pooled = true,
): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = http.request({ host, port, method: req.method, path: req.path, headers, agent: pooled ? API_AGENT : false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      request.destroy(new CallTimeout(`no answer within ${req.timeoutMs} ms`));
    }, timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(pooled && request.reusedSocket && !answered && !(error instanceof CallTimeout) ? new ReusedSocketError(error) : error);
    });
    request.end(payload);
  });
}

class CallTimeout extends Error {}

/** `{errorType, errorMessage}` from an error answer, when it has them. */
export function readApiError(body: string): { errorType?: string; errorMessage?: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') {
      const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
      return {
        errorType: typeof errorType === 'string' ? errorType : undefined,
        errorMessage: typeof errorMessage === 'string' ? errorMessage : undefined,
      };
    }
  } catch {
    // not JSON: the caller reports the raw status
  }
  return {};
}

/** A Lambda API call failed. `status` is absent when no HTTP answer came (refused, timeout). */
export class LambdaApiError extends Error {
  static fromReply(operation: string, reply: ApiReply): LambdaApiError {
    const { errorType, errorMessage } = readApiError(reply.body);
    const detail = errorMessage ?? (reply.body.trim().slice(0, 200) || 'no message');
    return new LambdaApiError(operation, `${operation} failed: HTTP ${reply.status}${errorType ? ` ${errorType}` : ''}: ${detail}`, reply.status, errorType);
  }

  static fromTransport(operation: string, runtimeApi: string, cause: unknown): LambdaApiError {
    return new LambdaApiError(operation, `${operation} failed: cannot reach the Lambda API at ${runtimeApi}: ${(cause as Error).message}`, undefined, undefined, { cause });
  }

  constructor(
    /** e.g. `register`, `event/next`, `telemetry subscribe`. */
    readonly operation: string,
    message: string,
    readonly status?: number,
    readonly errorType?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LambdaApiError';
  }
}
