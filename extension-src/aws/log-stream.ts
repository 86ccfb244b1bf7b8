/**
 * The log stream the OTLP logs endpoint writes to must exist before the first request (the
 * endpoint writes "to an existing LogGroup and LogStream"; test/aws/RESEARCH.md section 1). A
 * stream per execution environment cannot be made at deploy time, so the extension makes it at
 * init with `CreateLogStream` (SigV4, `aws4`; needs `logs:CreateLogStream` on the group). A stream
 * that already exists is fine; a missing group is an error naming the group.
 */
import { callAwsJson } from './aws-json-call';
import { dnsSuffix } from './cloudwatch-endpoints';
import type { CredentialsSource } from './credentials';
import type { RetryClock } from '../delivery/retry';
import { SinkInitError } from '../sinks/errors';

export interface EnsureLogStreamOptions {
  readonly region: string;
  readonly credentials: CredentialsSource;
  /** CloudWatch Logs API URL. Default `https://logs.<region>.<partition suffix>`. */
  readonly endpoint?: URL;
  /** Total time budget, ms. Default 3000 (init is 10 s for everything). */
  readonly budgetMs?: number;
  readonly clock?: RetryClock;
}

/** `created`: made now; `existed`: was already there. Throws {@link SinkInitError}. */
export async function ensureLogStream(group: string, stream: string, options: EnsureLogStreamOptions): Promise<'created' | 'existed'> {
  const endpoint = options.endpoint ?? new URL(`https://logs.${options.region}.${dnsSuffix(options.region)}`);
  const result = await callAwsJson({
    service: 'logs',
    region: options.region,
    target: 'Logs_20140328.CreateLogStream',
    endpoint,
    payload: { logGroupName: group, logStreamName: stream },
    credentials: options.credentials,
    budgetMs: options.budgetMs ?? 3_000,
    clock: options.clock,
  });
  if (result.ok) return 'created';
  if (result.errorType === 'ResourceAlreadyExistsException') return 'existed';
  throw new SinkInitError('Extension.ConfigInvalid', `cannot create log stream ${stream} in log group ${group}: CreateLogStream failed (${result.reason})`);
}
