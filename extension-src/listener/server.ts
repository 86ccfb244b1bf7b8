/**
 * Starts the listener where the Telemetry API can reach it: the address `sandbox.localdomain`
 * resolves to (the host name of the subscription's destination URI), else 127.0.0.1. Never a
 * wildcard address: the listener must not be reachable from outside the sandbox.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type Koa from 'koa';
import { listenOn } from '../http-server/listen';

export const SANDBOX_HOSTNAME = 'sandbox.localdomain';
export const FALLBACK_ADDRESS = '127.0.0.1';
/** Lambda answers from /etc/hosts at once; elsewhere a slow resolver must not delay init. */
const LOOKUP_TIMEOUT_MS = 500;

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0']);

export type Lookup = (hostname: string) => Promise<{ address: string }>;

/** The listener could not start (`code` is the socket error code, e.g. `EADDRINUSE`). */
export class ListenerStartError extends Error {
  constructor(
    readonly code: string,
    readonly address: string,
    readonly port: number,
    cause: Error,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `port ${port} on ${address} is already in use (another extension?); choose another port with TELEMETRY_EXTENSION_PORT`
        : `cannot listen on ${address}:${port}: ${cause.message}`,
      { cause },
    );
    this.name = 'ListenerStartError';
  }
}

/** The address to bind: what `sandbox.localdomain` resolves to, unless unusable; else 127.0.0.1. */
export async function resolveListenAddress(lookup: Lookup = (h) => dnsLookup(h)): Promise<string> {
  const timeout = sleep(LOOKUP_TIMEOUT_MS, undefined, { ref: false });
  const result = await Promise.race([lookup(SANDBOX_HOSTNAME).catch(() => undefined), timeout]);
  const address = result?.address;
  return address && !WILDCARD_ADDRESSES.has(address) ? address : FALLBACK_ADDRESS;
}

export interface RunningListener {
  readonly server: http.Server;
  readonly address: string;
  readonly port: number;
  /** Stop accepting and drop open connections. */
  close(): Promise<void>;
}

export interface StartListenerOptions {
  /** Bind here instead of resolving `sandbox.localdomain` (tests: 127.0.0.1). */
  readonly address?: string;
  readonly lookup?: Lookup;
}

/**
 * Listen on `port` (0: a random free port).
 * @throws ListenerStartError when the port is taken or the address unusable.
 */
export async function startListener(app: Koa, port: number, options: StartListenerOptions = {}): Promise<RunningListener> {
  const address = options.address ?? (await resolveListenAddress(options.lookup));
  if (WILDCARD_ADDRESSES.has(address)) {
    throw new ListenerStartError('EINVAL', address, port, new Error('refusing to listen on a wildcard address'));
  }
  const bound = await listenOn(app, port, address, (code, cause) => new ListenerStartError(code, address, port, cause));
  return { ...bound, address };
}
