/**
 * The one HTTP server of the emulated environment (`AWS_LAMBDA_RUNTIME_API`), on 127.0.0.1 and a
 * random free port, routing to the Runtime, Extensions and Telemetry APIs.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXTENSIONS_API_PREFIX, handleExtensionsApi, type ExtensionsApiHost } from './extensions-api';
import { sendError } from './http-util';
import { RUNTIME_API_PREFIX, handleRuntimeApi, type RuntimeApiHost } from './runtime-api';
import { TELEMETRY_API_PATH, handleTelemetryApi, type TelemetryApiHost } from './telemetry-api';

export interface ApiHost extends RuntimeApiHost, ExtensionsApiHost, TelemetryApiHost {}

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

async function route(req: http.IncomingMessage, res: http.ServerResponse, host: ApiHost): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path.startsWith(RUNTIME_API_PREFIX)) return handleRuntimeApi(req, res, path.slice(RUNTIME_API_PREFIX.length), host);
  if (path.startsWith(EXTENSIONS_API_PREFIX)) return handleExtensionsApi(req, res, path.slice(EXTENSIONS_API_PREFIX.length), host);
  if (path === TELEMETRY_API_PATH) return handleTelemetryApi(req, res, host);
  req.resume();
  sendError(res, 404, 'NotFound', '404 page not found');
}

export function startApiServer(host: ApiHost): Promise<ApiServer> {
  const server = http.createServer((req, res) => {
    route(req, res, host).catch((error: unknown) => {
      sendError(res, 500, 'InternalServerError', `Internal Server Error: ${(error as Error).message}`);
    });
  });
  // Clients are frozen for arbitrary times while holding connections: never time them out.
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
