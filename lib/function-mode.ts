import { Annotations, Token } from 'aws-cdk-lib';
import type { BindWarning, Environment } from './bindings';
import { ENV, FlushStrategyName, LIMITS } from './config/contract';
import { ExecutionMode, executionModeOf, functionEnvironment } from './function-settings';
import { inPython } from './prop-names';
import type { AttachableFunction } from './runtime-compatibility';

/**
 * What the layer's configuration becomes on a function that Lambda runs in a particular mode
 * (Lambda Managed Instances, SnapStart), and the warnings for props that cannot work there, each
 * naming the prop and what happens instead.
 *
 * Decided when the app is validated, i.e. after all of the app's code and aspects have run: a
 * function may be placed on a capacity provider (`capacityProvider.addFunction(fn)`) or get
 * SnapStart (an override) after `attachTo`.
 */

/** The layer's side: its configuration (the extension's environment) and what the user chose. */
export interface LayerModeSettings {
  /** The layer's path, for messages. */
  readonly layerPath: string;
  /** The environment the layer sets (`TELEMETRY_EXTENSION_*`). */
  readonly environment: Environment;
  /** Was `flushStrategy` given (rather than left to the default)? */
  readonly flushStrategyChosen: boolean;
}

/** What changes for one function. */
export interface ModeAdjustment {
  /** Entries that replace the layer's on this function. */
  readonly environment: Environment;
  readonly warnings: readonly BindWarning[];
  /** Informational notes (a default that is replaced, which is not the user's doing). */
  readonly notes: readonly string[];
}

/**
 * Longest `buffering.timeout` that fits a SHUTDOWN on managed instances: the shutdown phase lasts 2 s, and
 * the extension waits for the reports of invocations still running for at most 60% of it
 * (extension-src/lifecycle/shutdown-plan.ts).
 */
const MANAGED_INSTANCES_MAX_BUFFERING_MS = 1000;

const STRATEGY_NAMES: { [name in FlushStrategyName]: string } = {
  'adaptive': 'FlushStrategy.adaptive()',
  'end-of-invocation': 'FlushStrategy.endOfInvocation()',
  'periodically': 'FlushStrategy.periodically()',
  'continuously': 'FlushStrategy.continuously()',
};

/**
 * What the configuration of a function becomes in `mode` (pure: no construct is changed).
 *
 * @param env the function's environment as it stands (the layer's entries, and whatever the app
 * set after `attachTo`), resolved
 */
export function modeAdjustment(mode: ExecutionMode, env: { readonly [key: string]: unknown }, layer: LayerModeSettings): ModeAdjustment {
  const environment: Environment = {};
  const warnings: BindWarning[] = [];
  const notes: string[] = [];
  // The user's choice: the prop, or a variable set on the function after attachTo.
  const chosen = layer.flushStrategyChosen || env[ENV.FLUSH_STRATEGY] !== layer.environment[ENV.FLUSH_STRATEGY];

  if (mode.managedInstances) {
    const strategy = env[ENV.FLUSH_STRATEGY] as FlushStrategyName | undefined;
    const interval = LIMITS.flushIntervalMs.default;
    const noInvoke = 'Lambda sends extensions no INVOKE events on Lambda Managed Instances (invocations run concurrently, and the environment is never frozen)';
    if (strategy === 'adaptive' || strategy === 'end-of-invocation') {
      environment[ENV.FLUSH_STRATEGY] = 'continuously';
      if (!(ENV.FLUSH_INTERVAL_MS in env)) environment[ENV.FLUSH_INTERVAL_MS] = String(interval);
      const instead = `this function exports continuously every ${interval / 1000} second instead (${ENV.FLUSH_STRATEGY}=continuously)`;
      if (chosen) {
        warnings.push({
          id: 'cdk-telemetry-extension:managedInstancesFlushStrategy',
          message: `flushStrategy ${STRATEGY_NAMES[strategy]} of ${layer.layerPath} cannot work here: ${noInvoke}, so there is no invocation end to export at; ${instead}. Use FlushStrategy.continuously() to choose the interval${inPython('flushStrategy')}.`,
        });
      } else {
        notes.push(`On Lambda Managed Instances the default flush strategy of ${layer.layerPath} (adaptive) cannot work (no INVOKE events): ${instead}.`);
      }
    } else if (strategy === 'periodically') {
      const ms = env[ENV.FLUSH_INTERVAL_MS];
      warnings.push({
        id: 'cdk-telemetry-extension:managedInstancesFlushStrategy',
        message: `flushStrategy ${STRATEGY_NAMES.periodically} of ${layer.layerPath} exports at invocation boundaries, which the extension does not see here: ${noInvoke}. The extension exports continuously every ${ms} ms instead; say so with FlushStrategy.continuously()${inPython('flushStrategy')}.`,
      });
    }

    const types = env[ENV.TYPES];
    if (typeof types === 'string' && !types.split(',').includes('platform')) {
      warnings.push({
        id: 'cdk-telemetry-extension:managedInstancesWithoutPlatform',
        message: `types of ${layer.layerPath} (${env[ENV.TYPES]}) has no TelemetryType.PLATFORM: ${noInvoke}, so platform events are all the extension learns about invocations. Without them it exports no invocation spans and no report metrics here, only log records. Add TelemetryType.PLATFORM.`,
      });
    }

    const bufferingMs = env[ENV.BUFFERING_TIMEOUT_MS];
    if (typeof bufferingMs === 'string' && !Token.isUnresolved(bufferingMs) && Number(bufferingMs) > MANAGED_INSTANCES_MAX_BUFFERING_MS) {
      warnings.push({
        id: 'cdk-telemetry-extension:managedInstancesBufferingTimeout',
        message: `buffering.timeout of ${layer.layerPath} is ${bufferingMs} ms: on Lambda Managed Instances invocations can still be running when SHUTDOWN comes, and Lambda may hold their platform.report that long, longer than the extension can wait for it before SHUTDOWN's deadline (at most 60% of the time left, about 1.2 s of a 2-second shutdown). Those invocations are then exported without their report (duration and status as far as the extension saw them). Keep buffering.timeout at or below ${MANAGED_INSTANCES_MAX_BUFFERING_MS / 1000} second.`,
      });
    }
  }

  if (mode.snapStart) {
    const readAtInit: Array<[string, string]> = [
      [ENV.SINK_HEADERS_SECRET_ARN, 'the sink\'s headersSecret (`headers_secret` in Python)'],
      [ENV.SINK_HEADERS_PARAMETER, 'the sink\'s headers parameter'],
    ];
    for (const [key, what] of readAtInit) {
      if (!(key in env)) continue;
      warnings.push({
        id: 'cdk-telemetry-extension:snapStartHeadersSecret',
        message: `SnapStart with ${what} of ${layer.layerPath}: the extension reads it during Init, which SnapStart runs once, when it takes the snapshot of a published version; every environment restored from that snapshot uses the value read then. A changed or rotated value reaches the function only with a new published version.`,
      });
    }
  }

  return { environment, warnings, notes };
}

/**
 * Adapts the layer's configuration on `fn` to the mode Lambda runs it in, once the app's code
 * has run (a validation of `fn`, which runs after every aspect and before the template is
 * written). The extension makes the same flush-strategy choice at run time, so a synth that
 * skips validation still behaves; the template then just says less.
 */
export function adaptToMode(fn: AttachableFunction, layer: LayerModeSettings): void {
  let done = false; // an app synthesized twice validates twice
  fn.node.addValidation({
    validate: () => {
      if (done) return [];
      done = true;
      const adjustment = modeAdjustment(executionModeOf(fn), functionEnvironment(fn), layer);
      for (const [key, value] of Object.entries(adjustment.environment)) fn.addEnvironment(key, value);
      for (const warning of adjustment.warnings) Annotations.of(fn).addWarningV2(warning.id, warning.message);
      for (const note of adjustment.notes) Annotations.of(fn).addInfo(note);
      return [];
    },
  });
}
