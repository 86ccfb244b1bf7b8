/**
 * Local servers for tests: always 127.0.0.1, always port 0 (the system picks a free one), and a
 * close that does not wait for kept-alive or hanging connections.
 *
 * @example
 *   const server = await startHttpServer((req, res) => res.end('{}'));
 *   // ... send to `${server.url}/path` ...
 *   await server.close();
 */
import * as http from 'node:http';
import type * as net from 'node:net';

/** A running local HTTP server. */
export interface LocalServer {
  readonly server: http.Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** Stops listening and ends every connection, hanging requests included. Idempotent. */
  close(): Promise<void>;
}

/** Starts `server` (any `net.Server`: http, net) on 127.0.0.1, port 0; resolves with its port. */
export function listenOnFreePort(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Closes `server` and ends its connections (`closeAllConnections` for HTTP servers). Idempotent. */
export function closeServer(server: net.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if (server instanceof http.Server) server.closeAllConnections();
  return closed;
}

/** Serves `handler` on 127.0.0.1 with a free port. */
export async function startHttpServer(handler: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(handler);
  const port = await listenOnFreePort(server);
  return { server, port, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}
