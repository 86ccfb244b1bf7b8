/**
 * `createSink` with the SSM headers parameter: the otlp and http sinks get its headers (read once
 * at init through a SigV4-verified GetParameter), merged over the plain and the secret's headers;
 * a parameter that cannot be read fails init with Extension.SecretUnavailable, without its value.
 */
import type { SinkConfig } from '../../extension-src/config/types';
import { createSink } from '../../extension-src/sinks/create-sink';
import { SinkInitError } from '../../extension-src/sinks/errors';
import type { Sink } from '../../extension-src/sinks/sink';
import { Counters } from '../../extension-src/stats/counters';
import { parse, raw, T0 } from '../sinks/events';
import { OtlpReceiver } from '../support/otlp-receiver';
import { awsError, SigV4Endpoint, TEST_CREDENTIALS, type Answer } from '../support/sigv4/sigv4-endpoint';

const REGION = 'eu-west-1';
const PARAMETER = '/telemetry/otlp-headers';
const SECRET_VALUE = 'Bearer sk-param-7f3e-do-not-leak';

describe('createSink with a headers parameter', () => {
  let ssm: SigV4Endpoint;
  let receiver: OtlpReceiver;
  let env: NodeJS.ProcessEnv;
  let sinks: Sink[];
  let answer: () => Answer;
  let output: string[];

  beforeEach(async () => {
    answer = () => ({
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: JSON.stringify({ 'Authorization': SECRET_VALUE, 'x-tenant': 'from-parameter' }), Version: 1 } }),
    });
    ssm = new SigV4Endpoint({ region: REGION, services: { '/': 'ssm' }, respond: () => answer() });
    receiver = await OtlpReceiver.start();
    env = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
      AWS_ENDPOINT_URL_SSM: await ssm.start(),
    };
    sinks = [];
    output = [];
    const capture = ((chunk: unknown) => {
      output.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });

  afterEach(async () => {
    for (const sink of sinks) await sink.shutdown(Date.now() + 1_000);
    jest.restoreAllMocks();
    expect(output.join('')).not.toContain(SECRET_VALUE);
    await receiver.close();
    await ssm.close();
  });

  async function create(config: Partial<SinkConfig>): Promise<Sink> {
    const sink = await createSink({
      kind: 'otlp', protocol: 'http/protobuf', headers: {}, compression: 'gzip', timeoutMs: 2_000, endpoint: receiver.url, headersParameter: PARAMETER, ...config,
    }, { counters: new Counters(), env, functionName: 'orders-api' });
    sinks.push(sink);
    return sink;
  }

  test.each(['otlp', 'http'] as const)('the %s sink sends the parameter\'s headers, over the plain ones; one GetParameter at init', async (kind) => {
    const sink = await create({ kind, headers: { 'X-Tenant': 'plain', 'x-team': 'blue' }, endpoint: kind === 'http' ? `${receiver.url}/ingest` : receiver.url });
    await sink.export(parse([raw.functionLog(T0, 'hello')]), Date.now() + 5_000);
    await sink.export(parse([raw.functionLog(T0 + 1, 'again')]), Date.now() + 5_000);
    expect(ssm.accepted).toHaveLength(1);
    expect(ssm.accepted[0].headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(JSON.parse(ssm.accepted[0].body.toString('utf8'))).toEqual({ Name: PARAMETER, WithDecryption: true });
    expect(receiver.requests.length).toBeGreaterThanOrEqual(2);
    for (const r of receiver.requests) {
      expect(r.headers.authorization).toBe(SECRET_VALUE);
      expect(r.headers['x-tenant']).toBe('from-parameter');
      expect(r.headers['x-team']).toBe('blue');
    }
  });

  test('a parameter that cannot be read fails init as the secret does: Extension.SecretUnavailable, the reason, never the value', async () => {
    answer = () => awsError(400, 'ParameterNotFound', '');
    const error = await create({}).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SinkInitError);
    expect(error).toMatchObject({ errorType: 'Extension.SecretUnavailable', message: `cannot read header parameter ${PARAMETER}: GetParameter failed (HTTP 400, ParameterNotFound)` });
    expect(receiver.requests).toHaveLength(0);
  });

  test('a String (plaintext) parameter is refused', async () => {
    answer = () => ({ status: 200, body: JSON.stringify({ Parameter: { Name: PARAMETER, Type: 'String', Value: JSON.stringify({ Authorization: SECRET_VALUE }) } }) });
    const error = (await create({}).catch((err: unknown) => err)) as SinkInitError;
    expect(error.message).toMatch(/is of type String; credentials must be in a SecureString parameter/);
    expect(error.message).not.toContain(SECRET_VALUE);
  });

  test('the stdout sink ignores it (no request), with a warning', async () => {
    await create({ kind: 'stdout' });
    expect(ssm.accepted).toHaveLength(0);
    expect(output.join('')).toContain('sink headers parameter ignored');
  });
});
