/**
 * What an attached function's role gets for the sink: read access to `headersSecret` (the
 * secret's own `grantRead`, which covers its KMS key) and the sink's further statements (the
 * headers parameter, the CloudWatch signals), each an `Allow` on exactly the resources it names.
 */
import { Annotations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { SinkBinding } from './bindings';
import type { AttachableFunction } from './runtime-compatibility';

export function grantSinkAccess(fn: AttachableFunction, sink: SinkBinding): void {
  const secret = sink.headersSecret;
  const grants = sink.grants ?? [];
  const role = fn.role;
  if (!role) {
    const needed = [
      ...(secret ? [`read access to ${secret.secretArn}`] : []),
      ...grants.map((g) => `${g.actions.join(', ')} on ${g.resources.join(', ')}`),
    ];
    if (needed.length > 0) {
      Annotations.of(fn).addWarningV2(
        'cdk-telemetry-extension:noRole',
        `The function has no role in this app: grant it ${needed.join('; ')} yourself.`,
      );
    }
    return;
  }
  secret?.grantRead(role);
  for (const grant of grants) {
    iam.Grant.addToPrincipal({ grantee: role, actions: [...grant.actions], resourceArns: [...grant.resources] });
  }
}
