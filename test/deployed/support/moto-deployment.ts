import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import * as z from 'zod';
import type { ResourceDirectory } from './aws-requests';
import {
  ACCOUNT,
  type CfnTemplate,
  CloudFormationValues,
  logicalIdsOf,
  REGION,
  referencedId,
  resourceOf,
} from './cloudformation';
import type { RoleIdentity } from './role-evaluator';
import type { FunctionSpec } from './synthesized-stack';

/** The test's own clients, signed with the set-up key the proxy lets through unchecked. */
export interface SetupClients {
  readonly dynamodb: DynamoDBClient;
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  readonly events: EventBridgeClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export function setupClients(endpoint: string, accessKeyId: string): SetupClients {
  const config = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId, secretAccessKey: 'test-setup' },
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 20_000 }),
  };
  return {
    dynamodb: new DynamoDBClient(config),
    kms: new KMSClient(config),
    secrets: new SecretsManagerClient(config),
    events: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
  };
}

const keyProperties = z.object({
  Description: z.string().optional(),
  KeyPolicy: z.unknown(),
  KeySpec: z.string().optional(),
  KeyUsage: z.string().optional(),
});
const tableProperties = z.object({
  KeySchema: z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) })),
  AttributeDefinitions: z.array(z.object({ AttributeName: z.string(), AttributeType: z.enum(['S', 'N', 'B']) })),
  GlobalSecondaryIndexes: z
    .array(
      z.object({
        IndexName: z.string(),
        KeySchema: z.array(z.object({ AttributeName: z.string(), KeyType: z.enum(['HASH', 'RANGE']) })),
        Projection: z.object({
          ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
          NonKeyAttributes: z.array(z.string()).optional(),
        }),
      }),
    )
    .default([]),
  BillingMode: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).default('PROVISIONED'),
  SSESpecification: z
    .object({ SSEEnabled: z.boolean(), SSEType: z.literal('KMS').optional(), KMSMasterKeyId: z.unknown() })
    .optional(),
  TimeToLiveSpecification: z.object({ AttributeName: z.string(), Enabled: z.boolean() }).optional(),
  PointInTimeRecoverySpecification: z.object({ PointInTimeRecoveryEnabled: z.boolean() }).optional(),
  DeletionProtectionEnabled: z.boolean().optional(),
});
const secretProperties = z.object({ Description: z.string().optional(), SecretString: z.string().optional() });
const busProperties = z.object({ Name: z.unknown(), Description: z.string().optional() });
const topicProperties = z.object({ DisplayName: z.string().optional(), KmsMasterKeyId: z.unknown().optional() });
const policyProperties = z.object({ PolicyDocument: z.unknown(), Roles: z.array(z.unknown()).default([]) });
const roleProperties = z.object({ ManagedPolicyArns: z.unknown().optional(), Policies: z.unknown().optional() });

/** CloudFormation's physical names: `<stack>-<logical id>-<12 random characters>`. */
const physicalName = (stackName: string, logicalId: string) =>
  `${stackName}-${logicalId}-${Math.random().toString(36).slice(2, 14).toUpperCase()}`;

/**
 * What the template declares, created in moto as CloudFormation would (the table with its keys, indexes, TTL and
 * backups; every KMS key with its key policy; the app secret, then filled as the operator would; the bus; every
 * queue with its attributes, dead-letter queues first; every topic), and each logical id mapped to the physical name
 * and ARN moto gave it. Also the proxy's directory of those resources and the policies that guard them.
 */
export class MotoDeployment implements ResourceDirectory {
  readonly values: CloudFormationValues;
  /** Key, queue and topic policies, by the ARN of what they guard. */
  readonly resourcePolicies = new Map<string, unknown>();
  private readonly partitionKeys = new Map<string, string>();
  private readonly secretArns = new Map<string, string>();

  constructor(
    readonly template: CfnTemplate,
    readonly stackName: string,
  ) {
    this.values = new CloudFormationValues(template, stackName);
  }

  partitionKeyOf(tableName: string): string | undefined {
    return this.partitionKeys.get(tableName);
  }

  secretArn(secretId: string): string {
    if (secretId.startsWith('arn:')) return secretId;
    const found = this.secretArns.get(secretId);
    if (!found) throw new Error(`no secret named ${secretId}`);
    return found;
  }

  async deploy(clients: SetupClients, filledSecrets: Readonly<Record<string, string>> = {}): Promise<void> {
    const { template, values } = this;
    for (const id of logicalIdsOf(template, 'AWS::KMS::Key')) {
      const properties = keyProperties.parse(resourceOf(template, id, 'AWS::KMS::Key').Properties);
      const policy = values.resolve(properties.KeyPolicy);
      const { KeyMetadata } = await clients.kms.send(
        new CreateKeyCommand({
          Description: properties.Description,
          Policy: JSON.stringify(policy),
          ...(properties.KeySpec ? { KeySpec: z.enum(['SYMMETRIC_DEFAULT']).parse(properties.KeySpec) } : {}),
        }),
      );
      const keyId = z.string().parse(KeyMetadata?.KeyId);
      const arn = z.string().parse(KeyMetadata?.Arn);
      values.define(id, { ref: keyId, attributes: { Arn: arn, KeyId: keyId } });
      this.resourcePolicies.set(arn, policy);
    }

    for (const id of logicalIdsOf(template, 'AWS::DynamoDB::Table')) {
      const properties = tableProperties.parse(resourceOf(template, id, 'AWS::DynamoDB::Table').Properties);
      const name = physicalName(this.stackName, id);
      const input: CreateTableCommandInput = {
        TableName: name,
        KeySchema: properties.KeySchema,
        AttributeDefinitions: properties.AttributeDefinitions,
        BillingMode: properties.BillingMode,
        ...(properties.GlobalSecondaryIndexes.length
          ? { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes }
          : {}),
        ...(properties.SSESpecification
          ? {
              SSESpecification: {
                Enabled: properties.SSESpecification.SSEEnabled,
                SSEType: properties.SSESpecification.SSEType,
                KMSMasterKeyId: values.resolveString(properties.SSESpecification.KMSMasterKeyId),
              },
            }
          : {}),
        ...(properties.DeletionProtectionEnabled === undefined
          ? {}
          : { DeletionProtectionEnabled: properties.DeletionProtectionEnabled }),
      };
      const { TableDescription } = await clients.dynamodb.send(new CreateTableCommand(input));
      if (properties.TimeToLiveSpecification) {
        await clients.dynamodb.send(
          new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: properties.TimeToLiveSpecification }),
        );
      }
      if (properties.PointInTimeRecoverySpecification) {
        await clients.dynamodb.send(
          new UpdateContinuousBackupsCommand({
            TableName: name,
            PointInTimeRecoverySpecification: {
              PointInTimeRecoveryEnabled: properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled,
            },
          }),
        );
      }
      const partitionKey = properties.KeySchema.find((key) => key.KeyType === 'HASH')?.AttributeName;
      if (partitionKey) this.partitionKeys.set(name, partitionKey);
      values.define(id, { ref: name, attributes: { Arn: z.string().parse(TableDescription?.TableArn) } });
    }

    for (const id of logicalIdsOf(template, 'AWS::SecretsManager::Secret')) {
      const properties = secretProperties.parse(resourceOf(template, id, 'AWS::SecretsManager::Secret').Properties);
      const name = physicalName(this.stackName, id);
      const { ARN } = await clients.secrets.send(
        new CreateSecretCommand({
          Name: name,
          Description: properties.Description,
          SecretString: properties.SecretString,
        }),
      );
      const arn = z.string().parse(ARN);
      const filled = filledSecrets[id];
      if (filled !== undefined) {
        await clients.secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: filled }));
      }
      this.secretArns.set(name, arn);
      values.define(id, { ref: arn, attributes: { Id: arn } });
    }

    for (const id of logicalIdsOf(template, 'AWS::Events::EventBus')) {
      const properties = busProperties.parse(resourceOf(template, id, 'AWS::Events::EventBus').Properties);
      const name = values.resolveString(properties.Name);
      const { EventBusArn } = await clients.events.send(
        new CreateEventBusCommand({ Name: name, Description: properties.Description }),
      );
      values.define(id, { ref: name, attributes: { Arn: z.string().parse(EventBusArn), Name: name } });
    }

    // Dead-letter queues first: a queue's redrive policy names its dead-letter queue's ARN.
    const queues = logicalIdsOf(template, 'AWS::SQS::Queue');
    const deadLetterFirst = [...queues].sort(
      (a, b) =>
        Number(JSON.stringify(resourceOf(template, a, 'AWS::SQS::Queue').Properties).includes('deadLetterTargetArn')) -
        Number(JSON.stringify(resourceOf(template, b, 'AWS::SQS::Queue').Properties).includes('deadLetterTargetArn')),
    );
    for (const id of deadLetterFirst) {
      const { QueueName: _, Tags: __, ...properties } = resourceOf(template, id, 'AWS::SQS::Queue').Properties;
      // CloudFormation's property names are SQS's attribute names; objects (redrive policies) travel as JSON.
      const attributes = Object.fromEntries(
        Object.entries(properties).map(([name, value]) => {
          const resolved = values.resolve(value);
          return [name, typeof resolved === 'object' ? JSON.stringify(resolved) : String(resolved)];
        }),
      );
      const name = physicalName(this.stackName, id);
      const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const url = z.string().parse(QueueUrl);
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      values.define(id, {
        ref: url,
        attributes: { Arn: z.string().parse(Attributes?.QueueArn), QueueName: name, QueueUrl: url },
      });
    }

    for (const id of logicalIdsOf(template, 'AWS::SNS::Topic')) {
      const properties = topicProperties.parse(resourceOf(template, id, 'AWS::SNS::Topic').Properties);
      const name = physicalName(this.stackName, id);
      const { TopicArn } = await clients.sns.send(
        new CreateTopicCommand({
          Name: name,
          Attributes: {
            ...(properties.DisplayName ? { DisplayName: properties.DisplayName } : {}),
            ...(properties.KmsMasterKeyId ? { KmsMasterKeyId: values.resolveString(properties.KmsMasterKeyId) } : {}),
          },
        }),
      );
      const arn = z.string().parse(TopicArn);
      values.define(id, { ref: arn, attributes: { TopicArn: arn, TopicName: name } });
    }

    this.collectResourcePolicies();
  }

  /** Queue and topic policies, resolved, for the evaluator (moto does not enforce them; the proxy does). */
  private collectResourcePolicies(): void {
    const { template, values } = this;
    for (const [type, targets] of [
      ['AWS::SQS::QueuePolicy', 'Queues'],
      ['AWS::SNS::TopicPolicy', 'Topics'],
    ] as const) {
      for (const id of logicalIdsOf(template, type)) {
        const properties = resourceOf(template, id, type).Properties;
        const policy = values.resolve(properties.PolicyDocument);
        for (const target of z.array(z.unknown()).parse(properties[targets])) {
          const targetId = referencedId(target);
          if (!targetId) throw new Error(`${id}: a target that is not a reference`);
          const arn = values.physicalOf(targetId).attributes[type === 'AWS::SQS::QueuePolicy' ? 'Arn' : 'TopicArn'];
          if (arn) this.resourcePolicies.set(arn, policy);
        }
      }
    }
  }

  /** The function's role as Lambda assumes it (the session named after the function), with all its policies. */
  identityOf(spec: FunctionSpec): RoleIdentity {
    return this.identityOfRole(spec.roleLogicalId, spec.name, this.values.resolveString({ Ref: spec.logicalId }));
  }

  /** A role of the template as an assumed-role session, with every policy the template attaches to it. */
  identityOfRole(roleLogicalId: string, name: string, sessionName: string): RoleIdentity {
    const { template, values } = this;
    const role = roleProperties.parse(resourceOf(template, roleLogicalId, 'AWS::IAM::Role').Properties);
    if (role.ManagedPolicyArns || role.Policies) {
      throw new Error(`${roleLogicalId} has managed or inline policies, which this evaluation does not read`);
    }
    const roleArn = values.resolveString({ 'Fn::GetAtt': [roleLogicalId, 'Arn'] });
    const roleName = values.resolveString({ Ref: roleLogicalId });
    const policies = logicalIdsOf(template, 'AWS::IAM::Policy')
      .map((id) => ({
        id,
        properties: policyProperties.parse(resourceOf(template, id, 'AWS::IAM::Policy').Properties),
      }))
      .filter(({ properties }) => properties.Roles.some((target) => referencedId(target) === roleLogicalId))
      .map(({ id, properties }) => ({ name: id, policy: values.resolve(properties.PolicyDocument) }));
    return { name, roleArn, principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${sessionName}`, policies };
  }

  /** The function's `Environment.Variables`, resolved to the physical resources in moto. */
  environmentOf(spec: FunctionSpec): Record<string, string> {
    return Object.fromEntries(
      Object.entries(spec.environment).map(([name, value]) => [name, this.values.resolveString(value)]),
    );
  }
}
