/**
 * Reads and validates the extension's configuration from the environment, following the
 * contract in lib/config/contract.ts (names, defaults, ranges). Unset or empty variables take
 * their default. Any bad value throws a {@link ConfigError} naming the variable, the value and
 * what is allowed; header values never appear in messages.
 */
import * as v from 'valibot';
import type { CloudWatchConfig, ExtensionConfig, SinkConfig } from './types';
import {
  CLOUDWATCH_SIGNALS,
  type CloudWatchSignalName,
  COMPRESSIONS,
  DEFAULTS,
  ENV,
  FLUSH_STRATEGIES,
  HEADER_VALUE_FORBIDDEN,
  httpUrlProblem,
  type IntRange,
  isCredentialHeaderName,
  isHeaderName,
  isSecretArn,
  LIMITS,
  LOG_LEVELS,
  type LogLevelName,
  OTLP_PROTOCOLS,
  redactUserInfo,
  SINK_KINDS,
  TELEMETRY_TYPES,
  type TelemetryTypeName,
} from '../../lib/config/contract';

/** A configuration value is wrong. The message is safe to log and to send to `init/error`. */
export class ConfigError extends Error {
  constructor(
    /** The environment variable at fault. */
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DECIMAL = /^\d+$/;

/** Reads a variable: undefined when unset or blank. */
function raw(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function fail(name: string, allowed: string, value: string): never {
  throw new ConfigError(name, `${name} must be ${allowed}, got ${JSON.stringify(value)}`);
}

function intSchema(range: IntRange, reserved: readonly number[] = []) {
  return v.pipe(
    v.string(),
    v.regex(DECIMAL),
    v.transform(Number),
    v.check((n) => n >= range.min && n <= range.max && !reserved.includes(n)),
  );
}

function readInt(env: NodeJS.ProcessEnv, name: string, range: IntRange, reserved: readonly number[] = []): number {
  const value = raw(env, name);
  if (value === undefined) return range.default;
  const result = v.safeParse(intSchema(range, reserved), value);
  if (result.success) return result.output;
  const except = reserved.length > 0 ? ` other than ${reserved.join(', ')}` : '';
  return fail(name, `an integer from ${range.min} to ${range.max}${except}`, value);
}

function readChoice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const result = v.safeParse(v.picklist(choices), value);
  if (result.success) return result.output;
  return fail(name, `one of ${choices.join(', ')}`, value);
}

const TypesSchema = v.pipe(
  v.string(),
  v.transform((text) => text.split(',').map((part) => part.trim())),
  v.array(v.picklist(TELEMETRY_TYPES)),
  v.minLength(1),
  v.transform((types): readonly TelemetryTypeName[] => [...new Set(types)]),
);

function readTypes(env: NodeJS.ProcessEnv): readonly TelemetryTypeName[] {
  const value = raw(env, ENV.TYPES);
  if (value === undefined) return DEFAULTS.types;
  const result = v.safeParse(TypesSchema, value);
  if (result.success) return result.output;
  return fail(ENV.TYPES, `a comma-separated list of ${TELEMETRY_TYPES.join(', ')}`, value);
}

function readEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const value = raw(env, ENV.SINK_ENDPOINT);
  if (value === undefined) return undefined;
  const problem = httpUrlProblem(value);
  if (problem === undefined) return value;
  if (problem === 'credentials') {
    throw new ConfigError(
      ENV.SINK_ENDPOINT,
      `${ENV.SINK_ENDPOINT} must not embed credentials in the URL (got ${JSON.stringify(redactUserInfo(value))}); put them in the Secrets Manager secret named by ${ENV.SINK_HEADERS_SECRET_ARN}`,
    );
  }
  return fail(ENV.SINK_ENDPOINT, 'an http:// or https:// URL', redactUserInfo(value));
}

const HeadersSchema = v.record(v.string(), v.string());

function readHeaders(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  const name = ENV.SINK_HEADERS;
  const value = raw(env, name);
  if (value === undefined) return {};
  const allowed = `${name} must be a JSON object of header names to string values`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, `${allowed}, got text that is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(name, `${allowed}, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`}`);
  }
  const result = v.safeParse(HeadersSchema, parsed);
  if (!result.success) {
    const key = String(result.issues[0].path?.[0]?.key);
    throw new ConfigError(name, `${allowed}, header ${JSON.stringify(key)} has a value that is not a string`);
  }
  for (const [header, headerValue] of Object.entries(result.output)) {
    if (!isHeaderName(header)) {
      throw new ConfigError(name, `${name}: ${JSON.stringify(header)} is not a valid HTTP header name`);
    }
    if (HEADER_VALUE_FORBIDDEN.test(headerValue)) {
      throw new ConfigError(name, `${name}: the value of header ${JSON.stringify(header)} contains a line break or NUL`);
    }
    if (isCredentialHeaderName(header)) {
      throw new ConfigError(
        name,
        `${name}: header ${JSON.stringify(header)} looks like a credential; put it in the Secrets Manager secret named by ${ENV.SINK_HEADERS_SECRET_ARN} instead`,
      );
    }
  }
  return result.output;
}

function readSecretArn(env: NodeJS.ProcessEnv): string | undefined {
  const value = raw(env, ENV.SINK_HEADERS_SECRET_ARN);
  if (value === undefined) return undefined;
  if (isSecretArn(value)) return value;
  return fail(ENV.SINK_HEADERS_SECRET_ARN, 'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)', value);
}

function readSink(env: NodeJS.ProcessEnv): SinkConfig {
  const kind = readChoice(env, ENV.SINK, SINK_KINDS, DEFAULTS.sink);
  const endpoint = readEndpoint(env);
  if (kind !== 'stdout' && kind !== 'cloudwatch' && endpoint === undefined) {
    throw new ConfigError(ENV.SINK_ENDPOINT, `${ENV.SINK_ENDPOINT} must be set when ${ENV.SINK} is "${kind}"`);
  }
  return {
    kind,
    endpoint: kind === 'stdout' || kind === 'cloudwatch' ? undefined : endpoint,
    protocol: readChoice(env, ENV.SINK_PROTOCOL, OTLP_PROTOCOLS, DEFAULTS.protocol),
    headers: readHeaders(env),
    headersSecretArn: readSecretArn(env),
    headersParameter: readHeadersParameter(env),
    cloudWatch: kind === 'cloudwatch' ? readCloudWatch(env) : undefined,
    compression: readChoice(env, ENV.SINK_COMPRESSION, COMPRESSIONS, DEFAULTS.compression),
    timeoutMs: readInt(env, ENV.SINK_TIMEOUT_MS, LIMITS.sinkTimeoutMs),
    serviceName: raw(env, ENV.SERVICE_NAME),
  };
}

/** The receiver port's variable (the contract's `ENV.OTLP_RECEIVER_PORT`; 4318 by default with an OTLP sink). */
export const RECEIVER_PORT_ENV = ENV.OTLP_RECEIVER_PORT;

/** The receiver's port: unset means no receiver; the listener's rules, and never the listener's port. */
function readReceiverPort(env: NodeJS.ProcessEnv, listenerPort: number): number | undefined {
  if (raw(env, RECEIVER_PORT_ENV) === undefined) return undefined;
  const port = readInt(env, RECEIVER_PORT_ENV, LIMITS.otlpReceiverPort, LIMITS.reservedPorts);
  if (port === listenerPort) {
    throw new ConfigError(RECEIVER_PORT_ENV, `${RECEIVER_PORT_ENV} must differ from ${ENV.PORT} (${listenerPort}): the OTLP receiver and the Telemetry API listener cannot share a port`);
  }
  return port;
}

/**
 * The extension's configuration from `env`.
 * @throws ConfigError on the first bad value.
 */
export function readConfig(env: NodeJS.ProcessEnv): ExtensionConfig {
  const port = readInt(env, ENV.PORT, LIMITS.port, LIMITS.reservedPorts);
  const receiverPort = readReceiverPort(env, port);
  return {
    configured: raw(env, ENV.CONFIGURED) !== undefined,
    port,
    ...(receiverPort !== undefined ? { receiverPort } : {}),
    types: readTypes(env),
    minLogLevel: readMinLogLevel(env),
    buffering: {
      maxItems: readInt(env, ENV.BUFFERING_MAX_ITEMS, LIMITS.bufferingMaxItems),
      maxBytes: readInt(env, ENV.BUFFERING_MAX_BYTES, LIMITS.bufferingMaxBytes),
      timeoutMs: readInt(env, ENV.BUFFERING_TIMEOUT_MS, LIMITS.bufferingTimeoutMs),
    },
    queue: {
      maxItems: readInt(env, ENV.QUEUE_MAX_ITEMS, LIMITS.queueMaxItems),
      maxBytes: readInt(env, ENV.QUEUE_MAX_BYTES, LIMITS.queueMaxBytes),
    },
    flush: {
      strategy: readChoice(env, ENV.FLUSH_STRATEGY, FLUSH_STRATEGIES, DEFAULTS.flushStrategy),
      intervalMs: readInt(env, ENV.FLUSH_INTERVAL_MS, LIMITS.flushIntervalMs),
    },
    sink: readSink(env),
  };
}

// --- The CloudWatch sink, the headers parameter and the minimum log level (issue 13) ---

/** An SSM parameter name (`/a/b`, `a.b-c_d`) or parameter ARN. */
const PARAMETER_NAME = /^(?:arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/)?\/?[A-Za-z0-9_.\-/]{1,2048}$/;

function readHeadersParameter(env: NodeJS.ProcessEnv): string | undefined {
  const value = raw(env, ENV.SINK_HEADERS_PARAMETER);
  if (value === undefined) return undefined;
  if (PARAMETER_NAME.test(value) && !value.endsWith('/')) return value;
  return fail(ENV.SINK_HEADERS_PARAMETER, 'an SSM parameter name (/path/name) or parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>)', value);
}

function readMinLogLevel(env: NodeJS.ProcessEnv): LogLevelName | undefined {
  const value = raw(env, ENV.MIN_LOG_LEVEL);
  if (value === undefined) return undefined;
  const level = LOG_LEVELS.find((name) => name === value.toUpperCase());
  return level ?? fail(ENV.MIN_LOG_LEVEL, `one of ${LOG_LEVELS.join(', ')}`, value);
}

function readSignals(env: NodeJS.ProcessEnv): readonly CloudWatchSignalName[] {
  const name = ENV.CLOUDWATCH_SIGNALS;
  const value = raw(env, name);
  if (value === undefined) return CLOUDWATCH_SIGNALS;
  const parts = value.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => !(CLOUDWATCH_SIGNALS as readonly string[]).includes(part))) {
    return fail(name, `a comma-separated list of ${CLOUDWATCH_SIGNALS.join(', ')}`, value);
  }
  return CLOUDWATCH_SIGNALS.filter((signal) => parts.includes(signal));
}

/** A log group name as CloudWatch Logs allows it: 1-512 of `[.\-_/#A-Za-z0-9]`. */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** What a log stream name may not contain (`:` and `*`). */
const LOG_STREAM_PREFIX_FORBIDDEN = /[:*\r\n\0]/;
/** A stream name is at most 512 characters: the prefix leaves room for `yyyy/mm/dd/` and 32 hex digits (as the construct checks). */
const MAX_LOG_STREAM_PREFIX = 512 - 'yyyy/mm/dd/'.length - 32;

function readCloudWatch(env: NodeJS.ProcessEnv): CloudWatchConfig {
  const signals = readSignals(env);
  const logGroup = raw(env, ENV.CLOUDWATCH_LOG_GROUP);
  if (logGroup !== undefined && !LOG_GROUP_NAME.test(logGroup)) {
    fail(ENV.CLOUDWATCH_LOG_GROUP, 'a log group name (1-512 characters of letters, digits, . - _ / #)', logGroup);
  }
  if (signals.includes('logs') && logGroup === undefined) {
    throw new ConfigError(ENV.CLOUDWATCH_LOG_GROUP, `${ENV.CLOUDWATCH_LOG_GROUP} must be set when ${ENV.CLOUDWATCH_SIGNALS} includes logs (the OTLP logs endpoint writes to an existing log group)`);
  }
  const prefix = env[ENV.CLOUDWATCH_LOG_STREAM_PREFIX]?.trim() ?? '';
  if (LOG_STREAM_PREFIX_FORBIDDEN.test(prefix) || prefix.length > MAX_LOG_STREAM_PREFIX) {
    fail(ENV.CLOUDWATCH_LOG_STREAM_PREFIX, `at most ${MAX_LOG_STREAM_PREFIX} characters without ":" or "*"`, prefix);
  }
  const endpoint = raw(env, ENV.CLOUDWATCH_ENDPOINT);
  if (endpoint !== undefined) {
    const problem = httpUrlProblem(endpoint);
    if (problem === 'credentials') {
      throw new ConfigError(ENV.CLOUDWATCH_ENDPOINT, `${ENV.CLOUDWATCH_ENDPOINT} must not embed credentials in the URL (got ${JSON.stringify(redactUserInfo(endpoint))}); requests are signed with SigV4`);
    }
    if (problem !== undefined) fail(ENV.CLOUDWATCH_ENDPOINT, 'an http:// or https:// URL', redactUserInfo(endpoint));
  }
  return {
    signals,
    logGroup: signals.includes('logs') ? logGroup : undefined,
    logStreamPrefix: prefix,
    endpoint,
  };
}
