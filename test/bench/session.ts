/**
 * One measured process and its surroundings: a {@link FakeLambda}, the process (the layer's
 * launcher or the floor script) and a {@link TelemetryPusher} to its listener. `start` resolves
 * once init has ended (the first `event/next`); everything is torn down by `close`.
 */
import { randomUUID } from 'node:crypto';
import { invocationDelivery } from './batches';
import type { CpuCap } from './cpu-cap';
import { FakeLambda } from './fake-lambda';
import { BenchProcess, FLOOR_EXTENSION, freePort, lambdaEnv, launcherOf } from './processes';
import { nsToMs } from './stats';
import { TelemetryPusher } from './telemetry-pusher';
import { ENV } from '../../lib/config/contract';

export type SubjectKind = 'extension' | 'floor';

export interface ExtensionSettings {
  readonly sink: 'otlp' | 'http' | 'stdout';
  /** Base URL of the sink's far end (otlp, http). */
  readonly endpoint?: string;
  readonly strategy?: 'adaptive' | 'end-of-invocation' | 'periodically' | 'continuously';
  readonly intervalMs?: number;
  readonly compression?: 'gzip' | 'none';
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface SessionOptions {
  readonly kind: SubjectKind;
  /** The layer folder (extension only). */
  readonly layerDir?: string;
  readonly settings?: ExtensionSettings;
  /** Node.js for the floor script. Default: the harness's. */
  readonly nodeBin?: string;
  readonly cap?: CpuCap;
  readonly initTimeoutMs?: number;
}

/** Times of one init, ms from spawn. */
export interface InitTimes {
  readonly registerMs: number;
  readonly subscribeMs: number;
  readonly nextMs: number;
}

/** The configuration environment of the extension (lib/config/contract.ts). */
export function extensionEnv(settings: ExtensionSettings, port: number): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.CONFIGURED]: '1',
    [ENV.PORT]: String(port),
    [ENV.TYPES]: 'platform,function,extension',
    [ENV.SINK]: settings.sink,
    [ENV.FLUSH_STRATEGY]: settings.strategy ?? 'adaptive',
  };
  if (settings.endpoint !== undefined) {
    env[ENV.SINK_ENDPOINT] = settings.sink === 'http' ? `${settings.endpoint}/events` : settings.endpoint;
  }
  if (settings.intervalMs !== undefined) env[ENV.FLUSH_INTERVAL_MS] = String(settings.intervalMs);
  if (settings.compression !== undefined) env[ENV.SINK_COMPRESSION] = settings.compression;
  return { ...env, ...settings.extraEnv };
}

export class Session {
  static async start(options: SessionOptions): Promise<Session> {
    const lambda = await FakeLambda.start();
    const port = await freePort();
    let proc: BenchProcess;
    if (options.kind === 'floor') {
      proc = BenchProcess.spawn({
        command: options.nodeBin ?? process.execPath,
        args: [FLOOR_EXTENSION],
        env: lambdaEnv(lambda.runtimeApi, { FLOOR_PORT: String(port) }),
        cap: options.cap,
      });
    } else {
      if (!options.layerDir || !options.settings) throw new Error('an extension session needs layerDir and settings');
      proc = BenchProcess.spawn({
        command: launcherOf(options.layerDir),
        env: lambdaEnv(lambda.runtimeApi, extensionEnv(options.settings, port)),
        cap: options.cap,
      });
    }
    const session = new Session(lambda, proc);
    try {
      await Promise.race([
        lambda.waitForNext(1, options.initTimeoutMs ?? 20_000),
        proc.exited.then((exit) => {
          throw new Error(`exited during init (code ${exit.code}, signal ${exit.signal}): ${proc.lines.slice(-5).join(' | ')}`);
        }),
      ]);
      if (lambda.listenerPort === undefined || Number.isNaN(lambda.listenerPort)) throw new Error('no telemetry subscription during init');
    } catch (error) {
      await session.close();
      throw error;
    }
    session.pusher = new TelemetryPusher(lambda.listenerPort);
    return session;
  }

  pusher!: TelemetryPusher;

  private constructor(readonly lambda: FakeLambda, readonly proc: BenchProcess) {}

  /** Spawn -> register, subscribe and first `next` arrivals. */
  get init(): InitTimes {
    const from = this.proc.startedAt;
    const at = (t: bigint | undefined) => (t === undefined ? Number.NaN : nsToMs(t - from));
    return { registerMs: at(this.lambda.registeredAt), subscribeMs: at(this.lambda.subscribedAt), nextMs: at(this.lambda.nextAt[0]) };
  }

  /** How many `event/next` calls arrived so far. */
  get nextCount(): number {
    return this.lambda.nextAt.length;
  }

  /**
   * One invocation with an instant handler: INVOKE, its telemetry (with runtimeDone, resent while
   * the queue is full), then wait for the extension's `next`. Returns the request id.
   */
  async invokeOnce(timeoutMs = 30_000): Promise<string> {
    const requestId = randomUUID();
    const next = this.nextCount + 1;
    this.lambda.invoke(requestId, Date.now() + timeoutMs);
    await this.pusher.postUntilTaken(invocationDelivery(requestId, Date.now()), 20);
    await this.lambda.waitForNext(next, timeoutMs);
    return requestId;
  }

  /** `key=value` fields of the extension's last log line containing `message` (e.g. its shutdown line). */
  logFields(message: string): Record<string, string> {
    const line = this.proc.lineWith(message) ?? '';
    const fields: Record<string, string> = {};
    for (const match of line.matchAll(/ (\w+)=("[^"]*"|\S+)/g)) fields[match[1]] = match[2];
    return fields;
  }

  /**
   * SHUTDOWN with `deadlineMs` = now + `budgetMs`; SIGKILL at the deadline, as Lambda does.
   * @returns ms from writing SHUTDOWN to the process's exit, and whether it had to be killed.
   */
  async shutdown(budgetMs = 2_000, beforeWait?: () => Promise<void>): Promise<{ exitMs: number; killed: boolean; code: number | null }> {
    const deliveredAt = this.lambda.shutdown(Date.now() + budgetMs);
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      void this.proc.kill();
    }, budgetMs);
    try {
      await beforeWait?.();
      const exit = await this.proc.exited;
      return { exitMs: nsToMs(exit.at - deliveredAt), killed, code: exit.code };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.pusher?.close();
    await this.proc.kill();
    await this.lambda.close();
  }
}
