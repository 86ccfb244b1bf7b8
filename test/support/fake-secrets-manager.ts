/**
 * A local stand-in for Secrets Manager's `GetSecretValue` (what the extension calls at init when
 * a sink has `headersSecret`): point `AWS_ENDPOINT_URL_SECRETS_MANAGER` at `url`. Records every
 * request (headers and body, to check the SigV4 signature and the `SecretId`), answers from
 * `reply`: by default the secret, or with `status` other than 200 an `AccessDeniedException`.
 *
 * @example
 *   const secrets = await FakeSecretsManager.start({ arn: ARN, secretString: JSON.stringify({ authorization: 'Bearer x' }) });
 *   env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
 *   // ...
 *   expect(secrets.requests).toHaveLength(1);
 *   await secrets.close();
 */
import * as http from 'node:http';
import { closeServer, listenOnFreePort } from './http-server';

/** One request as received. */
export interface SecretsManagerRequest {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What to answer to one request. */
export interface SecretsManagerReply {
  readonly status: number;
  /** The JSON body, as text (sent as `application/x-amz-json-1.1`). */
  readonly body: string;
}

export interface FakeSecretsManagerOptions {
  /** The secret's ARN, echoed in the answer. */
  readonly arn: string;
  /** The `SecretString` answered. @default '{}' */
  readonly secretString?: string;
  /** The status of every answer; anything but 200 answers an AccessDeniedException. @default 200 */
  readonly status?: number;
}

/** The body of a successful `GetSecretValue` answer. */
export function secretValueBody(arn: string, secretString: string): string {
  return JSON.stringify({ ARN: arn, Name: arn.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') ?? 'secret', SecretString: secretString });
}

/** The body of an `AccessDeniedException` answer. */
export const ACCESS_DENIED_BODY = JSON.stringify({ __type: 'AccessDeniedException', message: 'not authorized to perform secretsmanager:GetSecretValue' });

export class FakeSecretsManager {
  /** Starts on 127.0.0.1 with a free port. */
  static async start(options: FakeSecretsManagerOptions): Promise<FakeSecretsManager> {
    const fake = new FakeSecretsManager(options);
    fake.port = await listenOnFreePort(fake.server);
    return fake;
  }

  /** Every request so far, in arrival order. */
  readonly requests: SecretsManagerRequest[] = [];

  /** How a request is answered; replace it to script other answers. */
  reply: (request: SecretsManagerRequest) => SecretsManagerReply;

  private readonly server: http.Server;
  private port = 0;

  private constructor(options: FakeSecretsManagerOptions) {
    const status = options.status ?? 200;
    this.reply = () => ({ status, body: status === 200 ? secretValueBody(options.arn, options.secretString ?? '{}') : ACCESS_DENIED_BODY });
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(request);
        const answer = this.reply(request);
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(answer.body);
      });
    });
  }

  /** `http://127.0.0.1:<port>`: the value for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
