import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Short timeouts on every AWS call: TikTok's webhooks want an answer within 3 seconds, and a hung call helps nobody. */
export const AWS_CALL_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 2500 } as const;

/** A DynamoDB document client with this service's timeouts and marshalling rules. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ maxAttempts: 3, requestHandler: AWS_CALL_TIMEOUTS, ...config });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
