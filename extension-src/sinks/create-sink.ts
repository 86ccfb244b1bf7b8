/**
 * Builds the configured sink at init: validates what the config reader cannot (endpoint URL,
 * header syntax), reads the credential headers once, from the Secrets Manager secret and the SSM
 * parameter (merged over the plain ones: a stored header wins, names compared case-insensitively;
 * the parameter's over the secret's), and builds the resource. The cloudwatch sink signs with
 * SigV4 instead and creates its log stream (./cloudwatch/cloudwatch-sink.ts).
 *
 * Only the configured sink's module is loaded (`require` inside its branch): the OTLP encoders
 * and OpenTelemetry packages are never evaluated when the sink is `stdout` or `http`, nor `aws4`
 * when no header secret or parameter is configured and the sink is not `cloudwatch`.
 *
 * Fails with {@link SinkInitError} (`errorType` `Extension.ConfigInvalid` or
 * `Extension.SecretUnavailable`) for the extension to report through `init/error`.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading keeps unconfigured sinks off the start-up path */
import * as http from 'node:http';
import { envCredentialsSource, type CredentialsSource } from '../aws/credentials';
import { httpUrlReason } from '../config/http-url';
import { log } from '../log';
import { SinkInitError } from './errors';
import type { HttpSink } from './http-sink';
import type { Counters } from '../stats/counters';
import type { OtlpSink } from './otlp/otlp-sink';
import { buildResource } from './resource';
import type { readSecretHeaders as ReadSecretHeaders } from './secret-headers';
import type { readParameterHeaders as ReadParameterHeaders } from '../aws/ssm-headers';
import type { CloudWatchSink } from './cloudwatch/cloudwatch-sink';
import type { Sink } from './sink';
import type { StdoutSink } from './stdout-sink';
import type { SinkConfig } from '../config/types';

export interface SinkContext {
  /** Read by the OTLP sink for its self-telemetry metrics; no sink writes them. */
  readonly counters: Pick<Counters, 'snapshot'>;
  readonly env: NodeJS.ProcessEnv;
  /** From the register response. */
  readonly functionName?: string;
  readonly functionVersion?: string;
  /** AWS credentials for SigV4 (the cloudwatch sink). Default: `env`'s, read at every attempt. */
  readonly credentials?: CredentialsSource;
}

/** Longest time init may spend reading the header secret (and the parameter), ms (init has 10 s for everything). */
const SECRET_BUDGET_MS = 5_000;

export async function createSink(config: SinkConfig, context: SinkContext): Promise<Sink> {
  if (config.kind === 'stdout') {
    if (config.headersSecretArn) log.warn('sink headers secret ignored: the stdout sink sends no headers');
    if (config.headersParameter) log.warn('sink headers parameter ignored: the stdout sink sends no headers');
    const { StdoutSink: Stdout } = require('./stdout-sink') as { StdoutSink: typeof StdoutSink };
    // The resource only fills in the function's own OTLP data (cloud.* / faas.*), when there is some.
    const { attributes } = buildResource({
      env: context.env,
      serviceName: config.serviceName,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
    });
    return new Stdout({ resource: attributes });
  }
  if (config.kind === 'cloudwatch') return createCloudWatchSink(config, context);

  if (!config.endpoint) throw new SinkInitError('Extension.ConfigInvalid', `the ${config.kind} sink needs an endpoint`);
  const endpoint = config.endpoint;
  checkEndpoint(endpoint, config.kind);
  checkHeaders(config.headers, 'plain');

  let headers: Record<string, string> = { ...config.headers };
  if (config.headersSecretArn) {
    const { readSecretHeaders } = require('./secret-headers') as { readSecretHeaders: typeof ReadSecretHeaders };
    const secret = await readSecretHeaders(config.headersSecretArn, {
      env: context.env,
      budgetMs: Math.min(Math.max(config.timeoutMs, 1_000), SECRET_BUDGET_MS),
    });
    headers = mergeHeaders(headers, secret);
  }
  if (config.headersParameter) {
    const { readParameterHeaders } = require('../aws/ssm-headers') as { readParameterHeaders: typeof ReadParameterHeaders };
    const stored = await readParameterHeaders(config.headersParameter, {
      env: context.env,
      budgetMs: Math.min(Math.max(config.timeoutMs, 1_000), SECRET_BUDGET_MS),
    });
    headers = mergeHeaders(headers, stored);
  }

  const resource = sinkResource(config, context);

  try {
    if (config.kind === 'http') {
      const { HttpSink: Http } = require('./http-sink') as { HttpSink: typeof HttpSink };
      return new Http({
        endpoint,
        headers,
        compression: config.compression,
        timeoutMs: config.timeoutMs,
        resource: resource.attributes,
      });
    }
    const { OtlpSink: Otlp } = require('./otlp/otlp-sink') as { OtlpSink: typeof OtlpSink };
    return new Otlp({
      endpoint,
      protocol: config.protocol,
      headers,
      compression: config.compression,
      timeoutMs: config.timeoutMs,
      resource: resource.attributes,
      counters: context.counters,
    });
  } catch (err) {
    throw new SinkInitError('Extension.ConfigInvalid', `cannot create the ${config.kind} sink: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function createCloudWatchSink(config: SinkConfig, context: SinkContext): Promise<Sink> {
  if (config.headersSecretArn || config.headersParameter || Object.keys(config.headers).length > 0) {
    log.warn('sink headers, headers secret and headers parameter ignored: the cloudwatch sink signs its requests with SigV4');
  }
  const region = context.env.AWS_REGION;
  if (!region) throw new SinkInitError('Extension.ConfigInvalid', 'the cloudwatch sink needs AWS_REGION (set by Lambda): its endpoints and signatures are regional');
  if (!config.cloudWatch) throw new SinkInitError('Extension.ConfigInvalid', 'the cloudwatch sink has no settings');
  const resource = sinkResource(config, context);
  const { CloudWatchSink: CloudWatch } = require('./cloudwatch/cloudwatch-sink') as { CloudWatchSink: typeof CloudWatchSink };
  return CloudWatch.create({
    config: config.cloudWatch,
    sink: config,
    region,
    resource: resource.attributes,
    counters: context.counters,
    credentials: context.credentials ?? envCredentialsSource(context.env),
  });
}

/** `secret` over `plain`; a secret header replaces a plain one whatever the letter case. */
export function mergeHeaders(plain: Readonly<Record<string, string>>, secret: Readonly<Record<string, string>>): Record<string, string> {
  const secretNames = new Set(Object.keys(secret).map((name) => name.toLowerCase()));
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(plain)) if (!secretNames.has(name.toLowerCase())) merged[name] = value;
  return Object.assign(merged, secret);
}

function checkEndpoint(endpoint: string, kind: string): void {
  const reason = httpUrlReason(endpoint, 'http:// or https://');
  if (reason !== undefined) throw new SinkInitError('Extension.ConfigInvalid', `the ${kind} sink endpoint ${reason}`);
}

/** Header names and values must be sendable; values are never printed. */
function checkHeaders(headers: Readonly<Record<string, string>>, what: string): void {
  for (const [name, value] of Object.entries(headers)) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      throw new SinkInitError('Extension.ConfigInvalid', `${what} sink header "${name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64)}" has an invalid name or value`);
    }
  }
}

/** The sink's resource (service, function name and version); a warning about it goes to the log. */
function sinkResource(config: SinkConfig, context: SinkContext): ReturnType<typeof buildResource> {
  const resource = buildResource({
    env: context.env,
    serviceName: config.serviceName,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
  });
  if (resource.warning) log.warn(resource.warning);
  return resource;
}
