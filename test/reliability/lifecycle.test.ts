/**
 * Lifecycle faults with real processes: the bundled extension in the local Lambda emulator
 * (SIGSTOP freeze, SHUTDOWN deadline + SIGKILL, resets), with the Runtime API behind a fault proxy
 * where a fault must come from Lambda itself.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  closeAll, extensionLines, layerWithRuntimeApi, logFields, otlpEnv, realRuntimePort, shutdownCounters, startWithLayer,
} from './support/bundle-emulator';
import { FaultProxy, type FaultRule } from './support/fault-proxy';
import { freePort } from '../support/free-port';
import { closeServer, listenOnFreePort } from '../support/http-server';
import { Release } from './support/release';
import { EXTENSION_NAME } from '../../lib/config/contract';
import type { LambdaEmulator } from '../emulator/emulator';
import { OtlpReceiver, type DecodedSpan } from '../support/otlp-receiver';

let receiver: OtlpReceiver;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
});

afterEach(async () => {
  await closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await receiver.close();
});

function serverSpans(): DecodedSpan[] {
  return receiver.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER');
}

function spanOf(requestId: string): DecodedSpan[] {
  return serverSpans().filter((s) => s.attributes['faas.invocation_id'] === requestId);
}

/** Every event the extension received is accounted for: exported, dropped, invalid or still in flight. */
function expectAccounted(emu: LambdaEmulator): Record<string, number> {
  const c = shutdownCounters(emu);
  expect(c.received - c.invalid).toBe(c.exported + c.dropped + c.inFlight);
  return c;
}

/** The `shutdown` summaries of every extension process (one per environment). */
function summaries(emu: LambdaEmulator): Array<Record<string, string>> {
  return extensionLines(emu).filter((l) => l.includes('] INFO shutdown ')).map((l) => Object.fromEntries([...l.matchAll(/ (\w+)=(\S+)/g)].map((m) => [m[1], m[2]])));
}

/** The extension's process while the environment lives. */
function extensionPid(emu: LambdaEmulator): number {
  const proc = emu.processes().find((p) => p.name === EXTENSION_NAME);
  if (!proc) throw new Error('no extension process');
  return proc.pid;
}

/** An emulator whose extension reaches the Runtime API through a proxy answering `rule`'s faults. */
async function startBehindProxy(rule: FaultRule, env: Record<string, string>): Promise<{ emu: LambdaEmulator; proxy: FaultProxy }> {
  let layerDir = '';
  const proxy = await FaultProxy.start(() => realRuntimePort(layerDir), rule);
  cleanups.push(() => proxy.close());
  layerDir = layerWithRuntimeApi(proxy.hostPort);
  const emu = await startWithLayer({ layerDir, env });
  return { emu, proxy };
}

describe('freeze (SIGSTOP) in the middle of an export', () => {
  test('the export frozen mid-request completes or is retried after SIGCONT; nothing lost', async () => {
    // Continuous flushing never holds the invocation: the export runs while the environment freezes.
    const hold = await Release.start();
    cleanups.push(() => hold.close());
    const emu = await startWithLayer({
      handler: 'handlers.hold',
      env: otlpEnv(receiver.url, await freePort(), {
        TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '20', TELEMETRY_EXTENSION_SINK_TIMEOUT_MS: '300',
      }),
    });
    receiver.enqueue({ delayMs: 150 }, { delayMs: 150 }, { delayMs: 150 });

    const invocation = emu.invoke({ releasePort: hold.port });
    await hold.held();
    await receiver.waitForRequests(1);
    hold.release();
    const first = await invocation;
    // Frozen while the export waits for its (delayed) answer.
    expect(emu.frozen).toBe(true);
    expect(emu.processes().every((p) => p.state === 'T')).toBe(true);
    // Stay frozen past the answer and past the request timeout: the injected fault is the freeze's length.
    await delay(600);

    const second = await emu.invoke({});
    await emu.shutdown();

    expect(spanOf(first.requestId)).toHaveLength(1);
    expect(spanOf(second.requestId)).toHaveLength(1);
    expect(expectAccounted(emu)).toMatchObject({ dropped: 0, unsent: 0 });
  });

  test('SIGSTOP of the extension alone during a blocking flush, SIGCONT later: the invocation completes, the export too', async () => {
    const port = await freePort();
    const emu = await startWithLayer({ timeoutMs: 5_000, env: otlpEnv(receiver.url, port) });
    await emu.invoke({ count: 1 });
    receiver.enqueue({ delayMs: 100, match: 'traces' });

    const invocation = emu.invoke({ tag: 'stopped', count: 1 });
    // The end-of-invocation flush has sent its traces request: stop the extension there.
    await receiver.waitForRequests(1, (r) => r.signal === 'traces' && r.response.delayMs === 100);
    const pid = extensionPid(emu);
    process.kill(pid, 'SIGSTOP');
    await delay(300);
    process.kill(pid, 'SIGCONT');
    const result = await invocation;
    await emu.shutdown();

    expect(result.status).toBe('success');
    expect(spanOf(result.requestId)).toHaveLength(1);
    expect(expectAccounted(emu)).toMatchObject({ dropped: 0 });
  });
});

describe('SHUTDOWN', () => {
  test('while exporting: the export finishes, the extension exits by itself before deadlineMs', async () => {
    const hold = await Release.start();
    cleanups.push(() => hold.close());
    const emu = await startWithLayer({
      handler: 'handlers.hold',
      env: otlpEnv(receiver.url, await freePort(), { TELEMETRY_EXTENSION_FLUSH_STRATEGY: 'continuously', TELEMETRY_EXTENSION_FLUSH_INTERVAL_MS: '20' }),
    });
    receiver.enqueue({ delayMs: 400 }, { delayMs: 400 }, { delayMs: 400 });
    const invocation = emu.invoke({ releasePort: hold.port });
    await hold.held();
    await receiver.waitForRequests(1);
    hold.release();
    const result = await invocation;

    const shutdown = await emu.shutdown();

    expect(shutdown.extensions[0]).toMatchObject({ exitCode: 0, signal: null });
    expect(shutdown.extensions[0].killed).toBeUndefined();
    expect(shutdown.extensions[0].exitedAt).toBeLessThan(shutdown.deadlineMs);
    expect(spanOf(result.requestId)).toHaveLength(1);
    expect(expectAccounted(emu)).toMatchObject({ dropped: 0, unsent: 0 });
  });

  test('with a sink that hangs: exits before deadlineMs (never SIGKILLed) and reports exactly what was lost', async () => {
    const port = await freePort();
    const emu = await startWithLayer({ timeoutMs: 1_000, env: otlpEnv(receiver.url, port, { TELEMETRY_EXTENSION_SINK_TIMEOUT_MS: '60000' }) });
    for (let i = 0; i < 200; i++) receiver.enqueue({ hang: true });
    await emu.invoke({ count: 2 });
    await emu.invoke({ count: 2 });

    const shutdown = await emu.shutdown();

    expect(shutdown.extensions[0]).toMatchObject({ exitCode: 0, signal: null });
    expect(shutdown.extensions[0].killed).toBeUndefined();
    expect(shutdown.extensions[0].exitedAt).toBeLessThan(shutdown.deadlineMs);
    // Nothing reached the collector; every event is exported (no records to send), dropped or in flight.
    expect(receiver.spans()).toEqual([]);
    expect(receiver.logs()).toEqual([]);
    const counters = expectAccounted(emu);
    expect(counters.unsent).toBeGreaterThan(0);
    expect(counters.unsent).toBe(counters.dropped + counters.inFlight);
    expect(logFields(emu, 'shutdown')).toMatchObject({ sinkShutdown: 'done' });
    expect(extensionLines(emu).join('\n')).toMatch(/gave up on requests kept for retry/);
  });
});

describe('init faults', () => {
  const REGISTER = '/2020-01-01/extension/register';
  const SUBSCRIBE = '/2022-07-01/telemetry';

  test('Extensions API unreachable: a clear message and a non-zero exit (no identifier, so no init/error is possible)', async () => {
    const closed = await freePort();
    const emu = await startWithLayer({ layerDir: layerWithRuntimeApi(`127.0.0.1:${closed}`), env: otlpEnv(receiver.url, await freePort()) });

    expect(emu.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.Crash', errorMessage: `Extension ${EXTENSION_NAME} exited with error: exit status 1` });
    expect(extensionLines(emu).join('\n')).toMatch(new RegExp(`ERROR cannot register with the Extensions API error="register failed: cannot reach the Lambda API at 127.0.0.1:${closed}: connect ECONNREFUSED`));
    expect(emu.extensionErrors).toEqual([]);
  });

  test('register answered 500: a clear message and a non-zero exit', async () => {
    const { emu } = await startBehindProxy(
      (request) => (request.path === REGISTER ? { status: 500, body: { errorType: 'ServiceException', errorMessage: 'internal failure' } } : undefined),
      otlpEnv(receiver.url, await freePort()),
    );

    expect(emu.inits[0]).toMatchObject({ status: 'failure', errorType: 'Extension.Crash' });
    expect(extensionLines(emu).join('\n')).toMatch(/ERROR cannot register with the Extensions API error="register failed: HTTP 500 ServiceException: internal failure"/);
  });

  test.each([
    [403, { errorType: 'Telemetry.SubscribeForbidden', errorMessage: 'subscriptions are closed' }, 'HTTP 403 Telemetry.SubscribeForbidden: subscriptions are closed'],
    [400, { errorType: 'ValidationError', errorMessage: 'URI port is not provided' }, 'HTTP 400 ValidationError: URI port is not provided'],
    [500, { errorType: 'ServiceException', errorMessage: 'internal failure' }, 'HTTP 500 ServiceException: internal failure'],
  ])('subscribe answered %i: init/error Extension.SubscribeFailed with the API\'s reason, non-zero exit', async (status, body, reason) => {
    const env = otlpEnv(receiver.url, await freePort());
    const { emu } = await startBehindProxy((request) => (request.path === SUBSCRIBE ? { status, body } : undefined), env);

    const report = emu.extensionErrors.find((e) => e.kind === 'init');
    expect(report).toMatchObject({
      accepted: true,
      functionErrorType: 'Extension.SubscribeFailed',
      body: { errorType: 'Extension.SubscribeFailed', errorMessage: `telemetry subscribe failed: ${reason}` },
    });
    expect(emu.inits[0]).toMatchObject({ status: 'error', errorType: 'Extension.SubscribeFailed' });
    expect(emu.shutdowns[0].extensions[0]).toMatchObject({ exitCode: 1 });
  });

  test('listener port already in use: init/error Extension.ListenerFailed naming the port and the setting to change, non-zero exit', async () => {
    const busy = net.createServer();
    const port = await listenOnFreePort(busy);
    cleanups.push(() => closeServer(busy));

    const emu = await startWithLayer({ env: otlpEnv(receiver.url, port) });

    expect(emu.extensionErrors.find((e) => e.kind === 'init')).toMatchObject({
      functionErrorType: 'Extension.ListenerFailed',
      body: { errorMessage: `port ${port} on 127.0.0.1 is already in use (another extension?); choose another port with TELEMETRY_EXTENSION_PORT` },
    });
    expect(emu.inits[0]).toMatchObject({ status: 'error', errorType: 'Extension.ListenerFailed' });
    expect(emu.shutdowns[0].extensions[0]).toMatchObject({ exitCode: 1 });
  });

  test('suppressed init: the first Init fails, the retry at the first invoke subscribes again ("Already subscribed") and works', async () => {
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-marker-')), 'failed-once');
    cleanups.push(() => fs.rmSync(path.dirname(marker), { recursive: true, force: true }));
    const emu = await startWithLayer({ env: { ...otlpEnv(receiver.url, await freePort()), FAIL_FIRST_INIT_MARKER: marker } });
    expect(emu.inits[0].status).not.toBe('success');

    const result = await emu.invoke({ tag: 'retried', count: 1 });
    await emu.shutdown();

    expect(result).toMatchObject({ status: 'success', init: { phase: 'invoke', status: 'success' } });
    expect(emu.telemetry.filter((e) => e.type === 'platform.telemetrySubscription').map((e) => (e.record as { state: string }).state))
      .toEqual(['Subscribed', 'Already subscribed']);
    expect(extensionLines(emu).filter((l) => l.includes('INFO started ')).length).toBe(2);
    expect(spanOf(result.requestId)).toHaveLength(1);
    expect(receiver.logs().map((l) => String(l.body))).toContain('retried 0');
    expect(emu.extensionErrors).toEqual([]);
    // The failed Init's own telemetry (it arrives during that environment's SHUTDOWN) is exported too.
    expect(receiver.spans().filter((s) => s.name === 'init').map((s) => s.status.code ?? 'UNSET').sort()).toEqual(['STATUS_CODE_ERROR', 'UNSET']);
    expect(summaries(emu).map((s) => [s.reason, s.dropped, s.abandoned])).toEqual([['failure', '0', '0'], ['spindown', '0', '0']]);
  });
});

describe('resets', () => {
  test.each([
    ['the runtime crashes', { crash: true }, 'failure', 'failure', 'Runtime.ExitError'],
    ['the invocation times out', { sleepMs: 5_000 }, 'timeout', 'timeout', 'Sandbox.Timeout'],
  ])('%s: SHUTDOWN, the extension reports that invocation and exits 0 in time; the next invoke starts afresh', async (_name, payload, status, reason, errorType) => {
    const emu = await startWithLayer({ handler: 'handlers.any', timeoutMs: 1_000, env: otlpEnv(receiver.url, await freePort()) });

    const before = await emu.invoke({ tag: 'before', count: 1 });
    const failed = await emu.invoke(payload);
    const after = await emu.invoke({ tag: 'after', count: 1 });
    await emu.shutdown();

    expect([before.status, failed.status, after.status]).toEqual(['success', status, 'success']);
    expect(after.init).toMatchObject({ phase: 'invoke', status: 'success' });
    expect(emu.shutdowns.map((s) => s.reason)).toEqual([reason, 'spindown']);
    for (const shutdown of emu.shutdowns) {
      expect(shutdown.extensions[0]).toMatchObject({ exitCode: 0, signal: null });
      expect(shutdown.extensions[0].exitedAt).toBeLessThan(shutdown.deadlineMs);
    }
    expect(spanOf(before.requestId)).toHaveLength(1);
    expect(spanOf(failed.requestId)).toEqual([expect.objectContaining({ status: { code: 'STATUS_CODE_ERROR', message: errorType } })]);
    expect(spanOf(after.requestId)).toHaveLength(1);
    expect(summaries(emu).map((s) => [s.reason, s.dropped, s.unsent])).toEqual([[reason, '0', '0'], ['spindown', '0', '0']]);
  });
});
