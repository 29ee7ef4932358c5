import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createDocumentClient } from '../lambdas/shared/aws-clients';

/** A DynamoDB endpoint on this machine, and clients for it. */
export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/** Any key works locally; the SDK only needs one to sign with. */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

export function localClients(endpoint: string) {
  const config = { ...LOCAL_AWS, endpoint };
  return { client: new DynamoDBClient(config), documentClient: createDocumentClient(config) };
}

/** Starts dynalite (DynamoDB's wire protocol, in this process, in memory) on a loopback port. */
export async function startDynalite(port = 0): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = localClients(endpoint);
  return {
    endpoint,
    ...clients,
    stop: async () => {
      clients.documentClient.destroy();
      clients.client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
