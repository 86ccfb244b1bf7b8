/**
 * forceFlush through the real layer: the real Node.js SDK handler fixture runs in the Lambda
 * emulator with the bundled extension (lib/layer, built by `npx tsx projenrc/bundle-extension.ts`
 * or any jest run), and times `tracerProvider.forceFlush()` of 100 spans per invocation, exporting
 * to the extension's OTLP receiver (TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT, the function's
 * OTEL_EXPORTER_OTLP_ENDPOINT on it), next to the same function exporting straight to a
 * collector that answers 50 ms later (no receiver). The extension forwards to a local collector
 * that answers at once.
 *
 *   npx tsx test/receiver-bench/force-flush-layer.ts [--iterations=200] [--warmup=20]
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { LambdaEmulator } from '../emulator/emulator';
import { freePort } from '../support/free-port';
import { bundleNodeOtelFunction } from '../support/function-fixtures';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ITERATIONS = Number(args.get('iterations') ?? 200);
const WARMUP = Number(args.get('warmup') ?? 20);
const LAYER_DIR = path.join(__dirname, '..', '..', 'lib', 'layer');

async function collector(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }).end(), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(name: string, handlerDir: string, env: Record<string, string>): Promise<void> {
  const emulator = await LambdaEmulator.start({ layerDir: LAYER_DIR, handlerDir, handler: 'index.handler', env, timeoutMs: 10_000 });
  const flushMs: number[] = [];
  try {
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      const result = await emulator.invoke({ extraSpans: 98, spansOnly: true });
      if (result.status !== 'success') throw new Error(`${name}: invocation ${i} ${result.status} ${JSON.stringify(result.error)}`);
      if (i >= WARMUP) flushMs.push((result.response as { flushMs: number }).flushMs);
    }
    await emulator.shutdown();
    // Proof that the exports went where they should: the extension's own count of the function's spans.
    const summary = emulator.linesOf('telemetry-extension').find((l) => l.includes('] INFO shutdown ')) ?? '';
    const exported = / function\.exported=(\d+)/.exec(summary)?.[1];
    if (env.TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT && Number(exported) !== (WARMUP + ITERATIONS) * 100) {
      throw new Error(`${name}: the extension exported ${exported} of the function's ${(WARMUP + ITERATIONS) * 100} spans:\n${summary}`);
    }
  } finally {
    await emulator.close();
  }
  const sorted = [...flushMs].sort((a, b) => a - b);
  console.log(`${name.padEnd(36)} p50 ${percentile(sorted, 50).toFixed(2).padStart(7)} ms  p90 ${percentile(sorted, 90).toFixed(2).padStart(7)} ms  p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms`);
}

async function main(): Promise<void> {
  const fn = await bundleNodeOtelFunction();
  const sink = await collector(0);
  const remote = await collector(50);
  try {
    console.log(`forceFlush of 100 spans (OpenTelemetry JS SDK, http/protobuf) in the Lambda emulator, ${ITERATIONS} invocations after ${WARMUP} warm-up, Node.js ${process.version}`);
    const receiverPort = await freePort();
    const base = {
      TELEMETRY_EXTENSION_CONFIGURED: '1',
      TELEMETRY_EXTENSION_SINK: 'otlp',
      TELEMETRY_EXTENSION_SINK_ENDPOINT: sink.url,
      TELEMETRY_EXTENSION_TYPES: 'platform,function',
      TELEMETRY_EXTENSION_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    };
    await measure('extension receiver (layer process)', fn.dir, {
      ...base,
      TELEMETRY_EXTENSION_OTLP_RECEIVER_PORT: String(receiverPort),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://localhost:${receiverPort}`,
    });
    await measure('collector 50 ms away (no receiver)', fn.dir, { ...base, TELEMETRY_EXTENSION_PORT: String(await freePort()), OTEL_EXPORTER_OTLP_ENDPOINT: remote.url });
  } finally {
    await sink.close();
    await remote.close();
    fn.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
