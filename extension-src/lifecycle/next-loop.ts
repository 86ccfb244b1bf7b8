/**
 * The `next` loop, after a successful init: INVOKE goes to the flush policy (../flush/flush-driver.ts),
 * SHUTDOWN runs ./shutdown.ts, an error of the Extensions API is fatal (reported with
 * `exit/error`, exit 1).
 */
import { within } from './deadlines';
import { ERROR_TYPES, errorMessage } from './errors';
import type { RunningExtension } from './init';
import { shutdown } from './shutdown';
import { FlushDriver } from '../flush/flush-driver';
import { log } from '../log';

export class NextLoop {
  private readonly flushes: FlushDriver;
  private lastRequestId: string | undefined;

  constructor(private readonly p: RunningExtension) {
    this.flushes = new FlushDriver(p);
  }

  /** Resolves with the process exit status. */
  async run(): Promise<number> {
    try {
      for (;;) {
        const event = await this.p.api.next();
        if (event.eventType === 'SHUTDOWN') {
          this.flushes.stop();
          return await shutdown(this.p, event, this.lastRequestId);
        }
        this.lastRequestId = event.requestId;
        await this.flushes.onInvoke(event);
      }
    } catch (error) {
      return this.fatal(error);
    }
  }

  private async fatal(error: unknown): Promise<number> {
    this.flushes.stop();
    const message = errorMessage(error);
    log.error('fatal error, exiting', { error: message, ...this.p.counters.snapshot() });
    await this.p.api.exitError(ERROR_TYPES.fatal, message).catch((reportError: unknown) => {
      log.error('cannot report the fatal error', { error: errorMessage(reportError) });
    });
    this.p.tracker.dispose();
    await within(this.p.listener.close(), 50);
    return 1;
  }
}
