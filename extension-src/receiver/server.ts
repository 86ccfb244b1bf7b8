/**
 * Starts the OTLP receiver on 127.0.0.1 only: the function reaches it as `http://localhost:<port>`
 * inside the sandbox, and nothing outside the sandbox may.
 */
import * as http from 'node:http';
import type Koa from 'koa';
import { listenOn } from '../http-server/listen';

export const RECEIVER_ADDRESS = '127.0.0.1';

/** The receiver could not start (`code` is the socket error code, e.g. `EADDRINUSE`). */
export class ReceiverStartError extends Error {
  constructor(
    readonly code: string,
    readonly port: number,
    cause: Error,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `OTLP receiver port ${port} on ${RECEIVER_ADDRESS} is already in use (another extension or collector?); choose another port for the OTLP receiver`
        : `cannot start the OTLP receiver on ${RECEIVER_ADDRESS}:${port}: ${cause.message}`,
      { cause },
    );
    this.name = 'ReceiverStartError';
  }
}

export interface RunningReceiver {
  readonly server: http.Server;
  readonly port: number;
  /** The base URL an SDK exports to (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly url: string;
  /** Stop accepting and drop open (kept-alive) connections. */
  close(): Promise<void>;
}

/**
 * Listen on `port` (0: a random free port).
 * @throws ReceiverStartError when the port is taken.
 */
export async function startReceiver(app: Koa, port: number): Promise<RunningReceiver> {
  const bound = await listenOn(app, port, RECEIVER_ADDRESS, (code, cause) => new ReceiverStartError(code, port, cause));
  return { ...bound, url: `http://localhost:${bound.port}` };
}
