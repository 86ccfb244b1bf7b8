/**
 * Credential headers from an SSM Parameter Store `SecureString` parameter, read once at init with
 * `GetParameter` (`WithDecryption: true`) over SigV4 (`aws4`, no AWS SDK). The parameter holds the
 * same JSON object of header name to value as the `headersSecret` secret; a parameter costs
 * nothing per month where a secret does.
 *
 * - Name: a parameter name (`/otlp/headers`) or its ARN; with an ARN, the region is the ARN's.
 * - Region: the ARN's, else `AWS_REGION`.
 * - Endpoint: `AWS_ENDPOINT_URL_SSM`, else `AWS_ENDPOINT_URL`, else the regional endpoint of the
 *   region's partition. `http://` is accepted (local fakes in tests).
 * - Only `SecureString` is accepted: a `String` parameter keeps credentials in plaintext.
 *
 * Every failure is a {@link SinkInitError} `Extension.SecretUnavailable` naming the parameter and
 * the reason, never the value (the same reporting as the secret).
 */
import { callAwsJson } from './aws-json-call';
import { dnsSuffix } from './cloudwatch-endpoints';
import { credentialsFromEnv, type CredentialsSource } from './credentials';
import { parseHeaderMap } from './header-map';
import type { RetryClock } from '../delivery/retry';
import { SinkInitError } from '../sinks/errors';

export interface ParameterHeadersOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Default: read from `env` at every attempt. */
  readonly credentials?: CredentialsSource;
  /** Total time budget, ms (init is short: 10 s for everything). Default 5000. */
  readonly budgetMs?: number;
  readonly clock?: RetryClock;
}

const ARN = /^arn:(aws[a-z-]*):ssm:([a-z0-9-]+):\d{12}:parameter\/.+$/;

/** Read parameter `name` and return its header map. Throws {@link SinkInitError}. */
export async function readParameterHeaders(name: string, options: ParameterHeadersOptions): Promise<Record<string, string>> {
  const fail = (reason: string) => new SinkInitError('Extension.SecretUnavailable', `cannot read header parameter ${name}: ${reason}`);
  const { env } = options;
  const credentials = options.credentials ?? (() => credentialsFromEnv(env));
  try {
    credentials();
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  const region = ARN.exec(name)?.[2] ?? env.AWS_REGION;
  if (!region) throw fail('no region: neither in the ARN nor in AWS_REGION');
  const endpointText = env.AWS_ENDPOINT_URL_SSM || env.AWS_ENDPOINT_URL || `https://ssm.${region}.${dnsSuffix(region)}`;
  let endpoint: URL;
  try {
    endpoint = new URL(endpointText);
  } catch {
    throw fail(`invalid SSM endpoint ${endpointText}`);
  }

  const result = await callAwsJson({
    service: 'ssm',
    region,
    target: 'AmazonSSM.GetParameter',
    endpoint,
    payload: { Name: name, WithDecryption: true },
    credentials,
    budgetMs: options.budgetMs,
    clock: options.clock,
  });
  if (!result.ok) throw fail(`GetParameter failed (${result.reason})`);

  let response: unknown;
  try {
    response = JSON.parse(result.body.toString('utf8'));
  } catch {
    throw fail('the GetParameter response is not JSON');
  }
  const parameter = (response as { Parameter?: { Type?: unknown; Value?: unknown } } | null)?.Parameter;
  if (!parameter || typeof parameter.Value !== 'string') throw fail('the GetParameter response has no Parameter.Value');
  if (parameter.Type !== 'SecureString') {
    throw fail(`the parameter is of type ${typeof parameter.Type === 'string' ? parameter.Type : 'unknown'}; credentials must be in a SecureString parameter`);
  }
  try {
    return parseHeaderMap(parameter.Value, 'the parameter value');
  } catch (err) {
    throw fail((err as Error).message);
  }
}
