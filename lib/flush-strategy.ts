import { Duration } from 'aws-cdk-lib';
import { FlushStrategyName } from './config/contract';

/**
 * When the extension exports what it has received.
 *
 * Exporting at the end of an invocation delays the extension's `next` call, which Lambda bills
 * (`PostRuntimeExtensionsDuration`); exporting in the background does not, but data waits while
 * the environment is frozen between invocations. Every strategy drains everything at SHUTDOWN.
 */
export abstract class FlushStrategy {
  /**
   * End-of-invocation while invocations are infrequent (so nothing waits in a frozen
   * environment), continuous once they are frequent (so invocations are not delayed).
   * This is the default.
   */
  public static adaptive(): FlushStrategy {
    return new NamedFlushStrategy('adaptive');
  }

  /**
   * After each invocation, wait for the runtime to finish, export everything received, then
   * let Lambda freeze the environment. Telemetry is never held across a freeze, at the price
   * of billed post-runtime time.
   */
  public static endOfInvocation(): FlushStrategy {
    return new NamedFlushStrategy('end-of-invocation');
  }

  /**
   * At invocation boundaries, start a background export when `interval` has passed since the
   * last one. Never delays an invocation.
   *
   * @param interval time between exports; at least 1 ms, at most 15 minutes.
   */
  public static periodically(interval: Duration): FlushStrategy {
    return new NamedFlushStrategy('periodically', interval);
  }

  /**
   * Export in the background every `interval` while the environment runs, and re-check at
   * every invocation boundary (timers do not fire while frozen). Never delays an invocation.
   *
   * @param interval time between exports; at least 1 ms, at most 15 minutes.
   */
  public static continuously(interval: Duration): FlushStrategy {
    return new NamedFlushStrategy('continuously', interval);
  }

  /** The strategy's name in the extension's configuration. */
  public abstract readonly name: string;

  /** The interval of `periodically` and `continuously`; undefined for the others. */
  public abstract readonly interval?: Duration;
}

class NamedFlushStrategy extends FlushStrategy {
  constructor(public readonly name: FlushStrategyName, public readonly interval?: Duration) {
    super();
  }
}
