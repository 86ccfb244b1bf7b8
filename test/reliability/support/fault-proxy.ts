/**
 * An HTTP proxy on 127.0.0.1 with scripted faults, put between the extension and the emulator's
 * Runtime API (or between a sink and the receiver). Each request is offered to `rule`; it may
 * answer with a fault instead of forwarding. Forwarded requests are streamed both ways and never
 * timed out (`event/next` is a long poll that lives across freezes).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listenOnFreePort } from '../../support/http-server';

export type Fault =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly destroy: true };

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** The fault answered, or undefined when forwarded. */
  readonly fault?: Fault;
  /** Epoch ms of arrival. */
  readonly at: number;
}

export type FaultRule = (request: { readonly method: string; readonly path: string }) => Fault | undefined;

export class FaultProxy {
  /** `target`: the port forwarded to, or a function giving it at each request (known later). */
  static async start(target: number | (() => number), rule: FaultRule = () => undefined): Promise<FaultProxy> {
    const proxy = new FaultProxy(typeof target === 'number' ? () => target : target, rule);
    await listenOnFreePort(proxy.server);
    return proxy;
  }

  readonly requests: ProxiedRequest[] = [];
  private readonly server: http.Server;

  private constructor(private readonly targetPort: () => number, public rule: FaultRule) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
  }

  /** `127.0.0.1:<port>`, the form of `AWS_LAMBDA_RUNTIME_API`. */
  get hostPort(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get url(): string {
    return `http://${this.hostPort}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    const fault = this.rule({ method, path });
    this.requests.push({ method, path, fault, at: Date.now() });
    if (fault) {
      req.resume();
      if ('destroy' in fault) {
        req.socket.destroy();
        return;
      }
      const body = fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(body);
      return;
    }
    const upstream = http.request({
      host: '127.0.0.1', port: this.targetPort(), method, path: req.url, headers: req.headers, agent: false,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}
