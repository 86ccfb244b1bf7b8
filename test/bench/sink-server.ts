/**
 * The sink's far end for benchmarks: an HTTP server on 127.0.0.1 that reads every request
 * (OTLP `/v1/*` or plain JSON), discards it and answers after a fixed latency; or fails (503),
 * or hangs, to play an outage. It can watch for a marker string in the (gunzipped) bodies:
 * OTLP protobuf keeps strings as plain bytes, so a marker log line is found without decoding.
 *
 * Deliberately cheaper than test/support/otlp-receiver.ts (which decodes and keeps everything):
 * the harness must stay idle enough to stamp arrivals on time.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';

export type SinkMode = 'ok' | 'fail' | 'hang';

export interface SinkServerOptions {
  /** Answer this long after the body was read. Default 0. */
  readonly latencyMs?: number;
  readonly mode?: SinkMode;
}

interface MarkerWaiter {
  readonly marker: string;
  readonly resolve: (at: bigint) => void;
}

export class SinkServer {
  static async start(options: SinkServerOptions = {}): Promise<SinkServer> {
    const sink = new SinkServer(options);
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => resolve());
    });
    return sink;
  }

  mode: SinkMode;
  latencyMs: number;
  requests = 0;
  wireBytes = 0;
  readonly byPath = new Map<string, number>();

  private readonly server: http.Server;
  private markers: MarkerWaiter[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(options: SinkServerOptions) {
    this.mode = options.mode ?? 'ok';
    this.latencyMs = options.latencyMs ?? 0;
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves with the hrtime of the first request (from now on) whose body contains `marker`. */
  waitForMarker(marker: string, timeoutMs = 60_000): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.markers = this.markers.filter((m) => m !== waiter);
        reject(new Error(`marker ${marker} not received within ${timeoutMs} ms (${this.requests} requests so far)`));
      }, timeoutMs);
      const waiter: MarkerWaiter = {
        marker,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.markers.push(waiter);
    });
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = process.hrtime.bigint();
      const wire = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0];
      this.requests++;
      this.wireBytes += wire.length;
      this.byPath.set(path, (this.byPath.get(path) ?? 0) + 1);
      if (this.markers.length > 0) this.checkMarkers(wire, req.headers['content-encoding'], at);
      this.answer(res, req.headers['content-type'] === 'application/x-protobuf');
    });
  }

  private checkMarkers(wire: Buffer, encoding: string | undefined, at: bigint): void {
    let body = wire;
    try {
      if (encoding === 'gzip') body = zlib.gunzipSync(wire);
    } catch {
      return;
    }
    const found = this.markers.filter((m) => body.includes(m.marker));
    if (found.length === 0) return;
    this.markers = this.markers.filter((m) => !found.includes(m));
    for (const m of found) m.resolve(at);
  }

  private answer(res: http.ServerResponse, protobuf: boolean): void {
    if (this.mode === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    const send = () => {
      if (res.destroyed) return;
      if (this.mode === 'fail') {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end('unavailable');
        return;
      }
      res.writeHead(200, { 'Content-Type': protobuf ? 'application/x-protobuf' : 'application/json' });
      res.end(protobuf ? '' : '{}');
    };
    if (this.latencyMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, this.latencyMs);
    this.timers.add(timer);
  }
}
