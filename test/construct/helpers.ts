import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { tempDir } from './temp';

export const HANDLER_DIR = path.join(__dirname, '..', 'fixtures', 'handler');

export function newStack(id = 'TestStack', options: { assetMetadata?: boolean } = {}): Stack {
  // assetMetadata: record asset paths in resource metadata, as `cdk synth` does.
  const outdir = tempDir('cdk.out-');
  const app = new App(options.assetMetadata ? { outdir, context: { 'aws:cdk:enable-asset-metadata': true } } : { outdir });
  return new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** Synthesizes the stack's app and returns the folder of the asset of the first resource whose logical id matches. */
export function assetDirOf(stack: Stack, logicalId: RegExp): string {
  const assembly = (stack.node.root as App).synth();
  const template = assembly.getStackByName(stack.stackName).template;
  const [, resource] = Object.entries(template.Resources as Record<string, any>).find(([k]) => logicalId.test(k))!;
  return path.join(assembly.directory, resource.Metadata['aws:asset:path']);
}

export function nodeFunction(scope: Construct, id = 'Fn', props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    ...props,
  });
}
