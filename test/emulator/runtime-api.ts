/**
 * Runtime API `/2018-06-01/runtime/...`: `invocation/next`, `invocation/{id}/response`,
 * `invocation/{id}/error` and `init/error`, with Lambda's status codes and error bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './extensions-api';
import {
  BodyTooLargeError, header, parseJson, readBody, sendAccepted, sendError, sendJson,
} from './http-util';

export const RUNTIME_API_PREFIX = '/2018-06-01/runtime/';
/** Lambda's synchronous response payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;

/** What the runtime posted for an invocation. */
export interface RuntimeOutcome {
  readonly kind: 'response' | 'error';
  readonly body: Buffer;
  /** `Lambda-Runtime-Function-Error-Type` (errors only). */
  readonly errorType?: string;
  /** Epoch ms when the request arrived (first byte) and when its body was complete (last byte). */
  readonly firstByteAt: number;
  readonly lastByteAt: number;
}

export interface RuntimeApiHost {
  /** Hold or answer the runtime's `next`; an error means the call is refused. */
  runtimeNext(res: ServerResponse): ApiError | undefined;
  /** False when `requestId` is not the current invocation or it already has an outcome. */
  runtimeOutcome(requestId: string, outcome: RuntimeOutcome): boolean;
  runtimeInitError(errorType: string | undefined, body: unknown): ApiError | undefined;
  /** SnapStart: hold `restore/next` until the environment is restored. */
  runtimeRestoreNext(res: ServerResponse): ApiError | undefined;
  runtimeRestoreError(errorType: string | undefined, body: unknown): ApiError | undefined;
}

/** The headers the real Runtime API sends with an invocation. */
export function invocationHeaders(args: {
  requestId: string; deadlineMs: number; invokedFunctionArn: string; traceHeader?: string;
}): Record<string, string> {
  return {
    'Lambda-Runtime-Aws-Request-Id': args.requestId,
    'Lambda-Runtime-Deadline-Ms': String(args.deadlineMs),
    'Lambda-Runtime-Invoked-Function-Arn': args.invokedFunctionArn,
    ...(args.traceHeader === undefined ? {} : { 'Lambda-Runtime-Trace-Id': args.traceHeader }),
  };
}

/** Answers a pending `next` with an invocation payload. */
export function writeInvocation(res: ServerResponse, headers: Record<string, string>, payload: string): void {
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

export async function handleRuntimeApi(
  req: IncomingMessage, res: ServerResponse, route: string, host: RuntimeApiHost,
): Promise<void> {
  if (req.method === 'GET' && route === 'invocation/next') {
    const error = host.runtimeNext(res);
    if (error) sendError(res, error.status ?? 403, error.errorType, error.errorMessage);
    return;
  }
  const match = /^invocation\/([^/]+)\/(response|error)$/.exec(route);
  if (req.method === 'POST' && match) {
    const firstByteAt = Date.now();
    let body: Buffer;
    try {
      body = await readBody(req, MAX_PAYLOAD_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      sendError(res, 413, 'RequestEntityTooLarge', `Exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`);
      return;
    }
    const kind = match[2] as 'response' | 'error';
    const accepted = host.runtimeOutcome(decodeURIComponent(match[1]), {
      kind,
      body,
      errorType: kind === 'error' ? header(req, 'Lambda-Runtime-Function-Error-Type') : undefined,
      firstByteAt,
      lastByteAt: Date.now(),
    });
    if (accepted) sendAccepted(res);
    else sendJson(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    return;
  }
  if (req.method === 'GET' && route === 'restore/next') {
    const error = host.runtimeRestoreNext(res);
    if (error) sendError(res, error.status ?? 403, error.errorType, error.errorMessage);
    return;
  }
  if (req.method === 'POST' && (route === 'init/error' || route === 'restore/error')) {
    const text = (await readBody(req)).toString('utf8');
    const parsed = parseJson(text);
    const report = route === 'init/error' ? host.runtimeInitError.bind(host) : host.runtimeRestoreError.bind(host);
    const error = report(header(req, 'Lambda-Runtime-Function-Error-Type'), parsed.ok ? parsed.value : text);
    if (error) sendError(res, error.status ?? 403, error.errorType, error.errorMessage);
    else sendAccepted(res);
    return;
  }
  if (req.method === 'POST' && route === 'init/error') {
    const text = (await readBody(req)).toString('utf8');
    const parsed = parseJson(text);
    const error = host.runtimeInitError(header(req, 'Lambda-Runtime-Function-Error-Type'), parsed.ok ? parsed.value : text);
    if (error) sendError(res, error.status ?? 403, error.errorType, error.errorMessage);
    else sendAccepted(res);
    return;
  }
  sendError(res, 404, 'NotFound', `No route ${req.method} ${RUNTIME_API_PREFIX}${route}`);
}
