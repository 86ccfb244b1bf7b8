/**
 * Binds a Koa app to one address and port: the shared part of the Telemetry API listener and the
 * OTLP receiver (listen, turn a socket error into the caller's own error, close).
 */
import * as http from 'node:http';
import type Koa from 'koa';

export interface BoundServer {
  readonly server: http.Server;
  /** The port actually bound (the free port chosen when asked for 0). */
  readonly port: number;
  /** Stop accepting and drop open (kept-alive) connections. */
  close(): Promise<void>;
}

/**
 * Listen on `address`:`port` (0: a random free port).
 * @param startError builds the error thrown when listening fails (e.g. `EADDRINUSE`).
 */
export async function listenOn(
  app: Koa,
  port: number,
  address: string,
  startError: (code: string, cause: NodeJS.ErrnoException) => Error,
): Promise<BoundServer> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(startError(error.code ?? 'UNKNOWN', error));
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  return {
    server,
    port: boundPort,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
