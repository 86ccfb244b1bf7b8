import { Duration } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { BindWarning, FlushBindContext, FlushBinding } from './bindings';
import { ENV, FlushStrategyName, LIMITS } from './config/contract';
import { durationMillis, numberString } from './config/validate';

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
    return new BlockingFlushStrategy('adaptive');
  }

  /**
   * After each invocation, wait for the runtime to finish, export everything received, then
   * let Lambda freeze the environment. Telemetry is never held across a freeze, at the price
   * of billed post-runtime time.
   */
  public static endOfInvocation(): FlushStrategy {
    return new BlockingFlushStrategy('end-of-invocation');
  }

  /**
   * At invocation boundaries, start a background export when `interval` has passed since the
   * last one. Never delays an invocation.
   *
   * @param interval time between exports; at least 1 ms, at most 15 minutes.
   */
  public static periodically(interval: Duration): FlushStrategy {
    return new BackgroundFlushStrategy('periodically', interval);
  }

  /**
   * Export in the background every `interval` while the environment runs, and re-check at
   * every invocation boundary (timers do not fire while frozen). Never delays an invocation.
   *
   * @param interval time between exports; at least 1 ms, at most 15 minutes.
   */
  public static continuously(interval: Duration): FlushStrategy {
    return new BackgroundFlushStrategy('continuously', interval);
  }

  /** @internal */
  public abstract _bind(scope: IConstruct, context: FlushBindContext): FlushBinding;
}

/** Longer than this, a buffering timeout delays every invocation's end under a blocking strategy. */
const SLOW_BUFFERING_TIMEOUT_MS = 1000;

/** Exports before the invocation ends (while invocations are infrequent, for `adaptive`). */
class BlockingFlushStrategy extends FlushStrategy {
  constructor(private readonly name: FlushStrategyName) {
    super();
  }

  /** @internal */
  public _bind(_scope: IConstruct, context: FlushBindContext): FlushBinding {
    const timeout = context.bufferingTimeout;
    const warnings: BindWarning[] = [];
    if (timeout !== undefined && !timeout.isUnresolved() && timeout.toMilliseconds() > SLOW_BUFFERING_TIMEOUT_MS) {
      warnings.push({
        id: 'cdk-telemetry-extension:slowEndOfInvocation',
        message: `buffering.timeout is ${timeout.toHumanString()}: Lambda may hold an invocation's platform.runtimeDone that long, and the ${this.name} flush strategy waits for it before each invocation ends (billed time). Keep the timeout at or below 1 second, or use FlushStrategy.continuously().`,
      });
    }
    return { environment: { [ENV.FLUSH_STRATEGY]: this.name }, blocksInvocations: true, warnings };
  }
}

/** Exports in the background, every `interval`. */
class BackgroundFlushStrategy extends FlushStrategy {
  constructor(private readonly name: FlushStrategyName, private readonly interval: Duration) {
    super();
  }

  /** @internal */
  public _bind(_scope: IConstruct, _context: FlushBindContext): FlushBinding {
    const ms = durationMillis(`flushStrategy ${this.name} interval`, this.interval, LIMITS.flushIntervalMs) ?? this.interval.toMilliseconds();
    return {
      environment: { [ENV.FLUSH_STRATEGY]: this.name, [ENV.FLUSH_INTERVAL_MS]: numberString(ms) },
      blocksInvocations: false,
      warnings: [],
    };
  }
}
