'use strict';
/** The memory floor: an idle node:http server on 127.0.0.1. Prints `ready <port>` once listening. */
const http = require('node:http');

const server = http.createServer((req, res) => {
  req.resume();
  res.end('OK');
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
