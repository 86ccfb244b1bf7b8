import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SinkInitError } from '../../extension-src/sinks/errors';
import { readSecretHeaders } from '../../extension-src/sinks/secret-headers';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-headers-AbCdEf';
const SECRET_VALUE = 'Bearer sk-live-7f3c2b1a-do-not-leak';

interface SeenRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A fake Secrets Manager: checks the SigV4 headers, answers from `reply`. */
class FakeSecretsManager {
  readonly seen: SeenRequest[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.seen.push(seen);
      const { status, body } = this.reply(seen);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(body);
    });
  });

  reply: (req: SeenRequest) => { status: number; body: string } = () => ({
    status: 200,
    body: JSON.stringify({ ARN, Name: 'otlp-headers', SecretString: JSON.stringify({ 'authorization': SECRET_VALUE, 'x-tenant': 't-1' }) }),
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('readSecretHeaders', () => {
  let fake: FakeSecretsManager;
  let env: NodeJS.ProcessEnv;
  let output: string[];
  let writes: jest.SpyInstance[];

  beforeEach(async () => {
    fake = new FakeSecretsManager();
    const endpoint = await fake.start();
    env = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'session-token-example',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    };
    output = [];
    const capture = (chunk: unknown) => {
      output.push(String(chunk));
      return true;
    };
    writes = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write),
      jest.spyOn(console, 'log').mockImplementation((...args) => void capture(args.join(' '))),
      jest.spyOn(console, 'error').mockImplementation((...args) => void capture(args.join(' '))),
    ];
  });

  afterEach(async () => {
    for (const spy of writes) spy.mockRestore();
    // Nothing this module did may have printed the secret, whatever the outcome.
    expect(output.join('')).not.toContain(SECRET_VALUE);
    await fake.close();
  });

  test('returns the header map; the request is a SigV4-signed GetSecretValue for the ARN', async () => {
    const headers = await readSecretHeaders(ARN, { env });
    expect(headers).toEqual({ 'authorization': SECRET_VALUE, 'x-tenant': 't-1' });

    expect(fake.seen).toHaveLength(1);
    const [req] = fake.seen;
    expect(JSON.parse(req.body)).toEqual({ SecretId: ARN });
    expect(req.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(req.headers['x-amz-security-token']).toBe('session-token-example');
    expect(req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    // Region from the ARN (eu-west-1), not AWS_REGION; the service is secretsmanager.
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
  });

  test('without a region in the ARN, AWS_REGION is used', async () => {
    await readSecretHeaders('otlp-headers', { env });
    expect(fake.seen[0].headers.authorization).toContain('/us-east-1/secretsmanager/aws4_request');
  });

  test('a 5xx is retried', async () => {
    let calls = 0;
    const ok = fake.reply;
    fake.reply = (req) => (++calls === 1 ? { status: 500, body: '{"__type":"InternalServiceError"}' } : ok(req));
    await expect(readSecretHeaders(ARN, { env })).resolves.toHaveProperty('x-tenant', 't-1');
    expect(fake.seen).toHaveLength(2);
  });

  async function failure(): Promise<SinkInitError> {
    try {
      await readSecretHeaders(ARN, { env });
    } catch (err) {
      expect(err).toBeInstanceOf(SinkInitError);
      const error = err as SinkInitError;
      expect(error.errorType).toBe('Extension.SecretUnavailable');
      expect(error.message).toContain(ARN);
      expect(error.message).not.toContain(SECRET_VALUE);
      expect(String(error.stack)).not.toContain(SECRET_VALUE);
      return error;
    }
    throw new Error('expected readSecretHeaders to fail');
  }

  test('access denied: typed error naming the ARN and the AWS error, not retried', async () => {
    fake.reply = () => ({
      status: 400,
      body: JSON.stringify({ __type: 'AccessDeniedException', message: 'User is not authorized to perform: secretsmanager:GetSecretValue' }),
    });
    const error = await failure();
    expect(error.message).toBe(`cannot read header secret ${ARN}: GetSecretValue failed (HTTP 400, AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue)`);
    expect(fake.seen).toHaveLength(1);
  });

  test('SecretString that is not JSON: the parser message (which quotes the input) is not used', async () => {
    fake.reply = () => ({ status: 200, body: JSON.stringify({ SecretString: `${SECRET_VALUE} not json` }) });
    const error = await failure();
    expect(error.message).toMatch(/SecretString is not JSON/);
  });

  test('SecretString that is a JSON string or array is refused', async () => {
    fake.reply = () => ({ status: 200, body: JSON.stringify({ SecretString: JSON.stringify(SECRET_VALUE) }) });
    expect((await failure()).message).toMatch(/not a JSON object/);
    fake.reply = () => ({ status: 200, body: JSON.stringify({ SecretString: JSON.stringify([SECRET_VALUE]) }) });
    expect((await failure()).message).toMatch(/not a JSON object/);
  });

  test('a non-string header value is refused, naming the header only', async () => {
    fake.reply = () => ({ status: 200, body: JSON.stringify({ SecretString: JSON.stringify({ 'authorization': SECRET_VALUE, 'x-count': 3 }) }) });
    expect((await failure()).message).toMatch(/value of header "x-count" is not a string/);
  });

  test('a header value with a line break is refused without printing it', async () => {
    fake.reply = () => ({ status: 200, body: JSON.stringify({ SecretString: JSON.stringify({ authorization: `${SECRET_VALUE}\r\nx-evil: 1` }) }) });
    expect((await failure()).message).toMatch(/value of header "authorization" contains characters not allowed/);
  });

  test('binary secrets are refused', async () => {
    fake.reply = () => ({ status: 200, body: JSON.stringify({ SecretBinary: Buffer.from(SECRET_VALUE).toString('base64') }) });
    expect((await failure()).message).toMatch(/no SecretString/);
  });

  test('no credentials: fails before any request', async () => {
    delete env.AWS_ACCESS_KEY_ID;
    expect((await failure()).message).toMatch(/no AWS credentials/);
    expect(fake.seen).toHaveLength(0);
  });

  test('endpoint unreachable: typed error after the bounded retries', async () => {
    const dead = new FakeSecretsManager();
    env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await dead.start();
    await dead.close();
    const error = await failure();
    expect(error.message).toMatch(/GetSecretValue failed \(connect ECONNREFUSED/);
  });
});
