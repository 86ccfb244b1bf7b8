/**
 * Per-attempt request signing, as a {@link Transport} decorator: the signer is called before
 * every attempt (retries included) with the request as it will go out, and returns the headers
 * to add (e.g. SigV4's `authorization`, `x-amz-date`, `x-amz-security-token`). Signing at each
 * attempt keeps signatures fresh across long backoffs and picks up credentials that rotated.
 */
import type { AttemptResult, OutgoingRequest, Transport } from './transport';

/** What a signer sees: the method, URL, the headers that carry meaning, and the exact body bytes. */
export interface SignableRequest {
  readonly method: 'POST';
  readonly url: URL;
  /** The request's own headers plus `content-type` and, when compressed, `content-encoding`. */
  readonly headers: Readonly<Record<string, string>>;
  /** As sent (compressed when the transport compresses). */
  readonly body: Uint8Array;
}

/** Headers to add to one attempt. May be async (credentials read on demand). A throw fails the attempt (retryable). */
export type RequestSigner = (request: SignableRequest) => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;

export class SigningTransport implements Transport {
  constructor(private readonly inner: Transport, private readonly sign: RequestSigner) {}

  async send(request: OutgoingRequest, timeoutMs: number): Promise<AttemptResult> {
    const headers: Record<string, string> = { ...request.headers, 'content-type': request.body.contentType };
    if (request.body.contentEncoding) headers['content-encoding'] = request.body.contentEncoding;
    let signed: Readonly<Record<string, string>>;
    try {
      signed = await this.sign({ method: 'POST', url: request.url, headers, body: request.body.bytes });
    } catch (err) {
      return { kind: 'error', code: 'signing', message: `request signing failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    return this.inner.send({ ...request, headers: { ...request.headers, ...signed } }, timeoutMs);
  }

  close(): void {
    this.inner.close();
  }
}
