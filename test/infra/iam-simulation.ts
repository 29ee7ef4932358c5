import { type EvaluationResult, runSimulation, type SimulationIdentityPolicy } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';

/** The account and region the template's pseudo parameters stand for. */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A resource's ARN as CloudFormation's `Fn::GetAtt [id, Arn]` would give it, its logical id as its name. */
const ARNS: Record<string, (id: string) => string> = {
  'AWS::DynamoDB::Table': (id) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`,
  'AWS::KMS::Key': (id) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`,
  'AWS::Logs::LogGroup': (id) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`,
  'AWS::SQS::Queue': (id) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
  'AWS::Lambda::Function': (id) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
  'AWS::Events::EventBus': (id) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${id}`,
  'AWS::SNS::Topic': (id) => `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`,
  'AWS::SecretsManager::Secret': (id) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`,
  'AWS::IAM::Role': (id) => `arn:aws:iam::${ACCOUNT}:role/${id}`,
};

/** What `Ref` gives for a resource: an ARN for topics and secrets, the name (here its logical id) otherwise. */
const REF_IS_ARN = new Set(['AWS::SNS::Topic', 'AWS::SecretsManager::Secret']);

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::URLSuffix': 'amazonaws.com',
};

function arnOf(resources: Resources, id: string): string {
  const type = resources[id]?.Type;
  const arn = type ? ARNS[type] : undefined;
  if (!arn) throw new Error(`no ARN known for ${id} (${type ?? 'not in the template'})`);
  return arn(id);
}

/** A template value with its intrinsic functions resolved as CloudFormation would in ACCOUNT and REGION. */
export function resolveIntrinsics(value: unknown, resources: Resources): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, resources));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    const [fn, args] = first;
    if (fn === 'Ref' && typeof args === 'string') {
      const pseudo = PSEUDO[args];
      if (pseudo) return pseudo;
      const type = resources[args]?.Type;
      if (!type) throw new Error(`Ref to ${args}, which is not in the template`);
      return REF_IS_ARN.has(type) ? arnOf(resources, args) : args;
    }
    if (fn === 'Fn::GetAtt' && Array.isArray(args) && args[1] === 'Arn' && typeof args[0] === 'string') {
      return arnOf(resources, args[0]);
    }
    if (fn === 'Fn::Join' && Array.isArray(args)) {
      const [separator, parts] = args;
      return (resolveIntrinsics(parts, resources) as unknown[]).join(String(separator));
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, resources)]));
}

/** Every role of the template, by logical id. */
export function roleIds(template: Template): string[] {
  return Object.keys(template.findResources('AWS::IAM::Role'));
}

/** The policies attached to a role, resolved; a role with managed or inline policies would need more than this. */
export function identityPoliciesOf(template: Template, roleId: string): SimulationIdentityPolicy[] {
  const resources = template.toJSON().Resources as Resources;
  const role = resources[roleId]?.Properties ?? {};
  if (role.ManagedPolicyArns || role.Policies) throw new Error(`${roleId} has managed or inline policies`);
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles).includes(`{"Ref":"${roleId}"}`))
    .map(([id, policy]) => ({ name: id, policy: resolveIntrinsics(policy.Properties?.PolicyDocument, resources) }));
}

export interface TableRequest {
  /** The role's logical id. */
  readonly roleId: string;
  /** The action, e.g. `dynamodb:DeleteItem`. */
  readonly action: string;
  /** The table's logical id. */
  readonly tableId: string;
  /** The partition keys of the items the request touches, as DynamoDB gives them to `dynamodb:LeadingKeys`. */
  readonly leadingKeys: readonly string[];
}

/** What IAM decides for the role's request on the table's items (no resource policy, SCP or boundary applies). */
export async function decideTableRequest(template: Template, request: TableRequest): Promise<EvaluationResult> {
  const resources = template.toJSON().Resources as Resources;
  const result = await runSimulation(
    {
      request: {
        principal: arnOf(resources, request.roleId),
        action: request.action,
        resource: { resource: arnOf(resources, request.tableId), accountId: ACCOUNT },
        contextVariables: { 'dynamodb:LeadingKeys': [...request.leadingKeys] },
      },
      identityPolicies: identityPoliciesOf(template, request.roleId),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation refused: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}
