/**
 * Security: a credential comes only from Secrets Manager (`headersSecret`) or an SSM SecureString
 * (`headersParameter`), and its value never
 * appears in the environment, the template, the layer, any log line, telemetry event or error
 * report, on the happy path or on any failure path; the listener is bound to the sandbox address
 * only, never a wildcard.
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { LAYER_DIR, closeAll, extensionLines, otlpEnv, startWithLayer } from './support/bundle-emulator';
import { createListenerApp } from '../../extension-src/listener/app';
import { startListener, type RunningListener } from '../../extension-src/listener/server';
import { BoundedQueue } from '../../extension-src/queue/bounded-queue';
import { Counters } from '../../extension-src/stats/counters';
import { TelemetryExtensionLayer, TelemetrySink } from '../../lib';
import { EXTENSION_NAME } from '../../lib/config/contract';
import type { LambdaEmulator } from '../emulator/emulator';
import { FakeSecretsManager } from '../support/fake-secrets-manager';
import { freePort } from '../support/free-port';
import { OtlpReceiver } from '../support/otlp-receiver';
import { awsError, SigV4Endpoint, TEST_CREDENTIALS, type Answer } from '../support/sigv4/sigv4-endpoint';
import { tempApp } from '../support/temp';

const SECRET = 'S3cr3t-tok3n-4d9f7e1b-never-print-me';
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:otlp-headers-AbCdEf';

let receiver: OtlpReceiver;
let secrets: FakeSecretsManager | undefined;

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
});

afterEach(async () => {
  await closeAll();
  await secrets?.close();
  secrets = undefined;
  await receiver.close();
});

async function startWithSecret(secretString: string, extra: Record<string, string> = {}, status = 200): Promise<LambdaEmulator> {
  secrets = await FakeSecretsManager.start({ arn: ARN, secretString, status });
  return startWithLayer({
    env: otlpEnv(receiver.url, await freePort(), {
      TELEMETRY_EXTENSION_TYPES: 'platform,function,extension',
      TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN: ARN,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'session-token-example',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      ...extra,
    }),
  });
}

/** Everything the test could observe, as one text. */
function everythingCaptured(emu: LambdaEmulator): string {
  return [
    ...emu.output.map((l) => l.line),
    JSON.stringify(emu.telemetry),
    JSON.stringify(emu.extensionErrors),
    JSON.stringify(emu.inits),
    ...receiver.requests.map((r) => r.rawBody.toString('latin1')),
    ...receiver.requests.map((r) => JSON.stringify(r.body, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
  ].join('\n');
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('a configured secret value never appears in any captured output', () => {
  test('happy path, a collector that echoes the header in a 401, debug logging on', async () => {
    receiver.enqueue(
      { status: 401, body: `{"message":"bad credentials: Bearer ${SECRET}"}`, match: 'traces' },
      { status: 401, body: `{"message":"bad credentials: Bearer ${SECRET}"}`, match: 'logs' },
    );
    const emu = await startWithSecret(JSON.stringify({ 'authorization': `Bearer ${SECRET}`, 'x-scope': 'team-a' }), { TELEMETRY_EXTENSION_DEBUG: '1' });
    const pid = emu.processes().find((p) => p.name === EXTENSION_NAME)?.pid as number;
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');

    await emu.invoke({ tag: 'a', count: 2 });
    await emu.invoke({ tag: 'b', count: 2 });
    await emu.shutdown();

    // The credential was used: on every export request, read once at init.
    expect(secrets?.requests).toHaveLength(1);
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) expect(request.headers.authorization).toBe(`Bearer ${SECRET}`);
    // ... and seen nowhere else.
    expect(environ).not.toContain(SECRET);
    expect(environ).toContain(`TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN=${ARN}`);
    expect(extensionLines(emu).join('\n')).toMatch(/failed; dropped .*error="HTTP 401"/);
    expect(everythingCaptured(emu)).not.toContain(SECRET);
    for (const file of filesUnder(LAYER_DIR)) expect(fs.readFileSync(file, 'latin1')).not.toContain(SECRET);
  });

  test.each([
    ['a SecretString that is not JSON', `Bearer ${SECRET}`, /the SecretString is not JSON/],
    ['a JSON SecretString that is not an object', JSON.stringify(`Bearer ${SECRET}`), /the SecretString is not a JSON object/],
    ['a header value with a line break', JSON.stringify({ authorization: `Bearer ${SECRET}\r\nx-injected: 1` }), /the value of header "authorization" contains characters not allowed/],
    ['a header value that is not a string', `{"authorization":{"token":"${SECRET}"}}`, /the value of header "authorization" is not a string/],
    ['a header name that is not a token', JSON.stringify({ [`bad name ${SECRET}`]: 'x' }), /key #1 of the SecretString is not a valid HTTP header name \(not shown/],
  ])('init fails on %s: init/error names the problem, never the value', async (_name, secretString, message) => {
    const emu = await startWithSecret(secretString);

    const report = emu.extensionErrors.find((e) => e.kind === 'init');
    expect(report).toMatchObject({ functionErrorType: 'Extension.SecretUnavailable', body: { errorMessage: expect.stringMatching(message) } });
    expect(everythingCaptured(emu)).not.toContain(SECRET);
  });

  test('Secrets Manager refuses: init/error with its reason, nothing of the secret', async () => {
    const emu = await startWithSecret('unused', {}, 400);

    expect(emu.extensionErrors.find((e) => e.kind === 'init')).toMatchObject({
      functionErrorType: 'Extension.SecretUnavailable',
      body: { errorMessage: `cannot create the otlp sink: cannot read header secret ${ARN}: GetSecretValue failed (HTTP 400, AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue)` },
    });
  });
});

describe('a configured SSM parameter value never appears in any captured output', () => {
  const PARAMETER = '/telemetry/otlp-headers';
  let ssm: SigV4Endpoint | undefined;

  afterEach(async () => {
    await ssm?.close();
    ssm = undefined;
  });

  /** The real extension with TELEMETRY_EXTENSION_SINK_HEADERS_PARAMETER, against an SSM whose requests are SigV4-verified. */
  async function startWithParameter(answer: Answer, extra: Record<string, string> = {}): Promise<LambdaEmulator> {
    ssm = new SigV4Endpoint({ region: 'us-east-1', services: { '/': 'ssm' }, respond: () => answer });
    const url = await ssm.start();
    return startWithLayer({
      env: otlpEnv(receiver.url, await freePort(), {
        TELEMETRY_EXTENSION_TYPES: 'platform,function,extension',
        TELEMETRY_EXTENSION_SINK_HEADERS_PARAMETER: PARAMETER,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken!,
        AWS_ENDPOINT_URL_SSM: url,
        ...extra,
      }),
    });
  }

  const parameter = (value: string, type = 'SecureString'): Answer => ({
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ Parameter: { Name: PARAMETER, Type: type, Value: value, Version: 1 } }),
  });

  test('happy path, a collector that echoes the header in a 401, debug logging on', async () => {
    receiver.enqueue({ status: 401, body: `{"message":"bad credentials: Bearer ${SECRET}"}`, match: 'traces' });
    const emu = await startWithParameter(parameter(JSON.stringify({ authorization: `Bearer ${SECRET}` })), { TELEMETRY_EXTENSION_DEBUG: '1' });
    const pid = emu.processes().find((p) => p.name === EXTENSION_NAME)?.pid as number;
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');

    await emu.invoke({ tag: 'a', count: 2 });
    await emu.shutdown();

    expect(ssm?.accepted).toHaveLength(1);
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) expect(request.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(environ).not.toContain(SECRET);
    expect(environ).toContain(`TELEMETRY_EXTENSION_SINK_HEADERS_PARAMETER=${PARAMETER}`);
    expect(everythingCaptured(emu)).not.toContain(SECRET);
  });

  test.each([
    ['a value that is not JSON', parameter(`Bearer ${SECRET}`), /the parameter value is not JSON/],
    ['a String (plaintext) parameter', parameter(JSON.stringify({ authorization: `Bearer ${SECRET}` }), 'String'), /is of type String; credentials must be in a SecureString parameter/],
    ['a header name that is not a token', parameter(JSON.stringify({ [`bad name ${SECRET}`]: 'x' })), /key #1 of the parameter value is not a valid HTTP header name \(not shown/],
    ['SSM refuses (no kms:Decrypt)', awsError(400, 'AccessDeniedException', 'not authorized to perform kms:Decrypt'), /GetParameter failed \(HTTP 400, AccessDeniedException: not authorized to perform kms:Decrypt\)/],
  ])('init fails on %s: init/error names the problem, never the value', async (_name, answer, message) => {
    const emu = await startWithParameter(answer);

    const report = emu.extensionErrors.find((e) => e.kind === 'init');
    expect(report).toMatchObject({ functionErrorType: 'Extension.SecretUnavailable', body: { errorMessage: expect.stringMatching(message) } });
    expect(report?.body).toMatchObject({ errorMessage: expect.stringContaining(`cannot read header parameter ${PARAMETER}: `) });
    expect(everythingCaptured(emu)).not.toContain(SECRET);
  });
});

describe('credentials only from Secrets Manager, in the construct', () => {
  function stackWith(sink: TelemetrySink): Stack {
    const stack = new Stack(tempApp(), 'Sec', { env: { account: '123456789012', region: 'us-east-1' } });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new TelemetryExtensionLayer(stack, 'Telemetry', { sink }).attachTo(fn);
    return stack;
  }

  test('the environment carries the secret\'s ARN, never a value; the role may read that secret only', () => {
    const stack = new Stack(tempApp(), 'Sec', { env: { account: '123456789012', region: 'us-east-1' } });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Headers', ARN);
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new TelemetryExtensionLayer(stack, 'Telemetry', { sink: TelemetrySink.otlp({ endpoint: 'https://collector.example.com', headersSecret: secret }) }).attachTo(fn);

    const template = Template.fromStack(stack);
    const variables = template.findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)]
      .Properties.Environment.Variables as Record<string, unknown>;
    expect(variables.TELEMETRY_EXTENSION_SINK_HEADERS_SECRET_ARN).toBe(ARN);
    expect(variables.TELEMETRY_EXTENSION_SINK_HEADERS).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: ARN }] },
    });
  });

  test.each(['Authorization', 'x-api-key', 'X-Auth-Token', 'cookie'])('a plaintext %s header is refused at synth time', (name) => {
    expect(() => stackWith(TelemetrySink.otlp({ endpoint: 'https://collector.example.com', headers: { [name]: 'v' } }))).toThrow(/headersSecret/);
  });

  test('the layer holds the launcher, the bundle and its licences: nothing else', () => {
    expect(filesUnder(LAYER_DIR).map((f) => path.relative(LAYER_DIR, f)).sort()).toEqual([
      `extensions/${EXTENSION_NAME}`, `${EXTENSION_NAME}/index.cjs`, `${EXTENSION_NAME}/index.cjs.LEGAL.txt`,
    ]);
  });
});

describe('the listener is reachable from the sandbox address only', () => {
  /** Local addresses of LISTEN sockets on `port`, from /proc/<pid>/net/tcp and tcp6. */
  function listenAddresses(pid: number, port: number): string[] {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const found: string[] = [];
    for (const table of ['tcp', 'tcp6']) {
      const file = `/proc/${pid}/net/${table}`;
      if (!fs.existsSync(file)) continue;
      for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/);
        if (state !== '0A' || !local?.endsWith(`:${hexPort}`)) continue;
        const hex = local.split(':')[0];
        found.push(hex.length === 8 ? hex.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.') : `[${hex}]`);
      }
    }
    return found;
  }

  test('the real extension listens on 127.0.0.1 (what sandbox.localdomain resolves to, here the fallback), nowhere else', async () => {
    const port = await freePort();
    const emu = await startWithLayer({ env: otlpEnv(receiver.url, port) });
    const pid = emu.processes().find((p) => p.name === EXTENSION_NAME)?.pid as number;

    expect(listenAddresses(pid, port)).toEqual(['127.0.0.1']);
  });

  describe('startListener', () => {
    let running: RunningListener | undefined;
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });
    const app = () => createListenerApp({ queue: new BoundedQueue(), counters: new Counters(), maxBodyBytes: 1024 });

    test.each(['0.0.0.0', '::', '::0'])('sandbox.localdomain resolving to the wildcard %s: binds 127.0.0.1 instead', async (wildcard) => {
      running = await startListener(app(), 0, { lookup: async () => ({ address: wildcard }) });
      expect((running.server.address() as AddressInfo).address).toBe('127.0.0.1');
    });

    test('an unresolvable sandbox.localdomain: 127.0.0.1', async () => {
      running = await startListener(app(), 0, { lookup: async () => Promise.reject(new Error('ENOTFOUND')) });
      expect((running.server.address() as AddressInfo).address).toBe('127.0.0.1');
    });

    test.each(['0.0.0.0', '::'])('an explicit wildcard address %s is refused', async (wildcard) => {
      await expect(startListener(app(), 0, { address: wildcard })).rejects.toThrow(/refusing to listen on a wildcard address/);
    });
  });
});
