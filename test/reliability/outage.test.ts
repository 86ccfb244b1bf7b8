/**
 * A collector outage end to end: the real bundle in the emulator, its OTLP sink behind a fault
 * proxy that answers 503 for several invocations, then recovers. With the default (adaptive)
 * strategy the extension flushes at the end of each rare invocation, against a deadline: what
 * that deadline cuts short must be kept, not dropped.
 */
import { closeAll, otlpEnv, shutdownCounters, startWithLayer } from './support/bundle-emulator';
import { FaultProxy } from './support/fault-proxy';
import { freePort } from '../support/free-port';
import { OtlpReceiver } from '../support/otlp-receiver';

let receiver: OtlpReceiver;
let proxy: FaultProxy;

afterEach(async () => {
  await closeAll();
  await proxy?.close();
  await receiver?.close();
});

test('an outage over several invocations: nothing lost, no retry storm, no invocation held past its deadline', async () => {
  receiver = await OtlpReceiver.start();
  const state = { down: true };
  proxy = await FaultProxy.start(receiver.port, () => (state.down ? { status: 503, body: 'collector down' } : undefined));
  const emu = await startWithLayer({ timeoutMs: 1_000, env: otlpEnv(proxy.url, await freePort()) });

  const during = [];
  for (let i = 0; i < 5; i++) during.push(await emu.invoke({ tag: `during${i}`, count: 3 }));
  const refused = proxy.requests.filter((r) => r.fault).length;
  state.down = false;
  const after = [];
  for (let i = 0; i < 2; i++) after.push(await emu.invoke({ tag: `after${i}`, count: 3 }));
  const shutdown = await emu.shutdown();

  const invocations = [...during, ...after];
  expect(invocations.map((r) => r.status)).toEqual(Array(7).fill('success'));
  // Every invocation's span and every log line arrived, nothing was counted as lost.
  const spanIds = new Set(receiver.spans().filter((s) => s.kind === 'SPAN_KIND_SERVER').map((s) => s.attributes['faas.invocation_id']));
  expect(invocations.filter((r) => !spanIds.has(r.requestId))).toEqual([]);
  const logged = new Set(receiver.logs().map((l) => String(l.body)));
  const expected = ['during0', 'during1', 'during2', 'during3', 'during4', 'after0', 'after1'].flatMap((tag) => [0, 1, 2].map((i) => `${tag} ${i}`));
  expect(expected.filter((line) => !logged.has(line))).toEqual([]);
  expect(shutdownCounters(emu)).toMatchObject({ dropped: 0, unsent: 0 });
  expect(shutdown.extensions[0]).toMatchObject({ exitCode: 0, signal: null });
  // No storm: per invocation, one request chain with backoff (a few attempts), not one per queued request.
  expect(refused).toBeGreaterThanOrEqual(5);
  expect(refused / during.length).toBeLessThanOrEqual(12);
});
