/**
 * Plays the Telemetry API's delivery side: POSTs JSON arrays to a listener on 127.0.0.1, one
 * request at a time per pusher (as Lambda does per subscriber), on one kept-alive connection.
 */
import * as http from 'node:http';

export interface PushReply {
  readonly status: number;
  /** hrtime when the answer was complete. */
  readonly at: bigint;
}

export class TelemetryPusher {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly port: number) {}

  /** One POST; resolves with the status (rejects only on transport errors or after `timeoutMs`). */
  post(body: Buffer, timeoutMs = 30_000): Promise<PushReply> {
    return new Promise<PushReply>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: this.port,
        method: 'POST',
        path: '/',
        agent: this.agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      }, (res) => {
        res.resume();
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, at: process.hrtime.bigint() });
        });
        res.on('error', reject);
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer from the listener within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }

  /**
   * POST until the listener takes the batch (2xx), as Lambda resends: after a 503 (queue full),
   * wait `retryDelayMs` and try again, at most `maxAttempts` times.
   * @returns the number of 503 answers before it was taken.
   */
  async postUntilTaken(body: Buffer, retryDelayMs = 5, maxAttempts = 2_000): Promise<number> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const reply = await this.post(body);
      if (reply.status >= 200 && reply.status < 300) return attempt;
      if (reply.status !== 503) throw new Error(`listener answered ${reply.status}`);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
    throw new Error(`listener still answered 503 after ${maxAttempts} attempts`);
  }

  close(): void {
    this.agent.destroy();
  }
}
