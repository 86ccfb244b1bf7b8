/**
 * readParameterHeaders against a local fake SSM whose every request is SigV4-verified by the
 * independent verifier (AWS's own signer), answering GetParameter as SSM does.
 */
import { readParameterHeaders } from '../../extension-src/aws/ssm-headers';
import { SinkInitError } from '../../extension-src/sinks/errors';
import { awsError, SigV4Endpoint, TEST_CREDENTIALS, type Answer, type RecordedRequest } from '../support/sigv4/sigv4-endpoint';

const REGION = 'eu-west-1';
const NAME = '/telemetry/otlp-headers';
const ARN = `arn:aws:ssm:${REGION}:123456789012:parameter/telemetry/otlp-headers`;
const SECRET_VALUE = 'Bearer sk-live-4b1d-do-not-leak';

function getParameterAnswer(value: string, type = 'SecureString'): Answer {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({
      Parameter: { ARN, DataType: 'text', LastModifiedDate: 1.76e9, Name: NAME, Type: type, Value: value, Version: 3 },
    }),
  };
}

describe('readParameterHeaders', () => {
  let endpoint: SigV4Endpoint;
  let env: NodeJS.ProcessEnv;
  let reply: (req: RecordedRequest) => Answer;
  let output: string[];
  let writes: jest.SpyInstance[];

  beforeEach(async () => {
    reply = () => getParameterAnswer(JSON.stringify({ 'authorization': SECRET_VALUE, 'x-tenant': 't-1' }));
    endpoint = new SigV4Endpoint({ region: REGION, services: { '/': 'ssm' }, respond: (req) => reply(req) });
    env = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
      AWS_ENDPOINT_URL_SSM: await endpoint.start(),
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
    // Whatever happened, nothing printed the value.
    expect(output.join('')).not.toContain(SECRET_VALUE);
    await endpoint.close();
  });

  async function failure(name = NAME): Promise<SinkInitError> {
    try {
      await readParameterHeaders(name, { env, budgetMs: 3_000 });
    } catch (err) {
      expect(err).toBeInstanceOf(SinkInitError);
      const error = err as SinkInitError;
      expect(error.errorType).toBe('Extension.SecretUnavailable');
      expect(error.message).toContain(`cannot read header parameter ${name}: `);
      expect(error.message).not.toContain(SECRET_VALUE);
      expect(String(error.stack)).not.toContain(SECRET_VALUE);
      return error;
    }
    throw new Error('expected readParameterHeaders to fail');
  }

  test('returns the header map; the request is a verified SigV4 GetParameter WithDecryption for ssm', async () => {
    await expect(readParameterHeaders(NAME, { env })).resolves.toEqual({ 'authorization': SECRET_VALUE, 'x-tenant': 't-1' });
    expect(endpoint.accepted).toHaveLength(1);
    const [req] = endpoint.accepted;
    expect(req).toMatchObject({ method: 'POST', path: '/', service: 'ssm', region: REGION });
    expect(req.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual({ Name: NAME, WithDecryption: true });
  });

  test('with an ARN, the region is the ARN\'s (the verifier refuses any other)', async () => {
    env.AWS_REGION = 'us-east-1';
    await expect(readParameterHeaders(ARN, { env })).resolves.toHaveProperty('x-tenant', 't-1');
    expect(endpoint.accepted[0].region).toBe(REGION);
    expect(JSON.parse(endpoint.accepted[0].body.toString('utf8')).Name).toBe(ARN);
  });

  test('a wrong secret: refused by the verifier with 403 InvalidSignatureException, reported, not retried', async () => {
    env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    const error = await failure();
    expect(error.message).toMatch(/GetParameter failed \(HTTP 403, InvalidSignatureException: The request signature we calculated does not match/);
    expect(endpoint.refused).toHaveLength(1);
  });

  test('ParameterNotFound: the AWS error in the message, not retried', async () => {
    reply = () => awsError(400, 'ParameterNotFound', '');
    const error = await failure();
    expect(error.message).toBe(`cannot read header parameter ${NAME}: GetParameter failed (HTTP 400, ParameterNotFound)`);
    expect(endpoint.accepted).toHaveLength(1);
  });

  test('AccessDeniedException (e.g. no kms:Decrypt) is reported with its message', async () => {
    reply = () => awsError(400, 'AccessDeniedException', 'User is not authorized to perform: kms:Decrypt');
    expect((await failure()).message).toMatch(/HTTP 400, AccessDeniedException: User is not authorized to perform: kms:Decrypt/);
  });

  test('throttling (HTTP 400 ThrottlingException, as AWS JSON services answer) is retried', async () => {
    let calls = 0;
    const ok = reply;
    reply = (req) => (++calls === 1 ? awsError(400, 'ThrottlingException', 'Rate exceeded') : ok(req));
    await expect(readParameterHeaders(NAME, { env })).resolves.toHaveProperty('x-tenant', 't-1');
    expect(endpoint.accepted).toHaveLength(2);
  });

  test('throttling by the endpoint (429) is retried, and each attempt is signed anew (credentials read again)', async () => {
    endpoint.throttleNext(1, 'throttling', 0);
    const credentials = jest.fn(() => TEST_CREDENTIALS);
    await expect(readParameterHeaders(NAME, { env, credentials })).resolves.toHaveProperty('x-tenant', 't-1');
    // Once up front (fail fast without credentials), then once per signed attempt.
    expect(credentials).toHaveBeenCalledTimes(3);
    expect(endpoint.refused.map((r) => r.type)).toEqual(['ThrottlingException']);
    expect(endpoint.accepted).toHaveLength(1);
  });

  test('a String parameter is refused: credentials must be a SecureString', async () => {
    reply = () => getParameterAnswer(JSON.stringify({ authorization: SECRET_VALUE }), 'String');
    expect((await failure()).message).toMatch(/is of type String; credentials must be in a SecureString parameter/);
  });

  test('a value that is not JSON: refused without the parser\'s message (which quotes it)', async () => {
    reply = () => getParameterAnswer(`${SECRET_VALUE} not json`);
    expect((await failure()).message).toMatch(/the parameter value is not JSON; expected a JSON object/);
  });

  test('a JSON array, a non-string value, a bad header name are each refused by name only', async () => {
    reply = () => getParameterAnswer(JSON.stringify([SECRET_VALUE]));
    expect((await failure()).message).toMatch(/the parameter value is not a JSON object/);
    reply = () => getParameterAnswer(JSON.stringify({ 'x-count': 3 }));
    expect((await failure()).message).toMatch(/the value of header "x-count" is not a string/);
    reply = () => getParameterAnswer(JSON.stringify({ [SECRET_VALUE]: 'v' }));
    expect((await failure()).message).toMatch(/key #1 of the parameter value is not a valid HTTP header name \(not shown/);
    reply = () => getParameterAnswer(JSON.stringify({ authorization: `${SECRET_VALUE}\r\nx-evil: 1` }));
    expect((await failure()).message).toMatch(/the value of header "authorization" contains characters not allowed/);
  });

  test('a value larger than the export transport\'s 4 KiB diagnostics prefix is read whole', async () => {
    const long = `Bearer ${'k'.repeat(7_000)}`;
    reply = () => getParameterAnswer(JSON.stringify({ authorization: long }));
    await expect(readParameterHeaders(NAME, { env })).resolves.toEqual({ authorization: long });
  });

  test('no credentials: fails before any request', async () => {
    delete env.AWS_SECRET_ACCESS_KEY;
    expect((await failure()).message).toMatch(/no AWS credentials in the environment/);
    expect(endpoint.accepted).toHaveLength(0);
    expect(endpoint.refused).toHaveLength(0);
  });

  test('no region anywhere: fails before any request', async () => {
    delete env.AWS_REGION;
    expect((await failure()).message).toMatch(/no region: neither in the ARN nor in AWS_REGION/);
  });

  test('endpoint unreachable: typed error after the bounded retries', async () => {
    const dead = new SigV4Endpoint({ region: REGION, services: { '/': 'ssm' } });
    env.AWS_ENDPOINT_URL_SSM = await dead.start();
    await dead.close();
    expect((await failure()).message).toMatch(/GetParameter failed \(connect ECONNREFUSED/);
  });
});
