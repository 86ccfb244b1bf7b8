/**
 * Reports an AWS endpoint's refusals of the extension's credentials (HTTP 401/403 with an AWS error
 * type: `InvalidSignatureException`, `UnrecognizedClientException`, `AccessDeniedException`, ...)
 * once per signal and error type, as an error line with the service's own message: a wrong secret
 * or a missing permission does not pass by itself, and every request after it is refused the same
 * way. Those requests are permanent failures for the retry code (never retried), dropped and
 * counted; they are not logged again.
 */
import { awsErrorText, awsErrorType } from '../../aws/aws-json-call';
import type { AttemptResult, OutgoingRequest, Transport } from '../../delivery/transport';
import { log } from '../../log';

export class RefusalReport implements Transport {
  private readonly reported = new Set<string>();

  constructor(private readonly inner: Transport, private readonly signalOf: (url: URL) => string) {}

  async send(request: OutgoingRequest, timeoutMs: number): Promise<AttemptResult> {
    const result = await this.inner.send(request, timeoutMs);
    if (result.kind === 'response' && (result.status === 401 || result.status === 403)) {
      const signal = this.signalOf(request.url);
      const type = awsErrorType(result.body) ?? `HTTP ${result.status}`;
      const key = `${signal} ${type}`;
      if (!this.reported.has(key)) {
        this.reported.add(key);
        log.error(`CloudWatch refused the ${signal} export (HTTP ${result.status}${awsErrorText(result.body)}): check the function role's credentials and permissions; refused requests are dropped and counted, not retried, and not reported again`, { signal, errorType: type });
      }
    }
    return result;
  }

  close(): void {
    this.inner.close();
  }
}
