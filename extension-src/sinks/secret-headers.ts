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
import { isSecretArn } from '../../lib/config/contract';
import { dnsSuffix } from '../aws/cloudwatch-endpoints';
import { callHeaderSource, headersFromText, type HeaderSourceOptions } from '../aws/header-source-call';

export type SecretHeadersOptions = HeaderSourceOptions;

/** Read `arn` and return its header map. Throws {@link SinkInitError} on any failure. */
export async function readSecretHeaders(arn: string, options: SecretHeadersOptions): Promise<Record<string, string>> {
  const fail = (reason: string) => new SinkInitError('Extension.SecretUnavailable', `cannot read header secret ${arn}: ${reason}`);
  // The contract's ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
  const parts = isSecretArn(arn) ? arn.split(':') : undefined;
  const response = await callHeaderSource({
    fail,
    service: 'secretsmanager',
    arnRegion: parts?.[3],
    endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    defaultEndpoint: (region) => `https://secretsmanager.${region}.${suffixOf(region, parts?.[1])}`,
    serviceLabel: 'Secrets Manager',
    target: 'secretsmanager.GetSecretValue',
    payload: { SecretId: arn },
  }, options);
  const secretString = (response as { SecretString?: unknown } | null)?.SecretString;
  if (typeof secretString !== 'string') throw fail('the secret has no SecretString (binary secrets are not supported)');
  return headersFromText(secretString, 'the SecretString', fail);
}

/** The partition's DNS suffix: from the ARN's partition when there is one, else the region's. */
function suffixOf(region: string, partition: string | undefined): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : dnsSuffix(region);
}
