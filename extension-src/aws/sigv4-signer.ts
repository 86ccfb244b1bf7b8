/**
 * SigV4 signing of one HTTP request with `aws4` (already in the bundle; no AWS SDK: bundle size and
 * cold start). Shaped `sign(request) => headers` so the delivery code can sign every attempt anew:
 * the signature covers `x-amz-date` (valid for 5 minutes) and the credentials, both of which may
 * have changed between two attempts of the same request.
 *
 * The returned headers are everything that was signed (lower-case names), plus `authorization`,
 * `x-amz-date` and, with temporary credentials, `x-amz-security-token`. Send them all, unchanged,
 * with exactly the signed body; headers added afterwards (e.g. `user-agent`) are not signed, which
 * SigV4 allows, but they must not be ones that were signed.
 */
import * as aws4 from 'aws4';
import { envCredentialsSource, type CredentialsSource } from './credentials';

/** What is signed: the request as it will go on the wire. */
export interface SignableRequest {
  readonly method: string;
  /** `host[:port]` as in the URL (the port only when it is not the scheme's default). */
  readonly host: string;
  /** Path and query, e.g. `/v1/traces`. */
  readonly path: string;
  /** Headers to sign and send (content-type, content-encoding, x-aws-log-group, ...). */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes sent (after compression). */
  readonly body: Uint8Array | string;
}

/** Signs one attempt: returns the full header set to send. Throws without credentials. */
export type RequestSigner = (request: SignableRequest) => Record<string, string>;

export interface SigV4SignerOptions {
  /** Signing name of the service (`xray`, `logs`, `monitoring`, `ssm`, ...). */
  readonly service: string;
  /** Signing region (the function's region, also when the endpoint is overridden). */
  readonly region: string;
  /** Default: the Lambda environment's variables, read at every call. */
  readonly credentials?: CredentialsSource;
}

export function createSigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const credentials = options.credentials ?? envCredentialsSource();
  return (request) => {
    const creds = credentials();
    const body = typeof request.body === 'string' ? request.body : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    // aws4 adds Content-Length itself when missing; give it the byte length so the names agree.
    headers['content-length'] = String(Buffer.byteLength(body));
    const signed = aws4.sign(
      { service: options.service, region: options.region, method: request.method, host: request.host, path: request.path, headers, body },
      creds.sessionToken
        ? { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken }
        : { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    );
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers ?? {})) {
      if (value !== undefined) out[name.toLowerCase()] = String(value);
    }
    return out;
  };
}
