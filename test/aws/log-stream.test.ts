/** ensureLogStream against a fake CloudWatch Logs API whose requests are SigV4-verified. */
import { ensureLogStream } from '../../extension-src/aws/log-stream';
import { SinkInitError } from '../../extension-src/sinks/errors';
import { awsError, SigV4Endpoint, TEST_CREDENTIALS, type Answer, type RecordedRequest } from '../support/sigv4/sigv4-endpoint';

const REGION = 'ap-southeast-2';
const GROUP = '/telemetry/otlp';
const STREAM = '2026/12/01/[$LATEST]0123456789abcdef';

describe('ensureLogStream', () => {
  let endpoint: SigV4Endpoint;
  let url: URL;
  let reply: (req: RecordedRequest) => Answer;

  beforeEach(async () => {
    reply = () => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '' });
    endpoint = new SigV4Endpoint({ region: REGION, services: { '/': 'logs' }, respond: (req) => reply(req) });
    url = new URL(await endpoint.start());
  });

  afterEach(() => endpoint.close());

  const ensure = (credentials = () => TEST_CREDENTIALS) => ensureLogStream(GROUP, STREAM, { region: REGION, credentials, endpoint: url });

  test('creates the stream with a verified SigV4 CreateLogStream signed for logs', async () => {
    await expect(ensure()).resolves.toBe('created');
    const [req] = endpoint.accepted;
    expect(req).toMatchObject({ service: 'logs', region: REGION, path: '/' });
    expect(req.headers['x-amz-target']).toBe('Logs_20140328.CreateLogStream');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual({ logGroupName: GROUP, logStreamName: STREAM });
  });

  test('an existing stream is fine', async () => {
    reply = () => awsError(400, 'ResourceAlreadyExistsException', 'The specified log stream already exists');
    await expect(ensure()).resolves.toBe('existed');
    expect(endpoint.accepted).toHaveLength(1);
  });

  test('a missing group fails, naming the group and the AWS error', async () => {
    reply = () => awsError(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    const error = await ensure().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SinkInitError);
    expect((error as SinkInitError).message).toBe(
      `cannot create log stream ${STREAM} in log group ${GROUP}: CreateLogStream failed (HTTP 400, ResourceNotFoundException: The specified log group does not exist.)`,
    );
  });

  test('a wrong secret: the verifier\'s 403 is reported, once', async () => {
    const error = await ensure(() => ({ ...TEST_CREDENTIALS, secretAccessKey: 'wrong' })).catch((err: unknown) => err as Error);
    expect((error as Error).message).toMatch(/HTTP 403, InvalidSignatureException: The request signature we calculated does not match/);
    expect(endpoint.refused).toHaveLength(1);
  });
});
