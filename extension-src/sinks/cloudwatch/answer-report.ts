/**
 * What the CloudWatch endpoints answer that the retry code does not look at, made visible:
 *
 * - refusals of the extension's credentials (HTTP 401/403 with an AWS error type:
 *   `InvalidSignatureException`, `UnrecognizedClientException`, `AccessDeniedException`, ...),
 *   reported once per signal and error type, as an error line with the service's own message: a
 *   wrong secret or a missing permission does not pass by itself, and every request after it is
 *   refused the same way. Those requests are permanent failures for the retry code (never
 *   retried), dropped and counted; they are not logged again.
 * - partial successes (HTTP 200 whose `Export*ServiceResponse` has `partialSuccess`, e.g. log
 *   events too old for the group: `{"tooOldLogEventCount": 3}`), as a rate-limited warning with the
 *   number rejected and the endpoint's message. The request was delivered: its events count as
 *   exported (the answer does not say which records were refused).
 */
import { awsErrorText, awsErrorType } from '../../aws/aws-json-call';
import type { AttemptResult, OutgoingRequest, Transport } from '../../delivery/transport';
import { log, RateLimitedLog } from '../../log';

/** Reads `partialSuccess` of one signal's response body (protobuf or JSON, as the request was). */
export type PartialSuccessReader = (signal: string, body: Uint8Array, json: boolean) => PartialSuccess | undefined;

export interface PartialSuccess {
  /** Spans, data points or log records refused. */
  readonly rejected: number;
  readonly message?: string;
}

const REJECTED_NAME: Readonly<Record<string, string>> = { traces: 'spans', metrics: 'data points', logs: 'log records' };

export class AnswerReport implements Transport {
  private readonly reported = new Set<string>();
  private readonly partial = new RateLimitedLog(5, 60_000);

  constructor(
    private readonly inner: Transport,
    private readonly signalOf: (url: URL) => string,
    private readonly readPartialSuccess?: PartialSuccessReader,
  ) {}

  async send(request: OutgoingRequest, timeoutMs: number): Promise<AttemptResult> {
    const result = await this.inner.send(request, timeoutMs);
    if (result.kind !== 'response') return result;
    if (result.status === 401 || result.status === 403) {
      const signal = this.signalOf(request.url);
      const type = awsErrorType(result.body) ?? `HTTP ${result.status}`;
      const key = `${signal} ${type}`;
      if (!this.reported.has(key)) {
        this.reported.add(key);
        log.error(`CloudWatch refused the ${signal} export (HTTP ${result.status}${awsErrorText(result.body)}): check the function role's credentials and permissions; refused requests are dropped and counted, not retried, and not reported again`, { signal, errorType: type });
      }
    } else if (result.status >= 200 && result.status < 300 && result.body.length > 0 && this.readPartialSuccess) {
      const signal = this.signalOf(request.url);
      let partial: ReturnType<PartialSuccessReader>;
      try {
        partial = this.readPartialSuccess(signal, result.body, request.body.contentType.startsWith('application/json'));
      } catch {
        partial = undefined; // not an OTLP response: nothing to say
      }
      if (partial && partial.rejected > 0) {
        this.partial.warn(`CloudWatch accepted the ${signal} export partially`, {
          signal,
          rejected: partial.rejected,
          what: REJECTED_NAME[signal] ?? 'records',
          message: partial.message?.slice(0, 300),
        });
      }
    }
    return result;
  }

  close(): void {
    this.inner.close();
  }
}
