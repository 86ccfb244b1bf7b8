/**
 * The test side of `handlers.hold`: the handler connects here and its invocation lasts until
 * `release()` ends the connection. No sleeps: the invocation ends exactly when the test says.
 */
import * as net from 'node:net';
import { closeServer, listenOnFreePort } from '../../support/http-server';

export class Release {
  static async start(): Promise<Release> {
    const release = new Release();
    await listenOnFreePort(release.server);
    return release;
  }

  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private waiters: Array<() => void> = [];

  private constructor() {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Resolves once a handler is holding (connected). */
  held(): Promise<void> {
    if (this.sockets.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends every held invocation. */
  release(): void {
    for (const socket of this.sockets) socket.end();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await closeServer(this.server);
  }
}
