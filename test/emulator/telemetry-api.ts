/**
 * Telemetry API `PUT /2022-07-01/telemetry`: identifier checks, full validation of the
 * subscription request (400 ValidationError), 403 once Init is over, 200 `"OK"`, or the 202
 * "not supported" answer of AWS's Runtime Interface Emulator.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExtensionAgent } from './extension-registry';
import { resolveAgent } from './extensions-api';
import {
  parseJson, readBody, sendError, sendJson,
} from './http-util';
import type { TelemetryCategory } from './platform-events';
import type { Buffering } from './telemetry-dispatcher';

export const TELEMETRY_API_PATH = '/2022-07-01/telemetry';
export const SCHEMA_VERSIONS = ['2022-07-01', '2022-12-13', '2025-01-29'] as const;
export const TELEMETRY_TYPES: readonly TelemetryCategory[] = ['platform', 'function', 'extension'];
export const BUFFERING_LIMITS = {
  maxItems: { min: 1000, max: 10000, default: 10000 },
  maxBytes: { min: 262144, max: 1048576, default: 262144 },
  timeoutMs: { min: 25, max: 30000, default: 1000 },
} as const;
export const SANDBOX_HOST = 'sandbox.localdomain';
export const RUNTIME_API_PORT = 9001;

/** A validated subscription. */
export interface Subscription {
  readonly schemaVersion: string;
  readonly types: readonly TelemetryCategory[];
  readonly buffering: Buffering;
  readonly destination: {
    readonly protocol: 'HTTP';
    readonly URI: string;
    readonly port: number;
    /** Path and query of the URI (`/` when absent). */
    readonly path: string;
  };
}

export type ValidationResult =
  | { readonly ok: true; readonly subscription: Subscription }
  | { readonly ok: false; readonly errors: readonly string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateBuffering(raw: unknown, errors: string[]): Buffering {
  if (raw === undefined) {
    return {
      maxItems: BUFFERING_LIMITS.maxItems.default,
      maxBytes: BUFFERING_LIMITS.maxBytes.default,
      timeoutMs: BUFFERING_LIMITS.timeoutMs.default,
    };
  }
  if (!isRecord(raw)) {
    errors.push('buffering must be an object');
    return validateBuffering(undefined, []);
  }
  const pick = (key: keyof typeof BUFFERING_LIMITS): number => {
    const limit = BUFFERING_LIMITS[key];
    const value = raw[key];
    if (value === undefined) return limit.default;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max) {
      errors.push(`buffering.${key} should be an integer between ${limit.min} and ${limit.max} (got ${JSON.stringify(value)})`);
      return limit.default;
    }
    return value;
  };
  return { maxItems: pick('maxItems'), maxBytes: pick('maxBytes'), timeoutMs: pick('timeoutMs') };
}

function validateDestination(raw: unknown, errors: string[]): Subscription['destination'] | undefined {
  if (!isRecord(raw)) {
    errors.push('destination is required');
    return undefined;
  }
  if (raw.protocol !== 'HTTP') {
    errors.push(raw.protocol === 'TCP'
      ? 'destination.protocol TCP is not supported by this emulator (use HTTP)'
      : `destination.protocol should be HTTP or TCP (got ${JSON.stringify(raw.protocol)})`);
  }
  if (typeof raw.URI !== 'string') {
    errors.push('destination.URI is required');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw.URI);
  } catch {
    errors.push(`destination.URI is not a valid URI (got ${JSON.stringify(raw.URI)})`);
    return undefined;
  }
  const before = errors.length;
  if (url.protocol !== 'http:') errors.push(`URI scheme should be http (got ${url.protocol.replace(':', '')})`);
  if (url.hostname !== SANDBOX_HOST) errors.push(`URI host should be ${SANDBOX_HOST} (got ${url.hostname})`);
  if (url.port === '') errors.push('URI port is not provided');
  else if (Number(url.port) === RUNTIME_API_PORT) errors.push(`URI port ${RUNTIME_API_PORT} is reserved for the Runtime API`);
  if (errors.length > before) return undefined;
  return { protocol: 'HTTP', URI: raw.URI, port: Number(url.port), path: `${url.pathname}${url.search}` };
}

/** Checks a subscription request body against every documented rule; collects all violations. */
export function validateSubscription(body: unknown): ValidationResult {
  const errors: string[] = [];
  if (!isRecord(body)) return { ok: false, errors: ['request body should be a JSON object'] };
  if (!SCHEMA_VERSIONS.includes(body.schemaVersion as (typeof SCHEMA_VERSIONS)[number])) {
    errors.push(`schemaVersion should be one of ${SCHEMA_VERSIONS.join(', ')} (got ${JSON.stringify(body.schemaVersion)})`);
  }
  let types: TelemetryCategory[] = [];
  if (!Array.isArray(body.types) || body.types.length === 0) {
    errors.push('types should not be empty');
  } else {
    const unknown = body.types.filter((t) => !TELEMETRY_TYPES.includes(t as TelemetryCategory));
    if (unknown.length > 0) errors.push(`types should only contain ${TELEMETRY_TYPES.join(', ')} (got ${JSON.stringify(unknown)})`);
    types = [...new Set(body.types as TelemetryCategory[])];
  }
  const buffering = validateBuffering(body.buffering, errors);
  const destination = validateDestination(body.destination, errors);
  if (errors.length > 0 || !destination) return { ok: false, errors };
  return { ok: true, subscription: { schemaVersion: body.schemaVersion as string, types, buffering, destination } };
}

export interface TelemetryApiHost {
  readonly telemetryNotSupported: boolean;
  findAgent(id: string): ExtensionAgent | undefined;
  /** False once Init is over: subscribing is refused. */
  subscriptionOpen(): boolean;
  subscribe(agent: ExtensionAgent, subscription: Subscription): void;
  /** A rule of the environment's mode the subscription breaks (400 ValidationError), if any. */
  refuseSubscription?(subscription: Subscription): string | undefined;
}

export async function handleTelemetryApi(req: IncomingMessage, res: ServerResponse, host: TelemetryApiHost): Promise<void> {
  const body = (await readBody(req)).toString('utf8');
  if (req.method !== 'PUT') {
    sendError(res, 405, 'MethodNotAllowed', `Use PUT ${TELEMETRY_API_PATH}`);
    return;
  }
  if (host.telemetryNotSupported) {
    sendJson(res, 202, { errorType: 'Telemetry.NotSupported', errorMessage: 'Telemetry API is not supported' });
    return;
  }
  const agent = resolveAgent(req, res, (id) => host.findAgent(id));
  if (!agent) return;
  if (!host.subscriptionOpen()) {
    sendError(res, 403, 'Telemetry.SubscriptionClosed', 'Telemetry API subscription is closed already');
    return;
  }
  const parsed = parseJson(body);
  if (!parsed.ok) {
    sendError(res, 400, 'ValidationError', `request body is not valid JSON: ${parsed.error}`);
    return;
  }
  const result = validateSubscription(parsed.value);
  if (!result.ok) {
    sendJson(res, 400, { errorType: 'ValidationError', errorMessage: result.errors.join('; ') });
    return;
  }
  const refusal = host.refuseSubscription?.(result.subscription);
  if (refusal !== undefined) {
    sendJson(res, 400, { errorType: 'ValidationError', errorMessage: refusal });
    return;
  }
  host.subscribe(agent, result.subscription);
  sendJson(res, 200, 'OK');
}
