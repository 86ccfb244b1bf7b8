/**
 * Faults end to end: a sink outage with recovery (nothing lost), the listener's 503 when its
 * queue is full (Lambda keeps and resends), and an init failure reported through init/error.
 */
import { Duration } from 'aws-cdk-lib';
import { attr, ExampleRun, runExample } from './harness';
import { FlushStrategy, TelemetrySink } from '../../lib';
import type { InvokeResult } from '../emulator/emulator';

function serverSpanIds(run: ExampleRun): string[] {
  return run.receiver
    .spans()
    .filter((s) => s.kind === 'SPAN_KIND_SERVER')
    .map((s) => String(attr(s, 'faas.invocation_id')));
}

describe('a sink outage that ends', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('loses nothing and sends nothing twice', async () => {
    run = await runExample();
    run.receiver.enqueue(
      { status: 503, match: 'traces' },
      { destroy: true, match: 'traces' },
      { status: 503, headers: { 'retry-after': '1' }, match: 'traces' },
      { status: 502, match: 'traces' },
    );
    const results: InvokeResult[] = [];
    for (let i = 0; i < 5; i++) results.push(await run.emulator.invoke({ action: 'ok' }));
    await run.emulator.shutdown();
    const failed = run.receiver.requestsFor('traces').filter((r) => r.response.status !== undefined && r.response.status !== 200);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    const ids = serverSpanIds(run);
    expect(ids.sort()).toEqual(results.map((r) => r.requestId).sort());
    const summary = run.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown')).at(-1)!;
    expect(summary).toMatch(/dropped=0/);
  }, 60_000);
});

describe('a full queue', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('answers 503, Lambda resends, and every event still arrives', async () => {
    // A one-event queue and a sink that hangs for a while: the listener must refuse.
    run = await runExample({
      stack: (url) => ({
        queue: { maxItems: 1 },
        flushStrategy: FlushStrategy.continuously(Duration.millis(50)),
        sink: TelemetrySink.otlp({ endpoint: url, timeout: Duration.millis(800) }),
      }),
    });
    run.receiver.enqueue({ hang: true, match: 'traces' }, { hang: true, match: 'logs' });
    const results: InvokeResult[] = [];
    // Slow invocations keep the environment thawed while the export hangs, so batches are refused.
    for (let i = 0; i < 6; i++) results.push(await run.emulator.invoke({ action: 'slow' }));
    // Lambda resends what was refused when it can: at the next thaw, at the latest at SHUTDOWN,
    // when the extension accepts everything (nothing refused then could ever be resent).
    await run.emulator.shutdown();
    const attempts = run.emulator.subscribers.flatMap((s) => s.deliveries.flatMap((d) => d.attempts));
    expect(attempts.some((a) => a.status === 503)).toBe(true);
    const lost = run.emulator.subscribers.flatMap((s) => s.deliveries).filter((d) => d.outcome !== 'delivered');
    expect(lost).toEqual([]);
    // Nothing lost. (Not "nothing twice": with an 800 ms client timeout on a loaded machine an
    // export can time out after the receiver took it, and the retry delivers it again.)
    expect([...new Set(serverSpanIds(run))].sort()).toEqual(results.map((r) => r.requestId).sort());
    const summary = run.emulator.linesOf('telemetry-extension').filter((l) => l.includes('INFO shutdown')).at(-1)!;
    expect(summary).toMatch(/rejected=[1-9]/);
  }, 60_000);
});

describe('an init failure', () => {
  let run: ExampleRun;
  afterAll(() => run?.close());

  test('is reported through init/error with a precise type and message, and the extension exits non-zero', async () => {
    run = await runExample({ env: { TELEMETRY_EXTENSION_PORT: '80' } });
    const initError = run.emulator.extensionErrors.find((e) => e.kind === 'init');
    expect(initError).toMatchObject({
      extensionName: 'telemetry-extension',
      functionErrorType: 'Extension.ConfigInvalid',
      body: {
        errorType: 'Extension.ConfigInvalid',
        errorMessage: 'TELEMETRY_EXTENSION_PORT must be an integer from 1024 to 65535 other than 9001, got "80"',
      },
    });
    expect(run.emulator.inits[0].status).not.toBe('success');
    const result = await run.emulator.invoke({ action: 'ok' });
    expect(result.status).not.toBe('success');
    expect(result.init?.phase).toBe('invoke'); // suppressed init, tried again at the invoke
  }, 60_000);
});
