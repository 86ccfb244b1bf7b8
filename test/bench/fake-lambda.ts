/**
 * A lean Lambda Extensions + Telemetry API host for benchmarks: one extension, register /
 * subscribe / event/next / init/error / exit/error on 127.0.0.1, with every arrival stamped with
 * `process.hrtime.bigint()` in the handler's first statement.
 *
 * Why not the emulator (test/emulator): it is the faithful one (freeze, runtime process,
 * buffered delivery), but it stamps in epoch milliseconds and adds its own work (freezing,
 * /proc reads) between the events measured here. Benchmarks need sub-millisecond stamps and a
 * host that does nothing else; it plays the runtime itself (instant handler) and pushes the
 * telemetry with {@link TelemetryPusher}.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLambdaOptions {
  readonly functionName?: string;
}

interface NextWaiter {
  readonly count: number;
  readonly resolve: (at: bigint) => void;
}

export interface ErrorReport {
  readonly kind: 'init/error' | 'exit/error';
  readonly errorType: string;
  readonly at: bigint;
}

export class FakeLambda {
  static async start(options: FakeLambdaOptions = {}): Promise<FakeLambda> {
    const lambda = new FakeLambda(options);
    await new Promise<void>((resolve, reject) => {
      lambda.server.once('error', reject);
      lambda.server.listen(0, '127.0.0.1', () => resolve());
    });
    return lambda;
  }

  /** hrtime of every `event/next` arrival, in order (index 0: the one that ends init). */
  readonly nextAt: bigint[] = [];
  readonly errors: ErrorReport[] = [];
  registeredAt: bigint | undefined;
  subscribedAt: bigint | undefined;
  /** Port of the subscription's destination URI. */
  listenerPort: number | undefined;
  /** The subscription request body as sent. */
  subscription: unknown;

  private readonly server: http.Server;
  private pending: http.ServerResponse | undefined;
  private waiters: NextWaiter[] = [];
  private readonly id = randomUUID();
  private readonly functionName: string;

  private constructor(options: FakeLambdaOptions) {
    this.functionName = options.functionName ?? 'bench-function';
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  /** `AWS_LAMBDA_RUNTIME_API`. */
  get runtimeApi(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Is an `event/next` waiting for an answer? */
  get waiting(): boolean {
    return this.pending !== undefined && !this.pending.destroyed;
  }

  /** Resolves with the arrival time of the `count`-th `event/next` (1-based); rejects after `timeoutMs`. */
  waitForNext(count: number, timeoutMs = 10_000): Promise<bigint> {
    if (this.nextAt.length >= count) return Promise.resolve(this.nextAt[count - 1]);
    return new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no event/next #${count} within ${timeoutMs} ms (got ${this.nextAt.length}; errors: ${JSON.stringify(this.errors.map((e) => e.errorType))})`));
      }, timeoutMs);
      const waiter: NextWaiter = {
        count,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Answers the pending `event/next` with INVOKE; returns the hrtime just before writing it. */
  invoke(requestId: string, deadlineMs = Date.now() + 3_000): bigint {
    return this.deliver({
      eventType: 'INVOKE',
      deadlineMs,
      requestId,
      invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${this.functionName}`,
      tracing: { type: 'X-Amzn-Trace-Id', value: `Root=1-${requestId.slice(0, 8)}-${requestId.replace(/-/g, '').slice(0, 24)};Parent=35465b3a9e2f7c6a;Sampled=1` },
    });
  }

  /** Answers the pending `event/next` with SHUTDOWN; returns the hrtime just before writing it. */
  shutdown(deadlineMs: number, reason = 'spindown'): bigint {
    return this.deliver({ eventType: 'SHUTDOWN', deadlineMs, shutdownReason: reason });
  }

  async close(): Promise<void> {
    this.pending?.destroy();
    this.pending = undefined;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private deliver(event: Record<string, unknown>): bigint {
    const res = this.pending;
    if (!res || res.destroyed) throw new Error(`no pending event/next to deliver ${String(event.eventType)} to`);
    this.pending = undefined;
    const body = JSON.stringify(event);
    const at = process.hrtime.bigint();
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Lambda-Extension-Event-Identifier': randomUUID(),
    });
    res.end(body);
    return at;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = process.hrtime.bigint();
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/2020-01-01/extension/event/next') {
      req.resume();
      this.pending = res;
      this.nextAt.push(at);
      const count = this.nextAt.length;
      const ready = this.waiters.filter((w) => w.count <= count);
      this.waiters = this.waiters.filter((w) => w.count > count);
      for (const w of ready) w.resolve(this.nextAt[w.count - 1]);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && url === '/2020-01-01/extension/register') {
        this.registeredAt = at;
        this.json(res, 200, { functionName: this.functionName, functionVersion: '$LATEST', handler: 'index.handler' }, { 'Lambda-Extension-Identifier': this.id });
      } else if (req.method === 'PUT' && url === '/2022-07-01/telemetry') {
        this.subscribedAt = at;
        this.subscription = JSON.parse(text);
        const uri = (this.subscription as { destination?: { URI?: string } }).destination?.URI ?? '';
        this.listenerPort = Number(/:(\d+)\/?$/.exec(uri)?.[1]);
        this.json(res, 200, 'OK');
      } else if (req.method === 'POST' && (url.endsWith('/extension/init/error') || url.endsWith('/extension/exit/error'))) {
        this.errors.push({
          kind: url.endsWith('init/error') ? 'init/error' : 'exit/error',
          errorType: String(req.headers['lambda-extension-function-error-type'] ?? ''),
          at,
        });
        this.json(res, 202, { status: 'OK' });
      } else {
        this.json(res, 404, { errorType: 'NotFound', errorMessage: `${req.method} ${url}` });
      }
    });
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
}
