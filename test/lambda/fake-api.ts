import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A {@link Recorded} request with the connection it came on. */
export interface RecordedOnConnection extends Recorded {
  /** The client's port: the same for two requests on one kept-alive connection. */
  readonly clientPort: number;
  /** Requests this connection carried before this one (0: a fresh connection). */
  readonly onConnection: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** Drop the connection without an answer (a peer that closed it while the client was frozen). */
export const RESET = 'reset';

/**
 * A scripted HTTP server on 127.0.0.1: `answer` decides each reply (or holds it, by never
 * resolving, or drops the connection with {@link RESET}). Keeps connections alive.
 */
export async function fakeApi(answer: (req: RecordedOnConnection) => Answer | typeof RESET | Promise<Answer | typeof RESET>) {
  const requests: RecordedOnConnection[] = [];
  const carried = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const onConnection = carried.get(req.socket) ?? 0;
      carried.set(req.socket, onConnection + 1);
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        clientPort: req.socket.remotePort ?? 0,
        onConnection,
      };
      requests.push(recorded);
      void Promise.resolve(answer(recorded)).then((a) => {
        if (a === RESET) {
          req.socket.destroy();
          return;
        }
        const body = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    runtimeApi: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A `host:port` where nothing listens (a port that was just freed). */
export async function deadRuntimeApi(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
