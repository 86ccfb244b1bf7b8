/**
 * The resource every sink attaches to what it exports: who produced the telemetry.
 *
 * Precedence, lowest first:
 * 1. what the Lambda environment says (`cloud.*`, `faas.*`);
 * 2. `OTEL_RESOURCE_ATTRIBUTES` (the user's explicit choice wins over detection);
 * 3. `service.name`: configured `serviceName`, else `OTEL_SERVICE_NAME`, else `service.name` from
 *    `OTEL_RESOURCE_ATTRIBUTES`, else the function name (as the OTel spec orders them);
 * 4. `telemetry.sdk.*`: always the extension's own.
 *
 * `OTEL_RESOURCE_ATTRIBUTES` is parsed here, not by @opentelemetry/resources' `envDetector`,
 * because that detector only reads `process.env` while sinks get their environment injected. The
 * rules are the spec's (and the detector's): comma-separated `key=value`, keys and values
 * percent-decoded and trimmed, empty entries skipped; any malformed entry discards the whole value.
 */
import { EXTENSION_NAME } from '../../lib/config/contract';

export type ResourceAttributes = Record<string, string | number>;

export interface ResourceInputs {
  readonly env: NodeJS.ProcessEnv;
  /** Configured `service.name` (TELEMETRY_EXTENSION_SERVICE_NAME). */
  readonly serviceName?: string;
  /** From the register response; falls back to AWS_LAMBDA_FUNCTION_NAME. */
  readonly functionName?: string;
  /** From the register response; falls back to AWS_LAMBDA_FUNCTION_VERSION. */
  readonly functionVersion?: string;
}

/** Set by the bundler (`define`); `0.0.0-dev` when running from source. */
declare const __TELEMETRY_EXTENSION_VERSION__: string | undefined;

export const EXTENSION_VERSION: string = typeof __TELEMETRY_EXTENSION_VERSION__ === 'string' ? __TELEMETRY_EXTENSION_VERSION__ : '0.0.0-dev';

const MB = 1024 * 1024;

/** Result of parsing `OTEL_RESOURCE_ATTRIBUTES`. */
export type ParsedResourceAttributes =
  | { readonly ok: true; readonly attributes: Record<string, string> }
  | { readonly ok: false; readonly error: string };

/** Parse an `OTEL_RESOURCE_ATTRIBUTES` value. */
export function parseOtelResourceAttributes(raw: string | undefined): ParsedResourceAttributes {
  const attributes: Record<string, string> = {};
  if (raw === undefined) return { ok: true, attributes };
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const parts = entry.split('=');
    if (parts.length !== 2) return { ok: false, error: `entry "${entry}" is not key=value (percent-encode ',' and '=')` };
    const key = parts[0].trim();
    if (key === '') return { ok: false, error: `entry "${entry}" has an empty key` };
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(key);
      value = decodeURIComponent(parts[1].trim());
    } catch {
      return { ok: false, error: `entry "${entry}" is not valid percent-encoding` };
    }
    // Never an attribute; assigning it would replace the object's prototype.
    if (name !== '__proto__') attributes[name] = value;
  }
  return { ok: true, attributes };
}

export interface BuiltResource {
  readonly attributes: ResourceAttributes;
  /** Why `OTEL_RESOURCE_ATTRIBUTES` was ignored, if it was (for one log line at init). */
  readonly warning?: string;
}

/** Resource attributes for the current function. */
export function buildResource(inputs: ResourceInputs): BuiltResource {
  const { env } = inputs;
  const attributes: ResourceAttributes = {
    'cloud.provider': 'aws',
    'cloud.platform': 'aws_lambda',
  };
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region) attributes['cloud.region'] = region;
  const functionName = inputs.functionName || env.AWS_LAMBDA_FUNCTION_NAME;
  if (functionName) attributes['faas.name'] = functionName;
  const functionVersion = inputs.functionVersion || env.AWS_LAMBDA_FUNCTION_VERSION;
  if (functionVersion) attributes['faas.version'] = functionVersion;
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE && Number.isInteger(memoryMb) && memoryMb > 0) {
    attributes['faas.max_memory'] = memoryMb * MB;
  }

  const parsed = parseOtelResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const fromEnv = parsed.ok ? parsed.attributes : {};
  Object.assign(attributes, fromEnv);

  attributes['service.name'] = inputs.serviceName
    || env.OTEL_SERVICE_NAME
    || fromEnv['service.name']
    || functionName
    || `unknown_service:${EXTENSION_NAME}`;
  attributes['telemetry.sdk.name'] = EXTENSION_NAME;
  attributes['telemetry.sdk.language'] = 'nodejs';
  attributes['telemetry.sdk.version'] = EXTENSION_VERSION;

  return parsed.ok ? { attributes } : { attributes, warning: `OTEL_RESOURCE_ATTRIBUTES ignored: ${parsed.error}` };
}
