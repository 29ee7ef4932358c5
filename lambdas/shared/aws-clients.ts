import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Timeouts and attempts of AWS calls: a hung call helps nobody. */
export interface AwsCallPolicy {
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number };
}

export const AWS_CALLS: AwsCallPolicy = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2500 },
};

/** For the webhook path: TikTok wants its answer within 3 seconds, all calls included. */
export const FAST_AWS_CALLS: AwsCallPolicy = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 300, requestTimeout: 700 },
};

/** A DynamoDB document client with this service's timeouts and marshalling rules. */
export function createDocumentClient(
  config: DynamoDBClientConfig = {},
  policy: AwsCallPolicy = AWS_CALLS,
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...policy, ...config });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
