/**
 * What an attached function's role gets for the sink: read access to `headersSecret` (the
 * secret's own `grantRead`, which covers its KMS key) and the sink's further statements (the
 * headers parameter, the CloudWatch signals), each an `Allow` on exactly the resources it names.
 * A function with no role, or with an imported one (an immutable import drops statements
 * silently), gets a warning naming what to grant by hand.
 */
import { Annotations, Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { SinkBinding } from './bindings';
import type { AttachableFunction } from './runtime-compatibility';

export function grantSinkAccess(fn: AttachableFunction, sink: SinkBinding): void {
  const secret = sink.headersSecret;
  const grants = sink.grants ?? [];
  const needed = [
    ...(secret ? [`read access to ${secret.secretArn}`] : []),
    ...grants.map((g) => `${g.actions.join(', ')} on ${g.resources.join(', ')}`),
  ];
  if (needed.length === 0) return;
  const role = fn.role;
  if (!role) {
    Annotations.of(fn).addWarningV2('cdk-telemetry-extension:noRole', `The function has no role in this app: grant it ${needed.join('; ')} yourself.`);
    return;
  }
  secret?.grantRead(role);
  for (const grant of grants) {
    iam.Grant.addToPrincipal({ grantee: role, actions: [...grant.actions], resourceArns: [...grant.resources] });
  }
  if (!Resource.isOwnedResource(role)) {
    Annotations.of(fn).addWarningV2(
      'cdk-telemetry-extension:importedRole',
      `The function's role ${role.roleArn} is imported: imported as mutable it gets the sink's statements in a policy of this stack, imported with mutable: false it drops them silently; then grant it ${needed.join('; ')} yourself.`,
    );
  }
}
