/**
 * A local endpoint (127.0.0.1, free port) that verifies the SigV4 signature of every request by
 * recomputing it from the request and known test credentials with AWS's own signer
 * (`@smithy/signature-v4` + `@aws-crypto/sha256-js`, test-only), independent of the `aws4` package
 * the extension signs with. It refuses what AWS refuses, with AWS's status and error shape (see
 * test/aws/RESEARCH.md): `403` and an AWS JSON error (`x-amzn-ErrorType` header, body
 * `{"__type": ..., "message": ...}`) for a wrong secret, a wrong region or service in the
 * credential scope, a tampered body or header, a date more than 5 minutes off, an unknown access
 * key or session token; `403 MissingAuthenticationTokenException` without `Authorization`.
 *
 * It can be told to throttle the next requests (`429 ThrottlingException` or
 * `503 ServiceUnavailableException`, with `Retry-After`), and it records every accepted request
 * (raw bytes as received: decoding is the tests' business) and every refusal.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** AWS's documentation example key pair, plus a session token as Lambda's credentials have. */
export const TEST_CREDENTIALS: TestCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE-session-token',
};

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The body exactly as received (compressed if it was sent compressed). */
  readonly body: Buffer;
  /** Signing name and region of the (verified) credential scope. */
  readonly service: string;
  readonly region: string;
}

export interface Refusal {
  readonly path: string;
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface SigV4EndpointOptions {
  readonly credentials?: TestCredentials;
  /** Region every credential scope must name. */
  readonly region: string;
  /** Signing name expected per request path (without query); `*` matches any other path. */
  readonly services: Readonly<Record<string, string>>;
  /** Allowed clock difference, ms. AWS: 5 minutes. */
  readonly maxSkewMs?: number;
  /** The endpoint's clock. Default `Date.now`. */
  readonly now?: () => number;
  /** The answer to an accepted request. Default: an empty OTLP export response (200). */
  readonly respond?: (request: RecordedRequest) => Answer | Promise<Answer>;
}

export type ThrottleKind = 'throttling' | 'unavailable';

const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request, ?SignedHeaders=([a-z0-9;!#$%&'*+.^_`|~-]+), ?Signature=([0-9a-f]{64})$/;

export class SigV4Endpoint {
  readonly accepted: RecordedRequest[] = [];
  readonly refused: Refusal[] = [];
  private readonly events = new EventEmitter();
  private readonly credentials: TestCredentials;
  private readonly server: http.Server;
  private throttles: Array<{ kind: ThrottleKind; retryAfterSeconds?: number }> = [];

  constructor(private readonly options: SigV4EndpointOptions) {
    this.credentials = options.credentials ?? TEST_CREDENTIALS;
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks)).then(
          (answer) => {
            res.writeHead(answer.status, { 'x-amzn-requestid': randomUUID(), ...answer.headers });
            res.end(answer.body ?? '');
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(err));
          },
        );
      });
    });
  }

  /** Listen on 127.0.0.1, port 0; resolves the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answer the next `count` correctly signed requests with a throttling error instead. */
  throttleNext(count: number, kind: ThrottleKind = 'throttling', retryAfterSeconds?: number): void {
    for (let i = 0; i < count; i++) this.throttles.push({ kind, retryAfterSeconds });
  }

  /** Resolves once `count` requests in total have been accepted. */
  whenAccepted(count: number): Promise<void> {
    return this.when(() => this.accepted.length >= count);
  }

  /** Resolves once `count` requests in total have been refused or throttled. */
  whenRefused(count: number): Promise<void> {
    return this.when(() => this.refused.length >= count);
  }

  private when(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.events.off('change', check);
        resolve();
      };
      this.events.on('change', check);
    });
  }

  private refuse(path: string, status: number, type: string, message: string, headers: Record<string, string> = {}): Answer {
    this.refused.push({ path, status, type, message });
    this.events.emit('change');
    return awsError(status, type, message, headers);
  }

  private async handle(req: http.IncomingMessage, body: Buffer): Promise<Answer> {
    const rawPath = req.url ?? '/';
    const [path] = rawPath.split('?');
    const authorization = req.headers.authorization;
    if (!authorization) return this.refuse(path, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const auth = AUTH.exec(authorization);
    if (!auth) {
      return this.refuse(path, 400, 'IncompleteSignatureException', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${authorization.split(' ')[0]}`);
    }
    const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = auth;
    const amzDate = header(req, 'x-amz-date');
    if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
      return this.refuse(path, 400, 'IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    if (accessKeyId !== this.credentials.accessKeyId) {
      return this.refuse(path, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    if (this.credentials.sessionToken !== undefined && header(req, 'x-amz-security-token') !== this.credentials.sessionToken) {
      return this.refuse(path, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    const signedAt = parseAmzDate(amzDate);
    const now = (this.options.now ?? Date.now)();
    const skew = this.options.maxSkewMs ?? 5 * 60_000;
    if (signedAt < now - skew) {
      return this.refuse(path, 403, 'InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - skew)} (${formatAmzDate(now)} - 5 min.)`);
    }
    if (signedAt > now + skew) {
      return this.refuse(path, 403, 'InvalidSignatureException', `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + skew)} (${formatAmzDate(now)} + 5 min.)`);
    }
    if (scopeDate !== amzDate.slice(0, 8)) {
      return this.refuse(path, 403, 'InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
    }
    if (region !== this.options.region) {
      return this.refuse(path, 403, 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. `);
    }
    const expectedService = this.options.services[path] ?? this.options.services['*'];
    if (expectedService === undefined) return this.refuse(path, 404, 'UnknownOperationException', `No service at ${path}`);
    if (service !== expectedService) {
      return this.refuse(path, 403, 'InvalidSignatureException', `Credential should be scoped to correct service: '${expectedService}'. `);
    }
    const signedHeaders = signedHeaderList.split(';');
    if (!signedHeaders.includes('host')) {
      return this.refuse(path, 403, 'InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }

    const expected = await this.recompute(req, body, rawPath, signedHeaders, { region, service, signedAt });
    if (expected !== signature) return this.refuse(path, 403, 'InvalidSignatureException', SIGNATURE_MISMATCH);

    const throttle = this.throttles.shift();
    if (throttle) {
      const retryAfter: Record<string, string> = throttle.retryAfterSeconds !== undefined ? { 'retry-after': String(throttle.retryAfterSeconds) } : {};
      return throttle.kind === 'throttling'
        ? this.refuse(path, 429, 'ThrottlingException', 'Rate exceeded', retryAfter)
        : this.refuse(path, 503, 'ServiceUnavailableException', 'Service Unavailable', retryAfter);
    }
    const recorded: RecordedRequest = { method: req.method ?? '', path: rawPath, headers: req.headers, body, service, region };
    this.accepted.push(recorded);
    this.events.emit('change');
    return this.options.respond ? this.options.respond(recorded) : emptyOtlpResponse(req);
  }

  /** The signature AWS would compute for this request, with the known secret. */
  private async recompute(
    req: http.IncomingMessage,
    body: Buffer,
    rawPath: string,
    signedHeaders: readonly string[],
    scope: { region: string; service: string; signedAt: number },
  ): Promise<string> {
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = headerValues(req, name);
      if (value !== undefined) headers[name] = value;
    }
    const [pathname, search = ''] = rawPath.split('?');
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(search)) {
      const previous = query[key];
      query[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
    }
    const signer = new SignatureV4({
      service: scope.service,
      region: scope.region,
      // Without the token: the request's own x-amz-security-token header is signed as it came.
      credentials: { accessKeyId: this.credentials.accessKeyId, secretAccessKey: this.credentials.secretAccessKey },
      sha256: Sha256,
      applyChecksum: false,
      uriEscapePath: true,
    });
    const signed = await signer.sign(
      { method: req.method ?? 'GET', protocol: 'http:', hostname: '127.0.0.1', path: pathname, query, headers, body },
      { signingDate: new Date(scope.signedAt), signableHeaders: new Set(signedHeaders), signingRegion: scope.region, signingService: scope.service },
    );
    const computed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''));
    return computed ? computed[1] : '';
  }
}

/** An AWS JSON error answer: `x-amzn-ErrorType` header and `{"__type", "message"}` body. */
export function awsError(status: number, type: string, message: string, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/`,
      ...headers,
    },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** Success of an OTLP export: an empty `Export*ServiceResponse` in the request's encoding. */
function emptyOtlpResponse(req: http.IncomingMessage): Answer {
  const json = String(req.headers['content-type'] ?? '').startsWith('application/json');
  return json
    ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
    : { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.alloc(0) };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** All values of a header, in order, joined as SigV4 canonicalisation wants (`a,b`). */
function headerValues(req: http.IncomingMessage, name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === name) values.push(req.rawHeaders[i + 1]);
  }
  return values.length ? values.join(',') : undefined;
}

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** POST `body` with exactly `headers` (tests build hand-signed or tampered requests with it). */
export function rawPost(url: string, headers: Record<string, string>, body: Buffer | string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
