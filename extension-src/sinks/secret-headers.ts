/**
 * Credential headers from AWS Secrets Manager, read once at init with `GetSecretValue` (an AWS
 * JSON call signed with SigV4 by `aws4`, ../aws/aws-json-call.ts; no AWS SDK: bundle size and cold
 * start). The parameter-store twin is ../aws/ssm-headers.ts; both parse with ../aws/header-map.ts.
 *
 * - Credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (Lambda sets
 *   them for the function's role; extensions see them), read again at every attempt.
 * - Region: the one in the secret's ARN, else `AWS_REGION`.
 * - Endpoint: `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`, else the regional
 *   endpoint. `http://` is accepted (local fakes in tests).
 * - The SecretString must be a JSON object whose values are strings: header name to value.
 *
 * Every failure is a {@link SinkInitError} `Extension.SecretUnavailable` whose message names the
 * ARN and the reason, never the secret's content (not even in a JSON parse error).
 */
import { SinkInitError } from './errors';
import { callAwsJson } from '../aws/aws-json-call';
import { dnsSuffix } from '../aws/cloudwatch-endpoints';
import { credentialsFromEnv, type CredentialsSource } from '../aws/credentials';
import { parseHeaderMap } from '../aws/header-map';
import type { RetryClock } from '../delivery/retry';

export interface SecretHeadersOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Default: read from `env` at every attempt. */
  readonly credentials?: CredentialsSource;
  /** Total time budget, ms (init is short: 10 s for everything). Default 5000. */
  readonly budgetMs?: number;
  readonly clock?: RetryClock;
}

const ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/;

/** Read `arn` and return its header map. Throws {@link SinkInitError} on any failure. */
export async function readSecretHeaders(arn: string, options: SecretHeadersOptions): Promise<Record<string, string>> {
  const fail = (reason: string) => new SinkInitError('Extension.SecretUnavailable', `cannot read header secret ${arn}: ${reason}`);
  const { env } = options;
  const credentials = options.credentials ?? (() => credentialsFromEnv(env));
  try {
    credentials();
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const match = ARN.exec(arn);
  const region = match?.[2] ?? env.AWS_REGION;
  if (!region) throw fail('no region: neither in the ARN nor in AWS_REGION');
  const endpointText = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL || `https://secretsmanager.${region}.${suffixOf(region, match?.[1])}`;
  let endpoint: URL;
  try {
    endpoint = new URL(endpointText);
  } catch {
    throw fail(`invalid Secrets Manager endpoint ${endpointText}`);
  }

  const result = await callAwsJson({
    service: 'secretsmanager',
    region,
    target: 'secretsmanager.GetSecretValue',
    endpoint,
    payload: { SecretId: arn },
    credentials,
    budgetMs: options.budgetMs,
    clock: options.clock,
  });
  if (!result.ok) throw fail(`GetSecretValue failed (${result.reason})`);

  let response: unknown;
  try {
    response = JSON.parse(result.body.toString('utf8'));
  } catch {
    throw fail('the GetSecretValue response is not JSON');
  }
  const secretString = (response as { SecretString?: unknown } | null)?.SecretString;
  if (typeof secretString !== 'string') throw fail('the secret has no SecretString (binary secrets are not supported)');
  try {
    return parseHeaderMap(secretString, 'the SecretString');
  } catch (err) {
    throw fail((err as Error).message);
  }
}

/** The partition's DNS suffix: from the ARN's partition when there is one, else the region's. */
function suffixOf(region: string, partition: string | undefined): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : dnsSuffix(region);
}
