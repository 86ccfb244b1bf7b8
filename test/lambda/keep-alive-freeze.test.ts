/**
 * Keep-alive to the Extensions / Telemetry API across Lambda freezes, with the real layer in the
 * local emulator (SIGSTOP after each invocation, SIGCONT at the next). Between the extension and
 * the emulator sits a small HTTP proxy that counts the extension's connections and, when told,
 * drops a request that arrives on a reused connection (what a peer that closed a pooled
 * connection during the freeze looks like to the client).
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { EXTENSION_NAME } from '../../lib/config/contract';
import { closeAll, extensionLines, layerWithRuntimeApi, otlpEnv, realRuntimePort, startWithLayer } from '../reliability/support/bundle-emulator';
import { freePort } from '../support/free-port';
import { closeServer, listenOnFreePort } from '../support/http-server';
import { OtlpReceiver } from '../support/otlp-receiver';

interface Seen {
  readonly path: string;
  /** Requests its connection carried before it (0: a fresh connection). */
  readonly onConnection: number;
  readonly dropped: boolean;
}

/** Forwards to the emulator; `dropNextReused` drops the next `event/next` that comes on a reused connection. */
class CountingProxy {
  static async start(target: () => number): Promise<CountingProxy> {
    const proxy = new CountingProxy(target);
    await listenOnFreePort(proxy.server);
    return proxy;
  }

  readonly seen: Seen[] = [];
  connections = 0;
  dropNextReused = false;
  private readonly server: http.Server;
  private readonly carried = new WeakMap<Socket, number>();

  private constructor(target: () => number) {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const onConnection = this.carried.get(req.socket) ?? 0;
      this.carried.set(req.socket, onConnection + 1);
      const drop = this.dropNextReused && onConnection > 0 && path.endsWith('/event/next');
      this.seen.push({ path, onConnection, dropped: drop });
      if (drop) {
        this.dropNextReused = false;
        req.socket.destroy();
        return;
      }
      const upstream = http.request({ host: '127.0.0.1', port: target(), method: req.method, path: req.url, headers: req.headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    this.server.on('connection', () => this.connections++);
    // the extension is frozen for arbitrary times while it holds connections
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
  }

  get hostPort(): string {
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

let receiver: OtlpReceiver;
let proxy: CountingProxy | undefined;

beforeEach(async () => {
  receiver = await OtlpReceiver.start();
});

afterEach(async () => {
  await closeAll();
  await proxy?.close();
  proxy = undefined;
  await receiver.close();
});

async function start() {
  let layerDir = '';
  proxy = await CountingProxy.start(() => realRuntimePort(layerDir));
  layerDir = layerWithRuntimeApi(proxy.hostPort);
  return startWithLayer({ layerDir, env: otlpEnv(receiver.url, await freePort()) });
}

describe('keep-alive to the Lambda API across freezes', () => {
  test('every `next` after a thaw arrives, on a connection kept across the freezes', async () => {
    const emu = await start();
    const invocations = 6;
    for (let i = 0; i < invocations; i++) {
      const r = await emu.invoke({ n: i });
      expect(r.status).toBe('success');
      expect(r.extensionsNextAt[EXTENSION_NAME]).toBeDefined();
      expect(emu.frozen).toBe(true);
    }
    const nexts = proxy!.seen.filter((s) => s.path.endsWith('/event/next'));
    // one `next` at init, one after each invocation; all but the first on a reused connection
    expect(nexts.length).toBeGreaterThan(invocations);
    expect(nexts.slice(1).every((s) => s.onConnection > 0)).toBe(true);
    // register, subscribe and every `next`: one or two connections, not one per call
    expect(proxy!.connections).toBeLessThanOrEqual(2);
    await emu.shutdown();
  });

  test('a `next` dropped on its reused connection after a thaw is sent again on a fresh one: no invocation lost', async () => {
    const emu = await start();
    await emu.invoke({ n: 0 });
    // frozen now; at the thaw the extension sends `next` on its kept connection, which is dropped
    proxy!.dropNextReused = true;
    for (let i = 1; i <= 3; i++) {
      const r = await emu.invoke({ n: i });
      expect(r.status).toBe('success');
      expect(r.extensionsNextAt[EXTENSION_NAME]).toBeDefined();
    }
    const dropped = proxy!.seen.findIndex((s) => s.dropped);
    expect(dropped).toBeGreaterThan(0);
    expect(proxy!.seen[dropped + 1]).toMatchObject({ onConnection: 0 });
    expect(proxy!.seen[dropped + 1].path).toMatch(/\/event\/next$/);
    const record = await emu.shutdown();
    expect(record.extensions.find((e) => e.name === EXTENSION_NAME)).toMatchObject({ exitCode: 0 });
    expect(extensionLines(emu).filter((l) => l.includes('event/next failed'))).toEqual([]);
  });
});
