import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { AttachableFunction } from './runtime-compatibility';

/**
 * What a function's own settings say, read from its CloudFormation resource: its environment,
 * and the execution mode Lambda will run it in (Lambda Managed Instances, SnapStart).
 *
 * Read from the L1 resource, never from an aws-cdk-lib API of a given version, so that a
 * function placed on a capacity provider with a recent aws-cdk-lib's `CapacityProvider`, with
 * `CfnFunction.capacityProviderConfig`, or with a raw
 * `addPropertyOverride('CapacityProviderConfig', ...)` on an aws-cdk-lib that predates them, is
 * recognised alike.
 */

/**
 * The `CfnFunction` that `fn` synthesizes to (a `SingletonFunction`'s function is the stack's
 * child named by its `constructName`), or undefined.
 */
export function cfnFunctionOf(fn: AttachableFunction): lambda.CfnFunction | undefined {
  const target = fn instanceof lambda.SingletonFunction ? Stack.of(fn).node.tryFindChild(fn.constructName) : fn;
  const cfn = target?.node.defaultChild;
  return cfn instanceof lambda.CfnFunction ? cfn : undefined;
}

/**
 * The environment variables a function already has, read from its CloudFormation resource
 * (`lambda.Function` has no public getter).
 */
export function functionEnvironment(fn: AttachableFunction): { [key: string]: unknown } {
  const cfn = cfnFunctionOf(fn);
  if (!cfn) return {};
  const environment = Stack.of(fn).resolve(cfn.environment) as { variables?: { [key: string]: unknown } } | undefined;
  return environment?.variables ?? {};
}

/** How Lambda runs a function, as far as the extension cares. */
export interface ExecutionMode {
  /** On a capacity provider (Lambda Managed Instances): no INVOKE events, concurrent invocations, never frozen. */
  readonly managedInstances: boolean;
  /** SnapStart on published versions: Init runs once, for the snapshot; environments are restored from it. */
  readonly snapStart: boolean;
}

/**
 * The function's execution mode, from the properties its resource will have in the template:
 * L1 values, what L2 constructs set, and raw overrides, merged as CloudFormation synthesis merges
 * them. Call it once the app's code has run (at validation).
 */
export function executionModeOf(fn: AttachableFunction): ExecutionMode {
  const properties = synthesizedProperties(fn);
  const capacityProvider = properties.CapacityProviderConfig;
  const snapStart = properties.SnapStart as { ApplyOn?: unknown } | undefined;
  return {
    managedInstances: capacityProvider !== undefined && capacityProvider !== null,
    snapStart: snapStart?.ApplyOn === 'PublishedVersions',
  };
}

/** The resource as `CfnResource` renders it into the template (an internal of aws-cdk-lib since 1.x). */
interface RendersToCloudFormation {
  readonly _toCloudFormation?: () => { Resources?: { [logicalId: string]: unknown } };
}

function synthesizedProperties(fn: AttachableFunction): { [key: string]: unknown } {
  const cfn = cfnFunctionOf(fn);
  if (!cfn) return {};
  const render = (cfn as unknown as RendersToCloudFormation)._toCloudFormation;
  if (typeof render !== 'function') {
    throw new Error(`cdk-telemetry-extension: cannot read the properties of ${cfn.node.path} (this aws-cdk-lib has no CfnResource._toCloudFormation)`);
  }
  const rendered = Stack.of(cfn).resolve(render.call(cfn)) as { Resources?: { [logicalId: string]: { Properties?: { [key: string]: unknown } } } };
  const [resource] = Object.values(rendered.Resources ?? {});
  return resource?.Properties ?? {};
}
