/**
 * How long the function's `forceFlush` takes when it exports to the extension's OTLP receiver,
 * next to the same export to a collector 50 ms away, and to a floor: a bare `node:http` server
 * that answers at once without reading the data (a loopback round trip).
 *
 * The function is the real Node.js handler fixture (test/fixtures/functions/node-otel, real
 * OpenTelemetry JS SDK, bundled as for a Lambda zip) in its own process, configured by
 * OTEL_EXPORTER_OTLP_ENDPOINT only; each invocation makes 100 spans (SERVER span, child, 98 more)
 * and times `tracerProvider.forceFlush()`. The servers run in this process; its CPU time per
 * export (`process.cpuUsage`, `proc cpu/export`) includes what the process burns while idle, which
 * grows with the run's wall time (hence the slow collector's higher figure): compare the receiver
 * with the floor, and see decode-cost.ts for the receiver's own cost per record.
 *
 *   npx tsx test/receiver-bench/force-flush.ts [--iterations=300] [--warmup=20]
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createReceiverApp, startReceiver, type FunctionTelemetry } from '../../extension-src/receiver';
import { bundleNodeOtelFunction } from '../support/function-fixtures';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ITERATIONS = Number(args.get('iterations') ?? 300);
const WARMUP = Number(args.get('warmup') ?? 20);
const SPANS = 100;
const COLLECTOR_DELAY_MS = 50;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly received: () => number;
  close(): Promise<void>;
}

/** A server that reads the body and answers 200 with an empty export response after `delayMs`. */
async function plainServer(name: string, delayMs: number): Promise<Target> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      const answer = () => res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }).end();
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    received: () => requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function receiverTarget(): Promise<Target> {
  let spans = 0;
  let last: FunctionTelemetry | undefined;
  const app = createReceiverApp({
    accept: (item) => {
      spans += item.items;
      last = item; // kept, as a queue would
      return 'accepted';
    },
  });
  const running = await startReceiver(app, 0);
  return { name: 'receiver', url: running.url, received: () => (last ? spans : 0), close: () => running.close() };
}

interface RunResult {
  readonly flushMs: number[];
  readonly cpuUs: number;
}

/** Runs the handler `WARMUP + ITERATIONS` times in one function process exporting to `target`. */
async function run(bundle: string, target: Target): Promise<RunResult> {
  const driver = `
    const { handler } = require(${JSON.stringify(bundle)});
    (async () => {
      const out = [];
      for (let i = 0; i < ${WARMUP + ITERATIONS}; i++) {
        const r = await handler({ spansOnly: true, extraSpans: ${SPANS - 2} }, { awsRequestId: 'bench-' + i });
        out.push(r.flushMs);
        process.send({ i });
      }
      process.send({ done: out.slice(${WARMUP}) });
      process.disconnect();
    })();`;
  const child = spawn(process.execPath, ['-e', driver], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: target.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'bench' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let cpuStart: NodeJS.CpuUsage | undefined;
  return new Promise((resolve, reject) => {
    child.on('message', (message: { i?: number; done?: number[] }) => {
      if (message.i === WARMUP - 1) cpuStart = process.cpuUsage();
      if (message.done) {
        const cpu = process.cpuUsage(cpuStart);
        resolve({ flushMs: message.done, cpuUs: cpu.user + cpu.system });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`function process exited ${code}`));
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function row(name: string, result: RunResult, floorP50?: number): string {
  const sorted = [...result.flushMs].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const cells = [
    `bench force-flush.${name}`.padEnd(34),
    `p50 ${p50.toFixed(2).padStart(7)} ms`,
    `p90 ${percentile(sorted, 90).toFixed(2).padStart(7)} ms`,
    `p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms`,
    `max ${sorted[sorted.length - 1].toFixed(2).padStart(7)} ms`,
    `proc cpu/export ${(result.cpuUs / ITERATIONS / 1000).toFixed(3).padStart(6)} ms`,
  ];
  if (floorP50 !== undefined) cells.push(`floor p50 ${floorP50.toFixed(2)} ms`);
  return cells.join('  ');
}

async function main(): Promise<void> {
  const fn = await bundleNodeOtelFunction();
  const bundle = path.join(fn.dir, 'index.js');
  const targets = [await plainServer('floor', 0), await receiverTarget(), await plainServer(`collector-${COLLECTOR_DELAY_MS}ms`, COLLECTOR_DELAY_MS)];
  try {
    console.log(`forceFlush of ${SPANS} spans (OpenTelemetry JS SDK, http/protobuf), ${ITERATIONS} invocations after ${WARMUP} warm-up, Node.js ${process.version}`);
    const results = new Map<string, RunResult>();
    for (const target of targets) {
      results.set(target.name, await run(bundle, target));
      if (target.received() === 0) throw new Error(`${target.name} received nothing`);
    }
    const floor = [...results.get('floor')!.flushMs].sort((a, b) => a - b);
    for (const target of targets) console.log(row(target.name, results.get(target.name)!, target.name === 'floor' ? undefined : percentile(floor, 50)));
  } finally {
    for (const target of targets) await target.close();
    fn.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
