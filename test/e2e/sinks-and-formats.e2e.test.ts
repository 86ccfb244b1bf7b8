/**
 * The HTTP and stdout sinks, and function logs in the Text and JSON log formats, end to end.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { attr, ExampleRun, runExample } from './harness';
import { TelemetrySink, TelemetryType } from '../../lib';
import type { InvokeResult } from '../emulator/emulator';

const STDOUT_PREFIX = '{"source":"telemetry-extension"';

describe('HTTP sink', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('POSTs the validated events as JSON with the resource attributes', async () => {
    run = await runExample({ stack: (url) => ({ sink: TelemetrySink.http({ url: `${url}/ingest` }) }) });
    const results: InvokeResult[] = [];
    for (const action of ['ok', 'fail']) results.push(await run.emulator.invoke({ action }));
    await run.emulator.shutdown();
    const bodies = run.receiver.jsonBodies() as Array<{ resource: Record<string, unknown>; events: Array<{ type: string; record: any }> }>;
    expect(bodies.length).toBeGreaterThan(0);
    expect(run.receiver.requests.every((r) => r.path === '/ingest' && r.contentEncoding === 'gzip')).toBe(true);
    expect(bodies[0].resource).toMatchObject({ 'cloud.platform': 'aws_lambda', 'faas.name': 'telemetry-example' });
    const events = bodies.flatMap((b) => b.events);
    for (const r of results) {
      expect(events.filter((e) => e.type === 'platform.start' && e.record.requestId === r.requestId)).toHaveLength(1);
      expect(events.filter((e) => e.type === 'platform.report' && e.record.requestId === r.requestId)).toHaveLength(1);
    }
    expect(events.some((e) => e.type === 'function' && JSON.stringify(e.record).includes('about to fail'))).toBe(true);
  }, 60_000);
});

describe('stdout sink subscribed to its own extension logs', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('writes one JSON line per event and never reads its own output back', async () => {
    run = await runExample({
      stack: () => ({
        sink: TelemetrySink.stdout(),
        types: [TelemetryType.PLATFORM, TelemetryType.FUNCTION, TelemetryType.EXTENSION],
      }),
    });
    const results: InvokeResult[] = [];
    for (let i = 0; i < 3; i++) results.push(await run.emulator.invoke({ action: 'ok' }));
    await run.emulator.shutdown();
    const lines = run.emulator.linesOf('telemetry-extension').filter((l) => l.startsWith(STDOUT_PREFIX));
    const events = lines.map((l) => JSON.parse(l) as { source: string; type: string; record: unknown });
    for (const r of results) {
      expect(events.filter((e) => e.type === 'platform.start' && (e.record as any).requestId === r.requestId)).toHaveLength(1);
    }
    // The extension's own lines come back to it as `extension` events: none may be re-emitted.
    const echoed = events.filter((e) => e.type === 'extension' && JSON.stringify(e.record).includes('telemetry-extension'));
    expect(echoed).toEqual([]);
    const delivered = run.emulator.delivered('telemetry-extension').filter((e) => e.type === 'extension');
    expect(delivered.length).toBeGreaterThan(0); // it was offered its own output, and dropped it
  }, 60_000);
});

describe.each([
  ['Text', lambda.LoggingFormat.TEXT],
  ['JSON', lambda.LoggingFormat.JSON],
])('function logs in the %s format', (name, logFormat) => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('become OTLP log records with the severity of their level and their invocation', async () => {
    run = await runExample({ stack: () => ({ logFormat }) });
    expect(run.fn.logFormat).toBe(name); // read from cdk.out, handed to the emulator
    const ok = await run.emulator.invoke({ action: 'ok' });
    const fail = await run.emulator.invoke({ action: 'fail' });
    await run.emulator.shutdown();
    const logs = run.receiver.logs();
    const info = logs.find((l) => String(l.body).includes('handling ok'))!;
    const warn = logs.find((l) => String(l.body).includes('about to fail'))!;
    expect(info).toMatchObject({ severityText: 'INFO', severityNumber: 9 });
    expect(warn).toMatchObject({ severityText: 'WARN', severityNumber: 13 });
    expect(attr(info, 'faas.invocation_id')).toBe(ok.requestId);
    expect(attr(warn, 'faas.invocation_id')).toBe(fail.requestId);
    // The body is the message alone, not the runtime's timestamp / request id / level prefix.
    expect(String(info.body)).toBe('handling ok');
  }, 60_000);
});
