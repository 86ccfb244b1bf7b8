import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export const HANDLER_DIR = path.join(__dirname, '..', 'fixtures', 'handler');

export function newStack(id = 'TestStack'): Stack {
  return new Stack(new App(), id, { env: { account: '123456789012', region: 'eu-west-1' } });
}

export function nodeFunction(scope: Construct, id = 'Fn', props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    ...props,
  });
}
