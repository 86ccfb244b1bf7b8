/**
 * Reads a synthesized cloud assembly (`cdk.out`) to find what the emulator needs for one Lambda
 * function: its layers' asset folders, literal environment variables, runtime, architecture,
 * memory, timeout, handler and code asset folder.
 *
 * Note: asset folders are copies made by the CDK; `fs.copyFile` keeps the executable bit of an
 * extension launcher, a zip file asset (`Code.fromAsset('x.zip')`) is not unpacked here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CdkLayerInfo {
  /** The template's reference to the layer (`{"Ref": ...}`, an ARN, ...). */
  readonly reference: unknown;
  /** Logical id of the `AWS::Lambda::LayerVersion` in the same template, when referenced by `Ref`. */
  readonly logicalId?: string;
  /** Absolute path of the layer's asset folder (what Lambda unpacks to `/opt`). */
  readonly assetDir?: string;
  /** Why `assetDir` is missing (external ARN, no asset metadata, ...). */
  readonly unresolvedReason?: string;
}

export interface CdkFunctionInfo {
  readonly stackName: string;
  readonly templateFile: string;
  readonly logicalId: string;
  readonly handler?: string;
  readonly runtime?: string;
  /** `x86_64` or `arm64`. */
  readonly architecture: string;
  readonly memorySizeMB: number;
  readonly timeoutSeconds: number;
  /** `LoggingConfig.LogFormat` (where CDK's `loggingFormat` goes): `JSON` or `Text`. */
  readonly logFormat: 'JSON' | 'Text';
  /** Absolute path of the function's code asset folder (`LAMBDA_TASK_ROOT`), when it has one. */
  readonly codeAssetDir?: string;
  readonly layers: readonly CdkLayerInfo[];
  /** Environment variables with literal values. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * How Lambda would run it: `snap-start` with `SnapStart.ApplyOn: PublishedVersions`,
   * `lambda-managed-instances` with a `CapacityProviderConfig`, else `on-demand` (provisioned
   * concurrency lives on an alias or version, not on the function: pass it to the emulator).
   */
  readonly initializationType: 'on-demand' | 'snap-start' | 'lambda-managed-instances';
  /** Environment variables whose values are CloudFormation expressions (`Ref`, `Fn::*`): unknown until deploy. */
  readonly nonLiteralEnv: Readonly<Record<string, unknown>>;
}

interface Artifact {
  readonly type?: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
}

interface Resource {
  readonly Type?: string;
  readonly Properties?: Record<string, any>;
  readonly Metadata?: Record<string, unknown>;
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Finds the stack's template in the assembly (and in nested stage assemblies). */
function findTemplate(assemblyDir: string, stackName: string, seen: string[]): string | undefined {
  const manifest = readJson(path.join(assemblyDir, 'manifest.json')) as { artifacts?: Record<string, Artifact> };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack') {
      seen.push(artifact.displayName ?? id);
      const matches = id === stackName || artifact.displayName === stackName || artifact.properties?.stackName === stackName;
      if (matches && artifact.properties?.templateFile) return path.join(assemblyDir, artifact.properties.templateFile);
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      const nested = findTemplate(path.join(assemblyDir, artifact.properties.directoryName), stackName, seen);
      if (nested) return nested;
    }
  }
  return undefined;
}

/**
 * The asset folder of a function (`Code`) or layer (`Content`): from `Metadata['aws:asset:path']`
 * (written when asset metadata is on, as with the CDK CLI), else by matching the literal `S3Key`
 * with an object key in the assembly's asset manifests.
 */
function assetDir(templateFile: string, resource: Resource): string | undefined {
  // Asset paths are relative to the (possibly nested) assembly folder that holds the template.
  const base = path.dirname(templateFile);
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') return path.resolve(base, assetPath);
  const s3Key = (resource.Properties?.Code ?? resource.Properties?.Content)?.S3Key;
  return typeof s3Key === 'string' ? assetByObjectKey(base, s3Key) : undefined;
}

function assetByObjectKey(assemblyDir: string, objectKey: string): string | undefined {
  for (const file of fs.readdirSync(assemblyDir).filter((name) => name.endsWith('.assets.json'))) {
    const manifest = readJson(path.join(assemblyDir, file)) as {
      files?: Record<string, { source?: { path?: string }; destinations?: Record<string, { objectKey?: string }> }>;
    };
    for (const asset of Object.values(manifest.files ?? {})) {
      const matches = Object.values(asset.destinations ?? {}).some((d) => d.objectKey === objectKey);
      if (matches && asset.source?.path) return path.resolve(assemblyDir, asset.source.path);
    }
  }
  return undefined;
}

function layerInfo(templateFile: string, resources: Record<string, Resource>, reference: unknown): CdkLayerInfo {
  if (typeof reference === 'string') return { reference, unresolvedReason: 'external layer ARN: its content is not in the assembly' };
  const ref = (reference as { Ref?: unknown } | null)?.Ref;
  if (typeof ref !== 'string') return { reference, unresolvedReason: 'layer given by a CloudFormation expression other than Ref' };
  const resource = resources[ref];
  if (resource?.Type !== 'AWS::Lambda::LayerVersion') {
    return { reference, logicalId: ref, unresolvedReason: `Ref ${ref} is not an AWS::Lambda::LayerVersion of this stack` };
  }
  const dir = assetDir(templateFile, resource);
  return dir === undefined
    ? { reference, logicalId: ref, unresolvedReason: `layer ${ref} is not an asset of this assembly (no aws:asset:path metadata, no matching S3Key)` }
    : { reference, logicalId: ref, assetDir: dir };
}

/**
 * Describes one `AWS::Lambda::Function` of a synthesized stack.
 * @param assemblyDir the cloud assembly folder (`cdk.out`)
 * @param stackName artifact id, display name or CloudFormation stack name
 * @param functionLogicalId the function's logical id; default: the first function of the template
 */
export function readCdkFunction(assemblyDir: string, stackName: string, functionLogicalId?: string): CdkFunctionInfo {
  const seen: string[] = [];
  const templateFile = findTemplate(assemblyDir, stackName, seen);
  if (!templateFile) {
    throw new Error(`Stack ${stackName} not found in ${assemblyDir} (stacks: ${seen.join(', ') || 'none'})`);
  }
  const resources = (readJson(templateFile).Resources ?? {}) as Record<string, Resource>;
  const functionIds = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::Lambda::Function');
  const logicalId = functionLogicalId ?? functionIds[0];
  if (logicalId === undefined || !functionIds.includes(logicalId)) {
    throw new Error(`Function ${functionLogicalId ?? '(any)'} not found in stack ${stackName} (functions: ${functionIds.join(', ') || 'none'})`);
  }
  const resource = resources[logicalId];
  const props = resource.Properties ?? {};
  const env: Record<string, string> = {};
  const nonLiteralEnv: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((props.Environment?.Variables ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
    else nonLiteralEnv[name] = value;
  }
  return {
    stackName,
    templateFile,
    logicalId,
    handler: typeof props.Handler === 'string' ? props.Handler : undefined,
    runtime: typeof props.Runtime === 'string' ? props.Runtime : undefined,
    architecture: Array.isArray(props.Architectures) && typeof props.Architectures[0] === 'string' ? props.Architectures[0] : 'x86_64',
    memorySizeMB: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
    logFormat: props.LoggingConfig?.LogFormat === 'JSON' ? 'JSON' : 'Text',
    codeAssetDir: assetDir(templateFile, resource),
    layers: ((props.Layers ?? []) as unknown[]).map((reference) => layerInfo(templateFile, resources, reference)),
    env,
    nonLiteralEnv,
    initializationType: props.CapacityProviderConfig !== undefined
      ? 'lambda-managed-instances'
      : props.SnapStart?.ApplyOn === 'PublishedVersions' ? 'snap-start' : 'on-demand',
  };
}
