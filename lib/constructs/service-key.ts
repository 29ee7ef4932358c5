import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, type KeyProps } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * Denies `kms:CreateGrant` to everyone unless the grant is for an AWS resource (DynamoDB's grants on the table key)
 * or the caller is an AWS service: a grant is a second, invisible key policy, and nothing of this service makes
 * one itself. Control Tower's CT.KMS.PR.3 asks for exactly this statement.
 */
function grantsOnlyForAwsServices(): PolicyStatement {
  return new PolicyStatement({
    sid: 'GrantsOnlyForAwsServices',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/** A KMS key as this service keeps them: rotated yearly, and grants only for AWS services. */
export function serviceKey(scope: Construct, id: string, props: KeyProps): Key {
  const key = new Key(scope, id, { enableKeyRotation: true, ...props });
  key.addToResourcePolicy(grantsOnlyForAwsServices());
  return key;
}
