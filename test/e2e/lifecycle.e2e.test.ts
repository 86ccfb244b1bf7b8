/**
 * The example app, from cdk.out, in the emulator: cold start, several invocations, a failing one,
 * a timeout, SHUTDOWN. What the local OTLP receiver decoded (with the official proto schema) must
 * account for every invocation.
 */
import { attr, ExampleRun, runExample } from './harness';
import type { InvokeResult } from '../emulator/emulator';

describe('the example function with the layer from cdk.out (OTLP, adaptive)', () => {
  let run: ExampleRun;
  const results: InvokeResult[] = [];

  beforeAll(async () => {
    run = await runExample();
    for (const action of ['ok', 'ok', 'ok', 'fail', 'ok', 'hang', 'ok']) {
      results.push(await run.emulator.invoke({ action }));
    }
    await run.emulator.shutdown();
  }, 120_000);

  afterAll(() => run?.close());

  test('the invocations end as the handler made them', () => {
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'success', 'error', 'success', 'timeout', 'success']);
    expect(run.emulator.inits[0]).toMatchObject({ phase: 'init', status: 'success' });
    expect(results[6].init).toMatchObject({ status: 'success' }); // the timeout reset: a new init first
  });

  test('one SERVER span per invocation, with request id, cold start and error status', async () => {
    const spans = (await run.receiver.waitForSpans(results.length)).filter((s) => s.kind === 'SPAN_KIND_SERVER');
    const byRequest = new Map(spans.map((s) => [attr(s, 'faas.invocation_id'), s]));
    expect([...byRequest.keys()].sort()).toEqual(results.map((r) => r.requestId).sort());
    expect(spans).toHaveLength(results.length); // none twice
    expect(attr(byRequest.get(results[0].requestId)!, 'faas.coldstart')).toBe(true);
    expect(attr(byRequest.get(results[1].requestId)!, 'faas.coldstart')).toBe(false);
    expect(byRequest.get(results[1].requestId)!.status.code).toBeUndefined();
    expect(byRequest.get(results[3].requestId)!.status.code).toBe('STATUS_CODE_ERROR');
    expect(byRequest.get(results[5].requestId)!.status.code).toBe('STATUS_CODE_ERROR');
    for (const span of spans) {
      expect(span.resource).toMatchObject({
        'service.name': 'telemetry-example',
        'cloud.provider': 'aws',
        'cloud.platform': 'aws_lambda',
        'faas.name': 'telemetry-example',
      });
    }
  });

  test('child spans come from the runtimeDone spans', () => {
    const server = run.receiver.spans().find((s) => attr(s, 'faas.invocation_id') === results[1].requestId)!;
    const children = run.receiver.spans().filter((s) => s.parentSpanId === server.spanId).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['responseLatency', 'responseDuration', 'runtimeOverhead']));
  });

  test('every platform.report, the last one included (delivered at SHUTDOWN), becomes invoke-duration metrics', () => {
    const points = run.receiver
      .metrics()
      .filter((m) => m.name === 'faas.invoke_duration')
      .flatMap((m) => m.dataPoints);
    expect(points.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(results.length);
    const billed = run.receiver.metrics().filter((m) => m.name === 'aws.lambda.billed_duration');
    expect(billed.length).toBeGreaterThan(0);
  });

  test('function log lines become log records tied to their invocation', () => {
    const logs = run.receiver.logs().filter((l) => String(l.body).includes('handling '));
    expect(logs.length).toBeGreaterThanOrEqual(results.length);
    const first = logs.find((l) => attr(l, 'faas.invocation_id') === results[0].requestId)!;
    expect(first.severityText).toBe('INFO');
    const server = run.receiver.spans().find((s) => attr(s, 'faas.invocation_id') === results[0].requestId)!;
    expect(first.traceId).toBe(server.traceId);
  });

  test('the extension exits by itself before the deadline, with one summary line', () => {
    const shutdown = run.emulator.shutdowns.at(-1)!;
    const ext = shutdown.extensions.find((e) => e.name === 'telemetry-extension')!;
    expect(ext.exitCode).toBe(0);
    expect(ext.killed).toBeUndefined();
    expect(ext.exitedAt).toBeLessThan(shutdown.deadlineMs);
    const summary = run.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown'));
    expect(summary).toHaveLength(2); // the timeout's reset and the final spindown
    expect(summary.at(-1)).toMatch(/received=\d+/);
    expect(summary.at(-1)).toMatch(/dropped=0/);
  });
});
