import type { IncomingHttpHeaders } from 'node:http';
import * as z from 'zod';
import { ACCOUNT, REGION } from './cloudformation';

/** One authorization AWS makes for a call: an IAM action on a resource, with the condition keys the call sets. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | string[]>>;
}

/** An AWS API call as the proxy read it off the wire. */
export interface AwsCall {
  /** The access key id that signed it: which function's role is calling. */
  readonly accessKeyId: string;
  /** The SigV4 signing name: `dynamodb`, `kms`, `secretsmanager`, `events`, `sqs`, `sns`. */
  readonly service: string;
  readonly operation: string;
  /** JSON protocols (`X-Amz-Target`) or query protocol (`Action=` in a form body). */
  readonly protocol: 'json' | 'query';
  /** What IAM checks for it; empty when the proxy could not tell (the call is then refused). */
  readonly requests: readonly IamRequest[];
  /** Why `requests` is empty. */
  readonly undecodable?: string;
}

/** Where the physical names of the emulated resources turn into the ARNs IAM sees. */
export interface ResourceDirectory {
  /** The table's partition key attribute, for `dynamodb:LeadingKeys`. */
  partitionKeyOf(tableName: string): string | undefined;
  /** A secret's ARN from a `SecretId` (its ARN or its name). */
  secretArn(secretId: string): string;
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

export const tableArn = (nameOrArn: string) =>
  nameOrArn.startsWith('arn:') ? nameOrArn : arn('dynamodb', `table/${nameOrArn}`);
const tableName = (nameOrArn: string) => nameOrArn.replace(/^arn:[^:]+:dynamodb:[^:]*:\d+:table\//, '');

/** A KMS key's ARN from a `KeyId`: its ARN or its id (aliases are not used by this service). */
export function keyArn(keyId: string): string {
  if (keyId.startsWith('arn:')) return keyId;
  if (keyId.startsWith('alias/')) throw new Error(`the proxy does not resolve aliases (${keyId})`);
  return arn('kms', `key/${keyId}`);
}

export const busArn = (nameOrArn: string | undefined) =>
  nameOrArn?.startsWith('arn:') ? nameOrArn : arn('events', `event-bus/${nameOrArn ?? 'default'}`);

/** A queue's ARN from its URL (`http(s)://host/<account>/<name>`). */
export function queueArnFromUrl(queueUrl: string): string {
  const [account, name] = new URL(queueUrl).pathname.split('/').filter(Boolean);
  if (!account || !name) throw new Error(`not a queue URL: ${queueUrl}`);
  return `arn:aws:sqs:${REGION}:${account}:${name}`;
}

const attributeValue = z.object({ S: z.string().optional(), N: z.string().optional(), B: z.string().optional() });
const keyed = z.record(z.string(), attributeValue);
const json = z.record(z.string(), z.unknown());

/**
 * The partition key value an item or key carries: IAM's `dynamodb:LeadingKeys`. Without one the call is refused as
 * unreadable: a `ForAllValues` condition holds for an empty set, so a missing value would allow anything.
 */
function leadingKeys(item: unknown, partitionKey: string | undefined): string[] {
  if (!partitionKey) throw new Error('a table the template does not declare');
  const value = keyed.safeParse(item).data?.[partitionKey];
  const scalar = value?.S ?? value?.N ?? value?.B;
  if (scalar === undefined) throw new Error(`no ${partitionKey} in the item or key`);
  return [scalar];
}

/**
 * The partition key value a Query on the table names (`#pk = :pk`), for `dynamodb:LeadingKeys`; none for an
 * expression it cannot read (no role of the template conditions Query on the key).
 */
function queriedLeadingKeys(input: Record<string, unknown>, partitionKey: string | undefined): string[] {
  const expression = z.string().safeParse(input.KeyConditionExpression);
  if (!partitionKey || !expression.success) return [];
  const names = z.record(z.string(), z.string()).catch({}).parse(input.ExpressionAttributeNames);
  const values = keyed.catch({}).parse(input.ExpressionAttributeValues);
  for (const [, name, placeholder] of expression.data.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    if (!name || !placeholder || (names[name] ?? name) !== partitionKey) continue;
    const value = values[placeholder];
    const scalar = value?.S ?? value?.N ?? value?.B;
    if (scalar !== undefined) return [scalar];
  }
  return [];
}

function dynamoDbRequests(
  operation: string,
  input: Record<string, unknown>,
  directory: ResourceDirectory,
): IamRequest[] {
  const table = (name: unknown) => z.string().parse(name);
  const withKeys = (action: string, name: string, keys: string[], resource = tableArn(name)): IamRequest => ({
    action: `dynamodb:${action}`,
    resource,
    context: keys.length ? { 'dynamodb:LeadingKeys': keys } : {},
  });
  const partitionKey = (name: string) => directory.partitionKeyOf(tableName(name));
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem': {
      const name = table(input.TableName);
      return [withKeys(operation, name, leadingKeys(input.Key, partitionKey(name)))];
    }
    case 'PutItem': {
      const name = table(input.TableName);
      return [withKeys(operation, name, leadingKeys(input.Item, partitionKey(name)))];
    }
    case 'Query':
    case 'Scan': {
      const name = table(input.TableName);
      const index = z.string().optional().parse(input.IndexName);
      const resource = index ? `${tableArn(name)}/index/${index}` : tableArn(name);
      const keys = operation === 'Query' && !index ? queriedLeadingKeys(input, partitionKey(name)) : [];
      return [withKeys(operation, name, keys, resource)];
    }
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const items = z.record(z.string(), z.unknown()).parse(input.RequestItems);
      return Object.entries(items).map(([name, request]) => {
        const pk = partitionKey(name);
        const keys =
          operation === 'BatchGetItem'
            ? z
                .object({ Keys: z.array(z.unknown()) })
                .parse(request)
                .Keys.flatMap((key) => leadingKeys(key, pk))
            : z
                .array(
                  z.object({
                    PutRequest: z.object({ Item: z.unknown() }).optional(),
                    DeleteRequest: z.object({ Key: z.unknown() }).optional(),
                  }),
                )
                .parse(request)
                .flatMap((write) => leadingKeys(write.PutRequest?.Item ?? write.DeleteRequest?.Key, pk));
        return withKeys(operation, name, keys);
      });
    }
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const actions: Record<string, string> = {
        ConditionCheck: 'ConditionCheckItem',
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        Get: 'GetItem',
      };
      return z
        .array(z.record(z.string(), json))
        .parse(input.TransactItems)
        .flatMap((item) =>
          Object.entries(item).map(([kind, part]) => {
            const name = table(part.TableName);
            return withKeys(actions[kind] ?? kind, name, leadingKeys(part.Key ?? part.Item, partitionKey(name)));
          }),
        );
    }
    default:
      return [withKeys(operation, table(input.TableName), [])];
  }
}

/** The ARN a moto ciphertext blob was made under: moto writes the key id in its first 36 bytes. */
function keyOfMotoCiphertext(blob: unknown): string {
  const bytes = Buffer.from(z.string().parse(blob), 'base64');
  return keyArn(bytes.subarray(0, 36).toString('latin1'));
}

function kmsRequests(operation: string, input: Record<string, unknown>): IamRequest[] {
  const context = z.record(z.string(), z.string()).optional().parse(input.EncryptionContext);
  const conditions: Record<string, string | string[]> = { 'kms:CallerAccount': ACCOUNT };
  if (context) {
    conditions['kms:EncryptionContextKeys'] = Object.keys(context);
    for (const [key, value] of Object.entries(context)) conditions[`kms:EncryptionContext:${key}`] = value;
  }
  const keyId = z.string().optional().parse(input.KeyId);
  const resource = keyId ? keyArn(keyId) : keyOfMotoCiphertext(input.CiphertextBlob);
  return [{ action: `kms:${operation}`, resource, context: conditions }];
}

function eventsRequests(operation: string, input: Record<string, unknown>): IamRequest[] {
  if (operation !== 'PutEvents') {
    return [
      {
        action: `events:${operation}`,
        resource: busArn(
          z
            .string()
            .optional()
            .parse(input.EventBusName ?? input.Name),
        ),
        context: {},
      },
    ];
  }
  const entries = z
    .array(z.object({ EventBusName: z.string().optional(), Source: z.string(), DetailType: z.string() }))
    .parse(input.Entries);
  return entries.map((entry) => ({
    action: 'events:PutEvents',
    resource: busArn(entry.EventBusName),
    context: { 'events:source': entry.Source, 'events:detail-type': entry.DetailType },
  }));
}

/** The IAM action of each SQS API: the batch APIs are authorized as their single forms. */
const SQS_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

function sqsRequests(operation: string, input: Record<string, unknown>): IamRequest[] {
  const queueUrl = z.string().optional().parse(input.QueueUrl);
  const queueName = z.string().optional().parse(input.QueueName);
  const resource = queueUrl ? queueArnFromUrl(queueUrl) : `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName ?? '*'}`;
  return [{ action: `sqs:${SQS_ACTIONS[operation] ?? operation}`, resource, context: {} }];
}

function secretsRequests(operation: string, input: Record<string, unknown>, directory: ResourceDirectory) {
  const secretId = z.string().parse(input.SecretId);
  return [{ action: `secretsmanager:${operation}`, resource: directory.secretArn(secretId), context: {} }];
}

function snsRequests(operation: string, input: Record<string, unknown>): IamRequest[] {
  const topic = z.string().parse(input.TopicArn ?? input.TargetArn);
  return [{ action: `sns:${operation === 'PublishBatch' ? 'Publish' : operation}`, resource: topic, context: {} }];
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Reads an SDK request: who signed it, which API, and what IAM would authorize for it. */
export function decodeAwsCall(headers: IncomingHttpHeaders, body: Buffer, directory: ResourceDirectory): AwsCall {
  const credential = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(
    header(headers, 'authorization') ?? '',
  );
  const accessKeyId = credential?.[1] ?? 'unsigned';
  const target = header(headers, 'x-amz-target');
  const form = target ? undefined : new URLSearchParams(body.toString('utf8'));
  const service = credential?.[2] ?? 'unknown';
  const operation = target ? (target.split('.').pop() ?? target) : (form?.get('Action') ?? 'unknown');
  const protocol = target ? 'json' : 'query';
  let input: Record<string, unknown>;
  try {
    input = target ? json.parse(JSON.parse(body.toString('utf8') || '{}')) : Object.fromEntries(form ?? []);
  } catch (error) {
    return {
      accessKeyId,
      service,
      operation,
      protocol,
      requests: [],
      undecodable: `unreadable body: ${String(error)}`,
    };
  }
  try {
    const requests = (() => {
      switch (service) {
        case 'dynamodb':
          return dynamoDbRequests(operation, input, directory);
        case 'kms':
          return kmsRequests(operation, input);
        case 'events':
          return eventsRequests(operation, input);
        case 'sqs':
          return sqsRequests(operation, input);
        case 'secretsmanager':
          return secretsRequests(operation, input, directory);
        case 'sns':
          return snsRequests(operation, input);
        default:
          throw new Error(`the proxy does not know the service ${service}`);
      }
    })();
    return { accessKeyId, service, operation, protocol, requests };
  } catch (error) {
    return {
      accessKeyId,
      service,
      operation,
      protocol,
      requests: [],
      undecodable: error instanceof Error ? error.message : String(error),
    };
  }
}
