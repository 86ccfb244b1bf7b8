/**
 * Credential headers from AWS Secrets Manager, read once at init with `GetSecretValue` over
 * HTTPS, signed with SigV4 by `aws4` (no AWS SDK: bundle size and cold start).
 *
 * - Credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (Lambda sets
 *   them for the function's role; extensions see them).
 * - Region: the one in the secret's ARN, else `AWS_REGION`.
 * - Endpoint: `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`, else the regional
 *   endpoint. `http://` is accepted (local fakes in tests).
 * - The SecretString must be a JSON object whose values are strings: header name to value.
 *
 * Every failure is a {@link SinkInitError} `Extension.SecretUnavailable` whose message names the
 * ARN and the reason, never the secret's content (not even in a JSON parse error).
 */
import * as http from 'node:http';
import * as aws4 from 'aws4';
import { SinkInitError } from './errors';
import { withRetry, type RetryClock, type RetryPolicy } from '../delivery/retry';
import { HttpTransport } from '../delivery/transport';

export interface SecretHeadersOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Total time budget, ms (init is short: 10 s for everything). Default 5000. */
  readonly budgetMs?: number;
  readonly clock?: RetryClock;
}

const SECRET_RETRY_POLICY: RetryPolicy = {
  initialBackoffMs: 100,
  maxBackoffMs: 1_000,
  multiplier: 2,
  maxElapsedMs: 5_000,
  maxAttempts: 3,
};

const ARN = /^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/;

/** Read `arn` and return its header map. Throws {@link SinkInitError} on any failure. */
export async function readSecretHeaders(arn: string, options: SecretHeadersOptions): Promise<Record<string, string>> {
  const fail = (reason: string) => new SinkInitError('Extension.SecretUnavailable', `cannot read header secret ${arn}: ${reason}`);
  const { env } = options;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw fail('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  const match = ARN.exec(arn);
  const region = match?.[2] ?? env.AWS_REGION;
  if (!region) throw fail('no region: neither in the ARN nor in AWS_REGION');
  const endpoint = secretsManagerEndpoint(region, match?.[1], env);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw fail(`invalid Secrets Manager endpoint ${endpoint}`);
  }

  const body = JSON.stringify({ SecretId: arn });
  const signed = aws4.sign(
    {
      service: 'secretsmanager',
      region,
      method: 'POST',
      host: url.host,
      path: url.pathname === '' ? '/' : url.pathname,
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'secretsmanager.GetSecretValue',
      },
      body,
    },
    { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers ?? {})) {
    if (value !== undefined && name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'content-type') {
      headers[name] = String(value);
    }
  }

  const transport = new HttpTransport({ headers, compression: 'none' });
  const budgetMs = options.budgetMs ?? 5_000;
  const clock = options.clock;
  const now = clock ? clock.now() : Date.now();
  let answer: { status: number; body: Buffer } | undefined;
  let outcome;
  try {
    const prepared = await transport.prepare(body, 'application/x-amz-json-1.1');
    outcome = await withRetry(async (timeoutMs) => {
      const result = await transport.post(url, prepared, timeoutMs);
      if (result.kind === 'response') answer = { status: result.status, body: result.body };
      return result;
    }, { deadline: now + budgetMs, timeoutMs: budgetMs, policy: { ...SECRET_RETRY_POLICY, maxElapsedMs: budgetMs }, clock });
  } finally {
    transport.close();
  }
  if (!outcome.delivered) {
    const detail = answer && answer.status >= 400 ? awsError(answer.body) : '';
    throw fail(`GetSecretValue failed (${outcome.lastError ?? outcome.reason}${detail})`);
  }
  return parseSecretString(answer?.body, fail);
}

function secretsManagerEndpoint(region: string, partition: string | undefined, env: NodeJS.ProcessEnv): string {
  const override = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL;
  if (override) return override;
  const suffix = partition === 'aws-cn' || region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://secretsmanager.${region}.${suffix}`;
}

/** ` ResourceNotFoundException: Secrets Manager can't find the specified secret.` or ''. */
function awsError(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { __type?: unknown; message?: unknown; Message?: unknown };
    const type = typeof parsed.__type === 'string' ? parsed.__type.split('#').pop() : undefined;
    const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : undefined;
    const text = [type, message?.slice(0, 300)].filter(Boolean).join(': ');
    return text ? `, ${text}` : '';
  } catch {
    return '';
  }
}

function parseSecretString(body: Buffer | undefined, fail: (reason: string) => SinkInitError): Record<string, string> {
  let response: unknown;
  try {
    response = JSON.parse(body?.toString('utf8') ?? '');
  } catch {
    throw fail('the GetSecretValue response is not JSON');
  }
  const secretString = (response as { SecretString?: unknown } | null)?.SecretString;
  if (typeof secretString !== 'string') throw fail('the secret has no SecretString (binary secrets are not supported)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // Never the parser's message: it quotes the input, i.e. the secret.
    throw fail('the SecretString is not JSON; expected a JSON object of header name to string value');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw fail('the SecretString is not a JSON object; expected a JSON object of header name to string value');
  }
  const headers: Record<string, string> = {};
  let position = 0;
  for (const [name, value] of Object.entries(parsed)) {
    position++;
    // A name that is no header name is likely a credential in the wrong place: never printed.
    try {
      http.validateHeaderName(name);
    } catch {
      throw fail(`key #${position} of the SecretString is not a valid HTTP header name (not shown: it may be the credential)`);
    }
    if (typeof value !== 'string') throw fail(`the value of header "${safeName(name)}" is not a string`);
    try {
      http.validateHeaderValue(name, value);
    } catch {
      throw fail(`the value of header "${safeName(name)}" contains characters not allowed in HTTP headers`);
    }
    headers[name] = value;
  }
  return headers;
}

/** A valid header name is a name, not a credential; still, keep what is printed short. */
function safeName(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 64);
}
