/**
 * The demo (`npx projen demo`, the README's main command). No AWS account, no Docker:
 *
 * 1. synthesizes the example CDK app (test/example) with an OTLP sink pointing at a local
 *    receiver;
 * 2. runs its function with the telemetry layer, both taken from cdk.out, in the local Lambda
 *    emulator: a cold start, warm invocations, an error, a timeout (and the reset after it);
 * 3. shuts the environment down and shows what the extension exported: one row per invocation
 *    (from the spans and the REPORT log records the receiver decoded with the OTLP schema), each
 *    invocation's trace as a waterfall (./waterfall.ts: the function's own spans, from the
 *    OpenTelemetry SDK in the example function, joined with the platform's), and counts of spans,
 *    metrics and log records.
 *
 * The function exports its spans to the extension's OTLP receiver. When they do not arrive (a
 * layer whose extension does not run the receiver) the waterfalls show the platform's spans
 * alone, and the demo says so.
 */
import { invocationTrace, isPlatformSpan, renderWaterfall } from './waterfall';
import { OtlpReceiver } from '../../lib';
import { runExample, type ExampleRun } from '../e2e/harness';
import { freePort } from '../support/free-port';
import type { DecodedLog, DecodedSpan } from '../support/otlp-receiver';

const PLAN: ReadonlyArray<{ readonly label: string; readonly action: string }> = [
  { label: 'cold start', action: 'ok' },
  { label: 'warm', action: 'ok' },
  { label: 'warm', action: 'slow' },
  { label: 'error', action: 'fail' },
  { label: 'timeout (3 s)', action: 'hang' },
  { label: 'after the reset', action: 'ok' },
];

const started = Date.now();
function progress(message: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[${t}s] ${message}\n`);
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function num(value: unknown, unit: string): string {
  return typeof value === 'number' ? `${value} ${unit}` : '-';
}

function invocationRows(run: ExampleRun, requestIds: string[]): string[][] {
  // The platform's invocation span: SERVER, or INTERNAL under the function's SERVER span when joined.
  const servers = new Map<string, DecodedSpan>();
  for (const span of run.receiver.spans()) {
    if (isPlatformSpan(span) && span.attributes['faas.invocation_id'] !== undefined) servers.set(String(span.attributes['faas.invocation_id']), span);
  }
  const reports = new Map<string, DecodedLog>();
  for (const log of run.receiver.logs()) {
    if (log.attributes['aws.lambda.log.source'] === 'platform.report') reports.set(String(log.attributes['faas.invocation_id']), log);
  }
  return requestIds.map((id, i) => {
    const span = servers.get(id);
    const report = reports.get(id)?.attributes ?? {};
    const status = span ? (span.status.code === 'STATUS_CODE_ERROR' ? `ERROR ${span.status.message ?? ''}`.trim() : 'OK') : 'not exported';
    const memory =
      typeof report['aws.lambda.max_memory_used_mb'] === 'number'
        ? `${report['aws.lambda.max_memory_used_mb']}/${report['aws.lambda.memory_size_mb']} MB`
        : '-';
    return [
      String(i + 1),
      PLAN[i].label,
      id,
      status,
      num(report['aws.lambda.duration_ms'], 'ms'),
      num(report['aws.lambda.billed_duration_ms'], 'ms'),
      memory,
      span ? String(span.attributes['faas.coldstart'] === true) : '-',
    ];
  });
}

/** Each invocation's trace, as a waterfall under a title line. */
function waterfalls(run: ExampleRun, requestIds: string[]): string[] {
  const spans = run.receiver.spans();
  const out: string[] = [];
  if (!spans.some((s) => !isPlatformSpan(s))) {
    out.push("No span of the function's own reached the extension (its OTLP receiver is not running in this layer):");
    out.push("platform-only waterfalls. With the receiver, the function's spans and the platform's share one trace.", '');
  }
  for (const [i, id] of requestIds.entries()) {
    const trace = invocationTrace(spans, id);
    const fn = trace.filter((s) => !isPlatformSpan(s)).length;
    const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
    const kind = fn > 0 ? `joined: ${fn} function + ${plural(trace.length - fn, 'platform span')}` : `platform only: ${plural(trace.length, 'span')}`;
    out.push(`#${i + 1} ${PLAN[i].label} (${kind}, trace ${trace[0]?.traceId ?? '-'})`);
    out.push(...renderWaterfall(trace, { width: 48 }).map((line) => `  ${line}`), '');
  }
  return out;
}

async function main(): Promise<void> {
  progress('synthesizing the example CDK app and starting a local OTLP receiver');
  // The function's SDK exports to the extension's receiver, as attachTo configures it; every
  // sandbox shares the host here, so the receiver gets a free port (in Lambda, 4318 is the default).
  const receiverPort = await freePort();
  const run = await runExample({ stack: () => ({ otlpReceiver: OtlpReceiver.http({ port: receiverPort }) }) });
  progress(`receiver on ${run.receiver.url}; layer from ${run.fn.layers[0].assetDir}`);
  progress(`emulator started: ${run.fn.runtime}, ${run.fn.memorySizeMB} MB, ${run.fn.timeoutSeconds} s timeout; init ${run.emulator.inits[0].status}`);
  const requestIds: string[] = [];
  try {
    for (const [i, step] of PLAN.entries()) {
      const result = await run.emulator.invoke({ action: step.action });
      requestIds.push(result.requestId);
      progress(`invoke ${i + 1}/${PLAN.length} (${step.label}): ${result.status}, request ${result.requestId}`);
    }
    const shutdown = await run.emulator.shutdown();
    const ext = shutdown.extensions.find((e) => e.name === 'telemetry-extension');
    progress(`SHUTDOWN: extension exited with code ${ext?.exitCode} after ${ext?.exitAfterMs} ms (deadline 2000 ms)`);
    await run.receiver.waitUntil(
      () => run.receiver.logs().filter((l) => l.attributes['aws.lambda.log.source'] === 'platform.report').length >= PLAN.length,
      'a REPORT record per invocation',
    );

    console.log('\nInvocations, as exported by the extension (OTLP spans and REPORT log records):\n');
    console.log(
      table(['#', 'step', 'request id', 'status', 'duration', 'billed', 'memory', 'cold start'], invocationRows(run, requestIds)),
    );

    console.log("\nEach invocation's trace ([fn] the function's own spans, [pl] the platform's, ! error):\n");
    console.log(waterfalls(run, requestIds).join('\n'));

    const spans = run.receiver.spans();
    const metrics = run.receiver.metrics();
    const logs = run.receiver.logs();
    const points = metrics.reduce((n, m) => n + m.dataPoints.length, 0);
    const names = [...new Set(metrics.map((m) => m.name))].sort();
    const namespaces = new Map<string, number>();
    for (const name of names) {
      const ns = name.slice(0, name.lastIndexOf('.') + 1) + '*';
      namespaces.set(ns, (namespaces.get(ns) ?? 0) + 1);
    }
    const byNamespace = [...namespaces].map(([ns, n]) => `${n} ${ns}`).join(', ');
    console.log('\nReceived by the local OTLP receiver:\n');
    console.log(
      table(
        ['signal', 'count', 'detail'],
        [
          ['spans', String(spans.length), `${spans.filter((s) => s.kind === 'SPAN_KIND_SERVER').length} invocation (SERVER) spans, ${spans.filter((s) => !isPlatformSpan(s)).length} of the function's own`],
          ['metrics', String(metrics.length), `${points} data points of ${names.length} metrics: ${byNamespace}`],
          ['log records', String(logs.length), `${logs.filter((l) => l.attributes['aws.lambda.log.source'] === 'function').length} function log lines, ${logs.filter((l) => l.attributes['aws.lambda.log.source'] === 'platform.report').length} REPORT records`],
          ['requests', String(run.receiver.requests.length), 'OTLP/HTTP protobuf, gzip'],
        ],
      ),
    );
    const summary = run.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown')).at(-1);
    if (summary) console.log(`\nThe extension's own summary at SHUTDOWN:\n  ${summary}`);
  } finally {
    await run.close();
  }
}

main().then(
  () => progress('done'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
