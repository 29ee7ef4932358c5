/**
 * The baseline every function is measured against: the least a function of this service does, one DynamoDB
 * client and one GetItem, with the SDK's defaults. The key to read comes with the event.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

let client: DynamoDBClient | undefined;

export const handler = async (event: { pk: string; sk: string }) => {
  client ??= new DynamoDBClient({});
  const { Item } = await client.send(
    new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { pk: { S: event.pk }, sk: { S: event.sk } } }),
  );
  return { statusCode: Item ? 200 : 404 };
};
