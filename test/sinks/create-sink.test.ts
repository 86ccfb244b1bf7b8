import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, raw, T0 } from './events';
import type { SinkConfig } from '../../extension-src/config/types';
import { createSink, mergeHeaders } from '../../extension-src/sinks/create-sink';
import { SinkInitError } from '../../extension-src/sinks/errors';
import { HttpSink } from '../../extension-src/sinks/http-sink';
import { OtlpSink } from '../../extension-src/sinks/otlp/otlp-sink';
import type { Sink } from '../../extension-src/sinks/sink';
import { StdoutSink } from '../../extension-src/sinks/stdout-sink';
import { Counters } from '../../extension-src/stats/counters';
import { OtlpReceiver } from '../support/otlp-receiver';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hdrs-AbCdEf';

const base: SinkConfig = {
  kind: 'otlp',
  protocol: 'http/protobuf',
  headers: {},
  compression: 'gzip',
  timeoutMs: 2000,
};

/** A fake Secrets Manager answering one fixed SecretString. */
async function fakeSecretsManager(secretString: string, status = 200): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(status === 200 ? JSON.stringify({ SecretString: secretString }) : '{"__type":"ResourceNotFoundException","message":"Secrets Manager can\'t find the specified secret."}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('createSink', () => {
  let receiver: OtlpReceiver;
  let sinks: Sink[];
  let counters: Counters;

  beforeEach(async () => {
    receiver = await OtlpReceiver.start();
    sinks = [];
    counters = new Counters();
  });

  afterEach(async () => {
    for (const sink of sinks) await sink.shutdown(Date.now());
    await receiver.close();
  });

  async function create(config: Partial<SinkConfig>, env: NodeJS.ProcessEnv = {}): Promise<Sink> {
    const sink = await createSink({ ...base, ...config }, { counters, env, functionName: 'orders-api', functionVersion: '9' });
    sinks.push(sink);
    return sink;
  }

  async function initError(config: Partial<SinkConfig>, env: NodeJS.ProcessEnv = {}): Promise<SinkInitError> {
    try {
      await create(config, env);
    } catch (err) {
      expect(err).toBeInstanceOf(SinkInitError);
      return err as SinkInitError;
    }
    throw new Error('expected createSink to fail');
  }

  test('stdout', async () => {
    const sink = await create({ kind: 'stdout' });
    expect(sink).toBeInstanceOf(StdoutSink);
    expect(sink.name).toBe('stdout');
  });

  test('otlp: resource from the context, exports to the endpoint', async () => {
    const sink = await create({ endpoint: receiver.url, serviceName: 'orders' }, { AWS_REGION: 'eu-west-1' });
    expect(sink).toBeInstanceOf(OtlpSink);
    await sink.export(parse([raw.functionLog(T0, 'hello')]), Date.now() + 10_000);
    const [log] = await receiver.waitForLogs(1);
    expect(log.resource).toMatchObject({ 'service.name': 'orders', 'faas.name': 'orders-api', 'faas.version': '9', 'cloud.region': 'eu-west-1' });
  });

  test('http: secret headers merged over plain ones (secret wins, any case)', async () => {
    const sm = await fakeSecretsManager(JSON.stringify({ 'authorization': 'Bearer from-secret', 'x-secret-only': 's' }));
    try {
      const sink = await create(
        { kind: 'http', endpoint: `${receiver.url}/in`, headers: { 'Authorization': 'plain', 'x-team': 'blue' }, headersSecretArn: ARN },
        { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url },
      );
      expect(sink).toBeInstanceOf(HttpSink);
      await sink.export(parse([raw.functionLog(T0, 'hello')]), Date.now() + 10_000);
      const [req] = receiver.requests;
      expect(req.headers).toMatchObject({ 'authorization': 'Bearer from-secret', 'x-secret-only': 's', 'x-team': 'blue' });
      expect(req.rawHeaders.filter((h) => h.toLowerCase() === 'authorization')).toHaveLength(1);
    } finally {
      await sm.close();
    }
  });

  test('an unreadable secret fails init with Extension.SecretUnavailable', async () => {
    const sm = await fakeSecretsManager('', 400);
    try {
      const error = await initError(
        { kind: 'http', endpoint: `${receiver.url}/in`, headersSecretArn: ARN },
        { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url },
      );
      expect(error.errorType).toBe('Extension.SecretUnavailable');
      expect(error.message).toContain(ARN);
      expect(error.message).toContain('ResourceNotFoundException');
    } finally {
      await sm.close();
    }
  });

  test.each<[Partial<SinkConfig>, string]>([
    [{ kind: 'otlp', endpoint: undefined }, 'the otlp sink needs an endpoint'],
    [{ kind: 'http', endpoint: 'not a url' }, 'the http sink endpoint is not a URL'],
    [{ kind: 'otlp', endpoint: 'ftp://collector' }, 'the otlp sink endpoint must be http:// or https://, got ftp:'],
    [{ kind: 'otlp', endpoint: 'http://c', headers: { 'bad header': 'x' } }, 'plain sink header "bad?header" has an invalid name or value'],
    [{ kind: 'otlp', endpoint: 'http://c', headers: { 'x-ok': 'line\nbreak' } }, 'plain sink header "x-ok" has an invalid name or value'],
  ])('invalid config %j: Extension.ConfigInvalid', async (config, message) => {
    const error = await initError(config);
    expect(error.errorType).toBe('Extension.ConfigInvalid');
    expect(error.message).toBe(message);
  });
});

describe('mergeHeaders', () => {
  test('secret wins case-insensitively; others kept', () => {
    expect(mergeHeaders({ 'X-Api-Key': 'plain', 'a': '1' }, { 'x-api-key': 'secret' })).toEqual({ 'a': '1', 'x-api-key': 'secret' });
  });
});
