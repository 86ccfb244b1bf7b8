/**
 * The flow shared by the two sources of credential headers (Secrets Manager, ../sinks/secret-headers.ts;
 * SSM Parameter Store, ./ssm-headers.ts): check the credentials, pick the region and the endpoint,
 * make the signed AWS JSON call, parse its JSON answer, and parse the header map out of it. Every
 * failure goes through the caller's `fail`, which names the source, never its content.
 */
import { callAwsJson } from './aws-json-call';
import { credentialsFromEnv, type CredentialsSource } from './credentials';
import { parseHeaderMap } from './header-map';
import type { RetryClock } from '../delivery/retry';
import type { SinkInitError } from '../sinks/errors';

export interface HeaderSourceOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Default: read from `env` at every attempt. */
  readonly credentials?: CredentialsSource;
  /** Total time budget, ms (init is short: 10 s for everything). Default 5000. */
  readonly budgetMs?: number;
  readonly clock?: RetryClock;
}

export interface HeaderSourceCall {
  /** Builds the error for `reason` (names the secret or parameter). */
  readonly fail: (reason: string) => SinkInitError;
  /** SigV4 service name and the host's first label (`ssm`, `secretsmanager`). */
  readonly service: string;
  /** The region in the source's ARN, when it has one. */
  readonly arnRegion: string | undefined;
  /** The service-specific endpoint variable (`AWS_ENDPOINT_URL_SSM`), before `AWS_ENDPOINT_URL`. */
  readonly endpointVariable: string;
  /** The default endpoint for `region`. */
  readonly defaultEndpoint: (region: string) => string;
  /** For the error message: `SSM`, `Secrets Manager`. */
  readonly serviceLabel: string;
  /** The `X-Amz-Target`, e.g. `AmazonSSM.GetParameter`; its operation names the call in errors. */
  readonly target: string;
  readonly payload: unknown;
}

/** Make the call and return its parsed JSON answer. Throws `call.fail(...)`. */
export async function callHeaderSource(call: HeaderSourceCall, options: HeaderSourceOptions): Promise<unknown> {
  const { fail } = call;
  const { env } = options;
  const credentials = options.credentials ?? (() => credentialsFromEnv(env));
  try {
    credentials();
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const region = call.arnRegion ?? env.AWS_REGION;
  if (!region) throw fail('no region: neither in the ARN nor in AWS_REGION');
  const endpointText = env[call.endpointVariable] || env.AWS_ENDPOINT_URL || call.defaultEndpoint(region);
  let endpoint: URL;
  try {
    endpoint = new URL(endpointText);
  } catch {
    throw fail(`invalid ${call.serviceLabel} endpoint ${endpointText}`);
  }

  const operation = call.target.slice(call.target.indexOf('.') + 1);
  const result = await callAwsJson({
    service: call.service,
    region,
    target: call.target,
    endpoint,
    payload: call.payload,
    credentials,
    budgetMs: options.budgetMs,
    clock: options.clock,
  });
  if (!result.ok) throw fail(`${operation} failed (${result.reason})`);
  try {
    return JSON.parse(result.body.toString('utf8'));
  } catch {
    throw fail(`the ${operation} response is not JSON`);
  }
}

/** Parse the header map in `text` (`label` names it in errors). Throws `fail(...)`. */
export function headersFromText(text: string, label: string, fail: (reason: string) => SinkInitError): Record<string, string> {
  try {
    return parseHeaderMap(text, label);
  } catch (err) {
    throw fail((err as Error).message);
  }
}
