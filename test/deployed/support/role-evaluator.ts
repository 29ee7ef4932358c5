import {
  type EvaluationResult,
  runSimulation,
  runUnsafeSimulation,
  type Simulation,
  type SimulationIdentityPolicy,
} from '@cloud-copilot/iam-simulate';
import type { IamRequest } from './aws-requests';
import { ACCOUNT, REGION } from './cloudformation';

/** Who makes the calls of one function: its role, as an assumed-role session, and the role's policies. */
export interface RoleIdentity {
  /** The function's short name. */
  readonly name: string;
  readonly roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<function>`, as Lambda's calls are made. */
  readonly principal: string;
  readonly policies: readonly SimulationIdentityPolicy[];
}

export interface Decision {
  readonly result: EvaluationResult | 'InvalidSimulation';
  /** Which of iam-simulate's entry points decided (see `evaluate`). */
  readonly evaluator: 'runSimulation' | 'runUnsafeSimulation';
  /** Why the simulation could not run, or which context keys it dropped as not applying to the action. */
  readonly notes: readonly string[];
}

/**
 * iam-simulate 0.1.173 recognises condition keys with a variable part only when the variable follows a `/`
 * (`aws:PrincipalTag/team`). KMS's `kms:EncryptionContext:<key>` puts it after a `:`, so `runSimulation` drops those
 * keys from the request as "not applying" and every `Null` or `StringEquals` condition on them then fails. Requests
 * that carry them are validated by `runSimulation` and decided by `runUnsafeSimulation`, which takes the context as
 * given; everything else is decided by `runSimulation` alone.
 */
const VARIABLE_AFTER_COLON = /^kms:encryptioncontext:(?!keys$)/i;

/**
 * `runUnsafeSimulation` loads a plain resource policy without a name and then reads the name (a TypeError); handed
 * in in `@cloud-copilot/iam-policy`'s validated-policy shape, it is loaded with its name.
 */
const namedPolicy = (policy: unknown, name: string) => ({
  __validated: true,
  policyDocument: policy,
  metadata: { name },
  errors: [],
});

/** Decides each call of a function against its role (and the resource's own policy) with iam-simulate. */
export class RoleEvaluator {
  private readonly cache = new Map<string, Promise<Decision>>();

  /** `resourcePolicies`: key policies, queue and topic policies, by the ARN of what they guard. */
  constructor(private readonly resourcePolicies: ReadonlyMap<string, unknown>) {}

  evaluate(identity: RoleIdentity, request: IamRequest): Promise<Decision> {
    const key = JSON.stringify([identity.principal, request]);
    let decision = this.cache.get(key);
    if (!decision) {
      decision = this.decide(identity, request);
      this.cache.set(key, decision);
    }
    return decision;
  }

  /** The simulation of one call: the role's policies, the resource's policy, and the request's context. */
  simulationOf(identity: RoleIdentity, request: IamRequest): Simulation {
    const now = new Date();
    return {
      request: {
        principal: identity.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        // What AWS sets for a Lambda function's call over the SDK's HTTPS.
        contextVariables: {
          'aws:SecureTransport': 'true',
          'aws:PrincipalArn': identity.roleArn,
          'aws:PrincipalAccount': ACCOUNT,
          'aws:PrincipalIsAWSService': 'false',
          'aws:ViaAWSService': 'false',
          'aws:RequestedRegion': REGION,
          'aws:CurrentTime': now.toISOString(),
          'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
          ...request.context,
        },
      },
      identityPolicies: [...identity.policies],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.resourcePolicies.get(request.resource.replace(/\/index\/[^/]+$/, '')),
    };
  }

  private async decide(identity: RoleIdentity, request: IamRequest): Promise<Decision> {
    const simulation = this.simulationOf(identity, request);
    const { resourcePolicy } = simulation;
    const validated = await runSimulation(simulation, {});
    if (validated.resultType === 'error') {
      return { result: 'InvalidSimulation', evaluator: 'runSimulation', notes: [JSON.stringify(validated.errors)] };
    }
    const ignored = validated.resultType === 'single' ? (validated.result.ignoredContextKeys ?? []) : [];
    if (!ignored.some((key) => VARIABLE_AFTER_COLON.test(key))) {
      return { result: validated.overallResult, evaluator: 'runSimulation', notes: ignored };
    }
    const result = runUnsafeSimulation(
      { ...simulation, resourcePolicy: resourcePolicy && namedPolicy(resourcePolicy, `policy of ${request.resource}`) },
      {},
    );
    return {
      result,
      evaluator: 'runUnsafeSimulation',
      notes: ignored.filter((key) => !VARIABLE_AFTER_COLON.test(key)),
    };
  }
}
