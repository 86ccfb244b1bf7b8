#!/usr/bin/env node
'use strict';
/**
 * A small Node.js runtime for the Lambda emulator. Like the real Node.js runtime interface client
 * it loads `_HANDLER` from `LAMBDA_TASK_ROOT`, loops on `invocation/next`, posts the response or
 * the error (`errorType`, `errorMessage`, `trace`), supports async and callback handlers, and
 * writes `console.*` output in the Text format (`<ISO time>\t<requestId>\t<LEVEL>\t<message>`) or,
 * with `AWS_LAMBDA_LOG_FORMAT=JSON`, as one JSON object per line. Newlines inside a message are
 * written as `\r`, so that one message stays one line, as the real runtime does on stdout.
 * With `AWS_LAMBDA_MAX_CONCURRENCY` (managed instances) it runs that many workers, each log line
 * keeping its own request id; with `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start` it waits in
 * `restore/next` after Init and runs the handler module's `afterRestore` export after a restore.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');
const { AsyncLocalStorage } = require('node:async_hooks');

const [apiHost, apiPort] = String(process.env.AWS_LAMBDA_RUNTIME_API).split(':');
const agent = new http.Agent({ keepAlive: true });
let currentRequestId;
/** The request id of the invocation a log call belongs to (several run at once on managed instances). */
const requestScope = new AsyncLocalStorage();
const requestIdNow = () => requestScope.getStore() ?? currentRequestId;
let handlerModule;

// ------------------------------------------------------------------ Runtime API client

function call(method, apiPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: apiHost, port: Number(apiPort), method, agent, path: `/2018-06-01/runtime/${apiPath}`,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers, 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ------------------------------------------------------------------ logging

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const jsonFormat = String(process.env.AWS_LAMBDA_LOG_FORMAT).toUpperCase() === 'JSON';
const minLevel = LEVELS[String(process.env.AWS_LAMBDA_LOG_LEVEL).toUpperCase()] ?? LEVELS.TRACE;

function errorFields(error) {
  return {
    errorType: error?.constructor?.name ?? 'UnknownError',
    errorMessage: error.message,
    stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
  };
}

function jsonLine(level, params) {
  const entry = { timestamp: new Date().toISOString(), level, requestId: requestIdNow() };
  if (params.length === 1) {
    entry.message = params[0];
    try {
      return JSON.stringify(entry, (_key, value) => (value instanceof Error ? { ...errorFields(value), ...value } : value));
    } catch {
      entry.message = util.format(params[0]);
      return JSON.stringify(entry);
    }
  }
  entry.message = util.format(...params);
  const error = params.find((param) => param instanceof Error);
  if (error) Object.assign(entry, errorFields(error));
  return JSON.stringify(entry);
}

function log(level, params) {
  if (LEVELS[level] < minLevel && level !== 'FATAL') return;
  const line = jsonFormat
    ? jsonLine(level, params)
    : `${new Date().toISOString()}\t${requestIdNow()}\t${level}\t${util.format(...params)}`;
  process.stdout.write(`${line.replace(/\n/g, '\r')}\n`);
}

console.trace = (...params) => log('TRACE', params);
console.debug = (...params) => log('DEBUG', params);
console.info = (...params) => log('INFO', params);
console.log = console.info;
console.warn = (...params) => log('WARN', params);
console.error = (...params) => log('ERROR', params);
console.fatal = (...params) => log('FATAL', params);

/** The runtime's own error lines: `<label> \t{...}` in Text, the error object in JSON. */
function logError(label, error) {
  if (jsonFormat) console.error(error instanceof Error ? error : new Error(String(error)));
  else console.error(label, `\t${JSON.stringify(formatted(error))}`);
}

function formatted(error) {
  if (!(error instanceof Error)) return error;
  return { errorType: error.name, errorMessage: error.message, ...error, stack: String(error.stack).split('\n') };
}

/** The body Lambda expects on `invocation/{id}/error` and `init/error`. */
function toRapidResponse(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function runtimeError(name, message) {
  const error = new Error(message);
  error.name = `Runtime.${name}`;
  return error;
}

// ------------------------------------------------------------------ handler loading

async function loadHandler() {
  const spec = String(process.env._HANDLER);
  const slash = spec.lastIndexOf('/');
  const file = spec.slice(slash + 1);
  const dot = file.indexOf('.');
  if (dot <= 0) throw runtimeError('MalformedHandlerName', `Bad handler ${spec}`);
  const base = path.resolve(String(process.env.LAMBDA_TASK_ROOT), spec.slice(0, slash + 1), file.slice(0, dot));
  const found = ['.js', '.cjs', '.mjs'].map((ext) => base + ext).find((candidate) => fs.existsSync(candidate));
  if (!found) throw runtimeError('ImportModuleError', `Error: Cannot find module '${file.slice(0, dot)}'`);
  let loaded;
  try {
    loaded = found.endsWith('.mjs') ? await import(pathToFileURL(found).href) : require(found);
  } catch (error) {
    if (error instanceof SyntaxError) throw runtimeError('UserCodeSyntaxError', `${error.name}: ${error.message}`);
    if (error && error.code === 'ERR_REQUIRE_ESM') loaded = await import(pathToFileURL(found).href);
    else throw error;
  }
  handlerModule = loaded;
  let handler = loaded;
  for (const key of file.slice(dot + 1).split('.')) handler = handler == null ? undefined : handler[key];
  if (typeof handler !== 'function') throw runtimeError('HandlerNotFound', `${spec} is undefined or not exported`);
  return handler;
}

// ------------------------------------------------------------------ invocation loop

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (error) => callback(error ?? 'handled');
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      callback(error);
      return;
    }
    if (returned && typeof returned.then === 'function') returned.then((result) => callback(null, result), callback);
    else if (handler.length < 3) callback(null, returned);
  });
}

function contextFor(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const env = process.env;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

async function postError(requestId, error) {
  const body = toRapidResponse(error);
  await call('POST', `invocation/${requestId}/error`, JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    logError('Uncaught Exception', error);
    const body = toRapidResponse(error);
    await call('POST', 'init/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
    process.exit(129);
  }
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    const id = requestIdNow();
    (id ? postError(id, error) : Promise.resolve()).finally(() => process.exit(129));
  });
  process.on('unhandledRejection', (reason) => {
    const error = runtimeError('UnhandledPromiseRejection', reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
    logError('Unhandled Promise Rejection', error);
    const id = requestIdNow();
    (id ? postError(id, error) : Promise.resolve()).finally(() => process.exit(128));
  });
  if (String(process.env.AWS_LAMBDA_INITIALIZATION_TYPE) === 'snap-start') await snapshotAndRestore(handler);
  const workers = Math.max(1, Number(process.env.AWS_LAMBDA_MAX_CONCURRENCY) || 1);
  if (String(process.env.AWS_LAMBDA_INITIALIZATION_TYPE) === 'lambda-managed-instances') {
    // Managed instances: SIGTERM stops taking work; the invocations in flight run to completion.
    process.on('SIGTERM', () => {
      stopping = true;
      if (inFlight === 0) process.exit(0);
    });
  }
  await Promise.all(Array.from({ length: workers }, () => work(handler)));
}

let stopping = false;
let inFlight = 0;

/**
 * SnapStart: `restore/next` marks the end of Init (the snapshot is taken while it is pending) and
 * returns on restore; then the handler module's `afterRestore` export, if any, runs (this
 * emulator's stand-in for the runtimes' after-restore hooks); a failing hook goes to `restore/error`.
 */
async function snapshotAndRestore() {
  const restored = await call('GET', 'restore/next');
  if (restored.status !== 200) throw new Error(`restore/next answered ${restored.status}: ${restored.body}`);
  const hook = handlerModule && typeof handlerModule.afterRestore === 'function' ? handlerModule.afterRestore : undefined;
  if (!hook) return;
  try {
    await hook();
  } catch (error) {
    logError('After Restore Error', error);
    const body = toRapidResponse(error);
    await call('POST', 'restore/error', JSON.stringify(body), { 'Lambda-Runtime-Function-Error-Type': body.errorType });
    process.exit(1);
  }
}

async function work(handler) {
  while (!stopping) {
    const next = await call('GET', 'invocation/next');
    if (next.status !== 200) throw new Error(`invocation/next answered ${next.status}: ${next.body}`);
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = requestId;
    inFlight += 1;
    if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;
    await requestScope.run(requestId, async () => {
      try {
        const result = await runHandler(handler, JSON.parse(next.body), contextFor(next.headers));
        await call('POST', `invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result));
      } catch (error) {
        logError('Invoke Error', error);
        await postError(requestId, error);
      }
    });
    inFlight -= 1;
    if (stopping && inFlight === 0) process.exit(0);
  }
}

main().catch((error) => {
  process.stderr.write(`node-runtime: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
