'use strict';
/**
 * A second extension in the layer for the deaths' end-to-end tests, steered by files in
 * COMPANION_DIR that the test creates and removes: on an INVOKE, `crash` makes it exit 2
 * (Extension.Crash), `delay` (holding a number of ms) makes it work that long before calling
 * `next` (so the invocation times out after the runtime answered).
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [host, port] = String(process.env.AWS_LAMBDA_RUNTIME_API).split(':');
const dir = process.env.COMPANION_DIR;

function call(method, apiPath, headers, body) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host, port: Number(port), method, path: apiPath, headers: text === undefined ? headers : { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

(async () => {
  const registered = await call('POST', '/2020-01-01/extension/register', { 'Lambda-Extension-Name': 'companion' }, { events: ['INVOKE', 'SHUTDOWN'] });
  const id = registered.headers['lambda-extension-identifier'];
  for (;;) {
    const event = await call('GET', '/2020-01-01/extension/event/next', { 'Lambda-Extension-Identifier': id });
    if (event.body.eventType === 'SHUTDOWN') process.exit(0);
    if (fs.existsSync(path.join(dir, 'crash'))) process.exit(2);
    const delay = path.join(dir, 'delay');
    if (fs.existsSync(delay)) await new Promise((resolve) => setTimeout(resolve, Number(fs.readFileSync(delay, 'utf8'))));
  }
})().catch((error) => {
  process.stderr.write(`companion failed: ${error.message}\n`);
  process.exit(1);
});
