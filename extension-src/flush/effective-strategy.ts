/**
 * The flush strategy that can work in this environment, which may differ from the configured one.
 */
import type { FlushStrategyName } from '../../lib/config/contract';
import type { ExtensionConfig } from '../config/types';
import { isManagedInstances } from '../lambda/extensions-api';

/**
 * The strategy that can work here. Without INVOKE events (managed instances) or without
 * `platform` events (no `runtimeDone` to wait for), only a timer can drive flushes.
 */
export function effectiveStrategy(config: Pick<ExtensionConfig, 'flush' | 'types'>, env: NodeJS.ProcessEnv): { name: FlushStrategyName; why?: string } {
  const wanted = config.flush.strategy;
  if (isManagedInstances(env) && wanted !== 'continuously') {
    return { name: 'continuously', why: 'managed instances send no INVOKE events' };
  }
  if (!config.types.includes('platform') && (wanted === 'end-of-invocation' || wanted === 'adaptive')) {
    return { name: 'continuously', why: 'without platform events there is no platform.runtimeDone to wait for' };
  }
  return { name: wanted };
}
