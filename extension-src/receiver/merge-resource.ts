/**
 * The resource of the function's own telemetry: the function's attributes as its SDK sent them,
 * plus the extension's `cloud.*` and `faas.*` attributes the function did not set (region,
 * function name and version, memory...). Never overwrites what the function said, never adds the
 * extension's other attributes (`service.name`, `telemetry.sdk.*` describe the extension).
 */
import type { AnyValue, KeyValue, Resource } from './otlp-types';
import type { ResourceAttributes } from '../sinks/resource';

const FILLED_PREFIXES = ['cloud.', 'faas.'];

function toAnyValue(value: string | number): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
}

/**
 * A new resource (the input is not changed): `functionResource`'s attributes in their order, then
 * the missing `cloud.*` / `faas.*` ones of `extensionResource`. Other fields of the resource
 * (`droppedAttributesCount`, entity refs) are kept.
 */
export function mergeResource(functionResource: Resource | null | undefined, extensionResource: Readonly<ResourceAttributes>): Resource {
  const own: readonly KeyValue[] = functionResource?.attributes ?? [];
  const present = new Set<string>();
  for (const attribute of own) present.add(attribute.key);
  const added: KeyValue[] = [];
  for (const key of Object.keys(extensionResource)) {
    if (present.has(key) || !FILLED_PREFIXES.some((prefix) => key.startsWith(prefix))) continue;
    added.push({ key, value: toAnyValue(extensionResource[key]) });
  }
  // A decoded message's own properties are its fields that were present (defaults live on the
  // prototype), so a shallow copy encodes the same.
  return { ...functionResource, attributes: [...own, ...added] };
}
