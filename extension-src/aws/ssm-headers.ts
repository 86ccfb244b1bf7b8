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
import { dnsSuffix } from './cloudwatch-endpoints';
import { callHeaderSource, headersFromText, type HeaderSourceOptions } from './header-source-call';
import { SinkInitError } from '../sinks/errors';

export type ParameterHeadersOptions = HeaderSourceOptions;

const ARN = /^arn:(aws[a-z-]*):ssm:([a-z0-9-]+):\d{12}:parameter\/.+$/;

/** Read parameter `name` and return its header map. Throws {@link SinkInitError}. */
export async function readParameterHeaders(name: string, options: ParameterHeadersOptions): Promise<Record<string, string>> {
  const fail = (reason: string) => new SinkInitError('Extension.SecretUnavailable', `cannot read header parameter ${name}: ${reason}`);
  const response = await callHeaderSource({
    fail,
    service: 'ssm',
    arnRegion: ARN.exec(name)?.[2],
    endpointVariable: 'AWS_ENDPOINT_URL_SSM',
    defaultEndpoint: (region) => `https://ssm.${region}.${dnsSuffix(region)}`,
    serviceLabel: 'SSM',
    target: 'AmazonSSM.GetParameter',
    payload: { Name: name, WithDecryption: true },
  }, options);
  const parameter = (response as { Parameter?: { Type?: unknown; Value?: unknown } } | null)?.Parameter;
  if (!parameter || typeof parameter.Value !== 'string') throw fail('the GetParameter response has no Parameter.Value');
  if (parameter.Type !== 'SecureString') {
    throw fail(`the parameter is of type ${typeof parameter.Type === 'string' ? parameter.Type : 'unknown'}; credentials must be in a SecureString parameter`);
  }
  return headersFromText(parameter.Value, 'the parameter value', fail);
}
