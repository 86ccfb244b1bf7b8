/**
 * What the receiver costs the extension process: loading its code (bundled and minified as in
 * the layer; Koa, the router and raw-body are loaded before, they are the listener's too), building the schema at the first request, and CPU per span / log record for
 * decoding and screening a request, next to `JSON.parse` of the same data as OTLP/JSON (a floor:
 * the least any receiver must do with it).
 *
 *   npx tsx test/receiver-bench/decode-cost.ts
 *
 * Runs in a fresh Node.js process (no tsx, no jest), timing with `process.cpuUsage`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');
const RECORDS = 100;

async function bodies(dir: string): Promise<void> {
  const resource = resourceFromAttributes({ 'service.name': 'bench', 'cloud.region': 'eu-west-1' });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spans)] });
  const tracer = tracerProvider.getTracer('bench', '1.0.0');
  tracer.startActiveSpan('handler', { kind: 1, attributes: { 'faas.invocation_id': 'abc' } }, (root) => {
    for (let i = 1; i < RECORDS; i++) tracer.startSpan(`work-${i}`, { attributes: { 'item.index': i, 'item.kind': 'x' } }).end();
    root.end();
  });
  const logs = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const logger = loggerProvider.getLogger('bench');
  for (let i = 0; i < RECORDS; i++) logger.emit({ severityNumber: SeverityNumber.INFO, body: `line ${i} of the handler`, attributes: { i } });
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
  fs.writeFileSync(path.join(dir, 'traces.pb'), ProtobufTraceSerializer.serializeRequest(spans.getFinishedSpans())!);
  fs.writeFileSync(path.join(dir, 'traces.json'), JsonTraceSerializer.serializeRequest(spans.getFinishedSpans())!);
  fs.writeFileSync(path.join(dir, 'logs.pb'), ProtobufLogsSerializer.serializeRequest(logs.getFinishedLogRecords())!);
  fs.writeFileSync(path.join(dir, 'logs.json'), JsonLogsSerializer.serializeRequest(logs.getFinishedLogRecords())!);
}

const MEASURE = `
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[1];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
// Koa, the router and raw-body are the listener's too (loaded anyway): loaded first, not counted.
for (const shared of ['koa', '@koa/router', 'raw-body']) require(require.resolve(shared, { paths: [process.argv[2]] }));
const t0 = cpu();
const r = require(path.join(dir, 'receiver.cjs'));
const loadMs = cpu() - t0;
const read = (f) => fs.readFileSync(path.join(dir, f));
const t1 = cpu();
r.decodeRequest('traces', 'protobuf', read('traces.pb'));
const firstMs = cpu() - t1;
function perRecord(signal, encoding, file, iterations) {
  const body = read(file);
  for (let i = 0; i < 200; i++) r.screenRecords(signal, r.decodeRequest(signal, encoding, body));
  const start = cpu();
  for (let i = 0; i < iterations; i++) r.screenRecords(signal, r.decodeRequest(signal, encoding, body));
  return ((cpu() - start) * 1000) / iterations / ${RECORDS};
}
function parseFloor(file, iterations) {
  const text = read(file);
  for (let i = 0; i < 200; i++) JSON.parse(text.toString('utf8'));
  const start = cpu();
  for (let i = 0; i < iterations; i++) JSON.parse(text.toString('utf8'));
  return ((cpu() - start) * 1000) / iterations / ${RECORDS};
}
const out = { loadMs, firstMs };
for (const signal of ['traces', 'logs']) {
  out[signal + '.protobuf'] = perRecord(signal, 'protobuf', signal + '.pb', 3000);
  out[signal + '.json'] = perRecord(signal, 'json', signal + '.json', 1000);
  out[signal + '.floor'] = parseFloor(signal + '.json', 3000);
  out[signal + '.bytes'] = read(signal + '.pb').length;
}
console.log(JSON.stringify(out));
`;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-cost-'));
  try {
    await esbuild.build({
      stdin: {
        contents: "export * from './extension-src/receiver';\nexport { screenRecords } from './extension-src/receiver/screen-records';",
        resolveDir: ROOT,
        loader: 'ts',
      },
      outfile: path.join(dir, 'receiver.cjs'),
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'cjs',
      minify: true,
      mainFields: ['module', 'main'],
      logLevel: 'warning',
      external: ['koa', '@koa/router', 'raw-body'],
    });
    await bodies(dir);
    const figures = JSON.parse(execFileSync(process.execPath, ['-e', MEASURE, dir, ROOT], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    })) as Record<string, number>;
    console.log(`receiver code load (protobufjs/light, long, schema, receiver; Koa already loaded), CPU: ${figures.loadMs.toFixed(1)} ms; first decode (schema built): ${figures.firstMs.toFixed(1)} ms`);
    for (const signal of ['traces', 'logs']) {
      console.log(
        `bench receiver.decode.${signal}`.padEnd(32),
        `protobuf ${figures[`${signal}.protobuf`].toFixed(2)} us/record`,
        ` json ${figures[`${signal}.json`].toFixed(2)} us/record`,
        ` floor (JSON.parse of the OTLP/JSON) ${figures[`${signal}.floor`].toFixed(2)} us/record`,
        ` (${RECORDS} records, ${figures[`${signal}.bytes`]} protobuf bytes)`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
