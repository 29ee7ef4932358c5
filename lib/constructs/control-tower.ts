import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The name `@cdklabs/cdk-validator-cfnguard` reports its findings under. */
const PLUGIN = 'cdk-validator-cfnguard';

/**
 * The AWS Control Tower proactive controls (the cfn-guard rules of `@cdklabs/cdk-validator-cfnguard`) this service
 * acknowledges somewhere, by the guard rule name CDK's validation report gives them.
 */
export const CONTROL_TOWER_RULES = {
  /** CT.LAMBDA.PR.2: a Lambda permission names its source account or a source ARN the rule can read. */
  lambdaPermissionSource: 'lambda_function_public_access_prohibited_check',
  /** CT.LAMBDA.PR.5: a function URL uses IAM authentication. */
  functionUrlAuthorization: 'lambda_function_url_auth_check',
  /** CT.LAMBDA.PR.3: a function runs in a VPC. */
  lambdaInsideVpc: 'lambda_inside_vpc_check',
  /** CT.APIGATEWAY.PR.5: an HTTP API route has IAM, JWT or a custom authorizer. */
  routeAuthorization: 'api_gw_v2_authorization_type_configured_check',
} as const;

export type ControlTowerRule = (typeof CONTROL_TOWER_RULES)[keyof typeof CONTROL_TOWER_RULES];

/**
 * Acknowledges a Control Tower control on `scope` and what it holds, with the reason the README's table gives too:
 * the synth's cfn-guard validation no longer fails on it there, and the report lists it as acknowledged.
 */
export function acknowledgeControl(scope: IConstruct, rule: ControlTowerRule, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${PLUGIN}::${rule}`, reason });
}
