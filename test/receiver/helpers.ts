/** A receiver on a free port whose `accept` records what it is given (or says the queue is full). */
import * as http from 'node:http';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  createReceiverApp,
  startReceiver,
  type AcceptResult,
  type FunctionTelemetry,
  type ReceiverDeps,
  type RunningReceiver,
} from '../../extension-src/receiver';

export interface Accepted {
  readonly item: FunctionTelemetry;
  readonly bytes: number;
}

export interface TestReceiver {
  readonly running: RunningReceiver;
  readonly url: string;
  readonly accepted: Accepted[];
  readonly warnings: { message: string; fields?: unknown }[];
  /** Path and headers of every request, in arrival order. */
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[];
  /** Answers of `accept`, consumed in order; when empty, 'accepted'. */
  readonly script: AcceptResult[];
  close(): Promise<void>;
}

export async function startTestReceiver(options: Omit<ReceiverDeps, 'accept' | 'warnings'> = {}): Promise<TestReceiver> {
  const accepted: Accepted[] = [];
  const warnings: TestReceiver['warnings'] = [];
  const script: AcceptResult[] = [];
  const app = createReceiverApp({
    ...options,
    accept: (item, bytes) => {
      const answer = script.shift() ?? 'accepted';
      if (answer === 'accepted') accepted.push({ item, bytes });
      return answer;
    },
    warnings: { warn: (message, fields) => warnings.push({ message, fields }) },
  });
  const running = await startReceiver(app, 0);
  const requests: TestReceiver['requests'] = [];
  running.server.prependListener('request', (req: http.IncomingMessage) => requests.push({ path: req.url ?? '', headers: req.headers }));
  return { running, url: running.url, accepted, warnings, requests, script, close: () => running.close() };
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export function post(port: number, urlPath: string, body: Buffer | string, headers: http.OutgoingHttpHeaders, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let statusType: protobuf.Type | undefined;

/** google.rpc.Status decoded from the .proto file itself (not the receiver's generated descriptor). */
export function decodeStatus(body: Buffer, contentType: string | undefined): { code: number; message: string } {
  if (contentType?.startsWith('application/json')) return JSON.parse(body.toString('utf8'));
  if (!statusType) {
    const root = new protobuf.Root();
    root.loadSync(path.join(__dirname, '../../extension-src/receiver/schema/status.proto'));
    statusType = root.lookupType('google.rpc.Status');
  }
  return statusType.toObject(statusType.decode(body), { defaults: true }) as { code: number; message: string };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A string attribute of a decoded key-value list. */
export function attr(attributes: readonly { key: string; value?: { stringValue?: string; intValue?: unknown } | null }[], key: string): unknown {
  const found = attributes.find((a) => a.key === key)?.value;
  if (!found) return undefined;
  return found.stringValue ?? (found.intValue === undefined ? undefined : String(found.intValue));
}
