/**
 * A minimal scripted stand-in for the Extensions + Telemetry APIs, enough to drive main.run()
 * through its lifecycle. The faithful emulator (freeze, SIGKILL, push delivery) lives in
 * test/emulator; this one lets the test decide every answer.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExportOutcome, Sink } from '../../extension-src/sinks/sink';
import type { Counters } from '../../extension-src/stats/counters';
import type { ParsedEvent } from '../../extension-src/telemetry/schemas';

import type { Answer, Recorded } from '../lambda/fake-api';

export type { Answer, Recorded } from '../lambda/fake-api';

export const EXTENSION_ID = 'fake-extension-id';

type Respond = (answer: Answer) => void;

export class FakeLambda {
  static async start(): Promise<FakeLambda> {
    const fake = new FakeLambda();
    fake.server = http.createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  readonly requests: Recorded[] = [];
  registerAnswer: Answer = { status: 200, headers: { 'Lambda-Extension-Identifier': EXTENSION_ID }, body: { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler' } };
  subscribeAnswer: Answer = { status: 200, body: 'OK' };
  private server!: http.Server;
  private pendingNext: Respond[] = [];
  private nextWaiters: Array<(respond: Respond) => void> = [];
  private subscribed: Array<() => void> = [];

  get runtimeApi(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  find(path: string): Recorded[] {
    return this.requests.filter((r) => r.url === path);
  }

  /** The subscription request body, once made. */
  get subscription(): { destination: { URI: string }; schemaVersion: string; types: string[] } | undefined {
    const [req] = this.find('/2022-07-01/telemetry');
    return req ? JSON.parse(req.body) : undefined;
  }

  /** Resolves once the extension has subscribed (or failed to). */
  whenSubscribed(): Promise<void> {
    if (this.subscription) return Promise.resolve();
    return new Promise((resolve) => this.subscribed.push(resolve));
  }

  /** Resolves with a responder once the extension calls event/next (the call is held until answered). */
  nextCall(): Promise<Respond> {
    const pending = this.pendingNext.shift();
    if (pending) return Promise.resolve(pending);
    return new Promise((resolve) => this.nextWaiters.push(resolve));
  }

  /** POST a Telemetry API batch to the extension's listener (port from the subscription). */
  async push(events: unknown[]): Promise<number> {
    const uri = this.subscription?.destination.URI;
    if (!uri) throw new Error('not subscribed');
    const port = Number(new URL(uri).port);
    const body = Buffer.from(JSON.stringify(events));
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.requests.push(recorded);
      const respond: Respond = (a) => {
        const body = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(body);
      };
      switch (recorded.url) {
        case '/2020-01-01/extension/register':
          return respond(this.registerAnswer);
        case '/2022-07-01/telemetry':
          respond(this.subscribeAnswer);
          for (const wake of this.subscribed.splice(0)) wake();
          return;
        case '/2020-01-01/extension/init/error':
        case '/2020-01-01/extension/exit/error':
          return respond({ status: 202, body: { status: 'OK' } });
        case '/2020-01-01/extension/event/next': {
          const waiter = this.nextWaiters.shift();
          if (waiter) waiter(respond);
          else this.pendingNext.push(respond);
          return;
        }
        default:
          return respond({ status: 404, body: { errorType: 'NotFound', errorMessage: recorded.url } });
      }
    });
  }
}

/** A sink that records what it gets; it can be told to hang. */
export class RecordingSink implements Sink {
  readonly name = 'recording';
  readonly exports: Array<{ events: readonly ParsedEvent[]; deadline: number }> = [];
  shutdownCalls: number[] = [];
  hangExports = false;
  hangShutdown = false;
  /** While set, each export waits for it before answering. */
  gate: Promise<void> | undefined;
  private exported: Array<() => void> = [];

  constructor(readonly counters?: Counters) {}

  get events(): ParsedEvent[] {
    return this.exports.flatMap((e) => e.events);
  }

  async export(events: readonly ParsedEvent[], deadline: number): Promise<ExportOutcome> {
    this.exports.push({ events, deadline });
    for (const wake of this.exported.splice(0)) wake();
    if (this.hangExports) return new Promise(() => undefined);
    if (this.gate) await this.gate;
    return { exported: events.length, dropped: 0 };
  }

  async shutdown(deadline: number): Promise<ExportOutcome> {
    this.shutdownCalls.push(deadline);
    if (this.hangShutdown) return new Promise(() => undefined);
    return { exported: 0, dropped: 0 };
  }

  /** Resolves once an exported event satisfies `predicate`. */
  async waitForEvent(predicate: (e: ParsedEvent) => boolean): Promise<void> {
    while (!this.events.some(predicate)) await new Promise<void>((resolve) => this.exported.push(resolve));
  }
}

/**
 * Per test: a fresh FakeLambda, and the process's stdout and stderr captured into an array (the
 * extension logs there). `use` receives both before each test; everything is restored after it.
 */
export function useFakeLambda(use: (fake: FakeLambda, output: string[]) => void): void {
  let fake: FakeLambda | undefined;
  beforeEach(async () => {
    fake = await FakeLambda.start();
    const output: string[] = [];
    const capture = (chunk: unknown) => {
      output.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    use(fake, output);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fake?.close();
  });
}
