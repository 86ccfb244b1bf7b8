/**
 * Extensions API `/2020-01-01/extension/...`: HTTP parsing, identifier checks and the documented
 * error answers. The semantics (state transitions) belong to the host, the execution environment.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  EXTENSION_EVENT_TYPES, type ExtensionAgent, type ExtensionEventType,
} from './extension-registry';
import {
  header, parseJson, readBody, sendAccepted, sendError, sendJson,
} from './http-util';

export const EXTENSIONS_API_PREFIX = '/2020-01-01/extension/';

/** An `init/error` or `exit/error` call as received. */
export interface ExtensionErrorReport {
  readonly kind: 'init' | 'exit';
  readonly extensionName: string;
  readonly extensionId: string;
  /** `Lambda-Extension-Function-Error-Type`. */
  readonly functionErrorType: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
  /** Epoch ms. */
  readonly at: number;
}

export interface ApiError {
  readonly status?: number;
  readonly errorType: string;
  readonly errorMessage: string;
}

export interface FunctionMetadata {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly handler: string;
  readonly accountId: string;
}

export interface ExtensionsApiHost {
  readonly functionMetadata: FunctionMetadata;
  findAgent(id: string): ExtensionAgent | undefined;
  register(name: string, events: readonly ExtensionEventType[]): ExtensionAgent | ApiError;
  /** Hold or answer the `next` request; an error means the call is refused. */
  next(agent: ExtensionAgent, res: ServerResponse): ApiError | undefined;
  reportError(agent: ExtensionAgent, report: ExtensionErrorReport): ApiError | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resolves `Lambda-Extension-Identifier` or answers 403 as Lambda does. Shared with the Telemetry API. */
export function resolveAgent(
  req: IncomingMessage, res: ServerResponse, findAgent: (id: string) => ExtensionAgent | undefined,
): ExtensionAgent | undefined {
  const id = header(req, 'Lambda-Extension-Identifier');
  if (id === undefined) {
    sendError(res, 403, 'Extension.MissingExtensionIdentifier', 'Missing Lambda-Extension-Identifier header');
    return undefined;
  }
  if (!UUID.test(id)) {
    sendError(res, 403, 'Extension.InvalidExtensionIdentifier', 'Invalid Lambda-Extension-Identifier');
    return undefined;
  }
  const agent = findAgent(id);
  if (!agent) sendError(res, 403, 'Extension.UnknownExtensionIdentifier', `Unknown extension ${id}`);
  return agent;
}

function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && 'errorType' in value && 'errorMessage' in value;
}

function sendApiError(res: ServerResponse, error: ApiError): void {
  sendError(res, error.status ?? 403, error.errorType, error.errorMessage);
}

export async function handleExtensionsApi(
  req: IncomingMessage, res: ServerResponse, route: string, host: ExtensionsApiHost,
): Promise<void> {
  if (req.method === 'POST' && route === 'register') return register(req, res, host);
  if (req.method === 'GET' && route === 'event/next') {
    const agent = resolveAgent(req, res, (id) => host.findAgent(id));
    if (!agent) return;
    const error = host.next(agent, res);
    if (error) sendApiError(res, error);
    return;
  }
  if (req.method === 'POST' && (route === 'init/error' || route === 'exit/error')) {
    return reportError(req, res, route === 'init/error' ? 'init' : 'exit', host);
  }
  sendError(res, 404, 'NotFound', `No route ${req.method} ${EXTENSIONS_API_PREFIX}${route}`);
}

async function register(req: IncomingMessage, res: ServerResponse, host: ExtensionsApiHost): Promise<void> {
  const name = header(req, 'Lambda-Extension-Name');
  const body = (await readBody(req)).toString('utf8');
  if (name === undefined) {
    sendError(res, 403, 'Extension.InvalidExtensionName', 'Empty extension name');
    return;
  }
  const parsed = parseJson(body);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) {
    sendError(res, 403, 'InvalidRequestFormat', parsed.ok ? 'Request body must be a JSON object' : parsed.error);
    return;
  }
  const rawEvents = (parsed.value as { events?: unknown }).events ?? [];
  if (!Array.isArray(rawEvents)) {
    sendError(res, 403, 'InvalidRequestFormat', 'events must be an array');
    return;
  }
  for (const event of rawEvents) {
    if (!EXTENSION_EVENT_TYPES.includes(event as ExtensionEventType)) {
      sendError(res, 403, 'Extension.InvalidEventType', `${String(event)}: unknown event type`);
      return;
    }
  }
  const result = host.register(name, rawEvents as ExtensionEventType[]);
  if (isApiError(result)) {
    sendApiError(res, result);
    return;
  }
  const features = (header(req, 'Lambda-Extension-Accept-Feature') ?? '').split(',').map((f) => f.trim());
  const meta = host.functionMetadata;
  sendJson(res, 200, {
    functionName: meta.functionName,
    functionVersion: meta.functionVersion,
    handler: meta.handler,
    ...(features.includes('accountId') ? { accountId: meta.accountId } : {}),
  }, { 'Lambda-Extension-Identifier': result.id });
}

async function reportError(
  req: IncomingMessage, res: ServerResponse, kind: 'init' | 'exit', host: ExtensionsApiHost,
): Promise<void> {
  const body = (await readBody(req)).toString('utf8');
  const agent = resolveAgent(req, res, (id) => host.findAgent(id));
  if (!agent) return;
  const functionErrorType = header(req, 'Lambda-Extension-Function-Error-Type');
  if (functionErrorType === undefined) {
    sendError(res, 403, 'Extension.MissingHeader', 'Lambda-Extension-Function-Error-Type not found');
    return;
  }
  const parsed = parseJson(body);
  const error = host.reportError(agent, {
    kind,
    extensionName: agent.name,
    extensionId: agent.id,
    functionErrorType,
    headers: { ...req.headers },
    body: parsed.ok ? parsed.value : body,
    at: Date.now(),
  });
  if (error) sendApiError(res, error);
  else sendAccepted(res);
}
