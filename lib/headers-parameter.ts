/**
 * `headersParameter` of the OTLP and HTTP sinks: an SSM Parameter Store `SecureString` holding the
 * same JSON object of header name to value as `headersSecret`. The extension reads it once at init
 * (`GetParameter` with decryption, SigV4); the function's role gets `ssm:GetParameter` on it and,
 * for a customer managed key, `kms:Decrypt` on the key (test/aws/RESEARCH.md sections 4 and 8).
 */
import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Environment, SinkGrant } from './bindings';
import { ENV } from './config/contract';

/** An SSM parameter ARN (partition, region, 12-digit account, `parameter/<name>`). */
const PARAMETER_ARN_PATTERN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9/_.-]+$/;

export interface HeadersParameterSettings {
  readonly headersSecret?: secretsmanager.ISecret;
  readonly headersParameter?: ssm.IParameter;
  readonly headersParameterKey?: kms.IKey;
}

export interface HeadersParameterBinding {
  readonly environment: Environment;
  readonly grants: readonly SinkGrant[];
}

/** Validates the settings and returns the environment entry and the grants. */
export function bindHeadersParameter(settings: HeadersParameterSettings): HeadersParameterBinding {
  const parameter = settings.headersParameter;
  // A parameter imported with `encryptionKey` knows its key (ParameterBase has it; IParameter does not).
  const key = settings.headersParameterKey ?? (parameter as { encryptionKey?: kms.IKey } | undefined)?.encryptionKey;
  if (!parameter) {
    if (settings.headersParameterKey) {
      throw new Error(
        `sink headersParameterKey is set (${settings.headersParameterKey.keyArn}) but headersParameter is not: the key only decrypts the headers parameter; pass the SecureString parameter as headersParameter, or drop headersParameterKey (\`headers_parameter_key\` in Python)`,
      );
    }
    return { environment: {}, grants: [] };
  }
  if (settings.headersSecret) {
    throw new Error(
      `sink headersSecret and headersParameter are both set (${settings.headersSecret.secretArn} and ${parameter.parameterArn}): the header credentials come from one place; keep one of them (\`headers_secret\` / \`headers_parameter\` in Python)`,
    );
  }
  const cfn = parameter.node.defaultChild;
  if (cfn instanceof ssm.CfnParameter && !Token.isUnresolved(cfn.type) && cfn.type !== 'SecureString') {
    throw new Error(
      `sink headersParameter must be a SecureString parameter, got the ${cfn.type} parameter ${parameter.node.path}, whose value sits in plain text in the template; create a SecureString outside CloudFormation and import it with StringParameter.fromSecureStringParameterAttributes (\`from_secure_string_parameter_attributes\` in Python) (\`headers_parameter\` in Python)`,
    );
  }
  const arn = parameter.parameterArn;
  if (!Token.isUnresolved(arn) && !PARAMETER_ARN_PATTERN.test(arn)) {
    throw new Error(
      `sink headersParameter must be an SSM parameter with an ARN of the form arn:aws:ssm:<region>:<account>:parameter/<name>, got "${arn}" (\`headers_parameter\` in Python)`,
    );
  }
  const grants: SinkGrant[] = [{ actions: ['ssm:GetParameter'], resources: [arn] }];
  if (key) grants.push({ actions: ['kms:Decrypt'], resources: [key.keyArn] });
  return { environment: { [ENV.SINK_HEADERS_PARAMETER]: arn }, grants };
}
