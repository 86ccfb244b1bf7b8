'use strict';
/**
 * The floor of the benchmarks: the least a Telemetry API extension can do, with node:http only.
 * Register (while `sandbox.localdomain` is looked up, as the real one must), listen, subscribe,
 * then `next` in a loop: INVOKE -> `next` at once; SHUTDOWN -> exit. The listener reads each
 * body, JSON.parses it and answers 200 (400 if it is not JSON). No validation, no queue, no sink.
 * Calls to the API go over kept-alive connections, as the extension's do (extension-src/lambda/http.ts):
 * without it, each `next` would cost the floor a TCP connect the extension no longer pays.
 *
 * Env: AWS_LAMBDA_RUNTIME_API; FLOOR_PORT (listener port, default 0 = any).
 */
const http = require('node:http');
const dns = require('node:dns');

const [apiHost, apiPort] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function call(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: apiHost, port: Number(apiPort), method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function main() {
  const address = new Promise((resolve) => dns.lookup('sandbox.localdomain', (error, a) => resolve(error ? '127.0.0.1' : a)));
  const registered = await call('POST', '/2020-01-01/extension/register', { 'Lambda-Extension-Name': 'floor-extension' }, { events: ['INVOKE', 'SHUTDOWN'] });
  const id = registered.headers['lambda-extension-identifier'];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200);
        res.end('OK');
      } catch {
        res.writeHead(400);
        res.end();
      }
    });
  });
  const host = await address;
  await new Promise((resolve) => server.listen(Number(process.env.FLOOR_PORT || 0), host, resolve));
  await call('PUT', '/2022-07-01/telemetry', { 'Lambda-Extension-Identifier': id }, {
    schemaVersion: '2022-12-13',
    types: ['platform', 'function', 'extension'],
    buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 25 },
    destination: { protocol: 'HTTP', URI: `http://sandbox.localdomain:${server.address().port}` },
  });
  for (;;) {
    const reply = await call('GET', '/2020-01-01/extension/event/next', { 'Lambda-Extension-Identifier': id });
    if (JSON.parse(reply.body).eventType === 'SHUTDOWN') process.exit(0);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
