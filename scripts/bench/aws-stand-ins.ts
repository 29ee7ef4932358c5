/**
 * The AWS services and TikTok Shop that the bundle benchmark's functions reach, on this machine: dynalite for
 * DynamoDB (in this process), moto's server for Secrets Manager, KMS, EventBridge, SQS and SNS, and the TikTok Shop
 * sandbox on a port of its own. Functions find them through `AWS_ENDPOINT_URL_<SERVICE>` and the TikTok base URLs.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createGrantTable } from '../../lambdas/adapters/dynamodb/create-table';
import { systemClock } from '../../lambdas/shared/clock';
import { LOCAL_AWS, type LocalDynamoDb, startDynalite } from '../../local/embedded-dynamodb';
import { TikTokSandbox } from '../../local/sandbox/tiktok-sandbox';
import { freePort, startMotoServer } from '../../test/deployed/support/moto-server';

export const APP = { appKey: 'bench-app-key', appSecret: 'bench-app-secret' } as const;
const TABLE_NAME = 'bench-grants';

export interface StandIns {
  /** Every variable the functions read: resource names, endpoints, dummy credentials. */
  readonly env: Readonly<Record<string, string>>;
  readonly dynamo: LocalDynamoDb;
  readonly sandbox: TikTokSandbox;
  stop(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The sandbox at the root of a loopback port, as TikTok's auth and API hosts. */
async function serveSandbox(sandbox: TikTokSandbox) {
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      await sandbox.handle(request, response, new URL(request.url ?? '/', 'http://sandbox').pathname, body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, stop };
}

/** The resources the stack would create, in moto: the sealing key, the app secret, the bus, queue and topic. */
async function createMotoResources(endpoint: string) {
  const config = { ...LOCAL_AWS, endpoint };
  const kms = new KMSClient(config);
  const secrets = new SecretsManagerClient(config);
  const events = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  try {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'bench sealing key' }));
    const { ARN } = await secrets.send(
      new CreateSecretCommand({
        Name: 'bench-app-secret',
        SecretString: JSON.stringify({ app_key: APP.appKey, app_secret: APP.appSecret }),
      }),
    );
    await events.send(new CreateEventBusCommand({ Name: 'bench-bus' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-refresh' }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'bench-reminders' }));
    if (!KeyMetadata?.Arn || !ARN || !QueueUrl || !TopicArn) throw new Error('moto did not create every resource');
    return {
      SEALING_KEY_ID: KeyMetadata.Arn,
      APP_SECRET_ID: ARN,
      EVENT_BUS_NAME: 'bench-bus',
      REFRESH_QUEUE_URL: QueueUrl,
      REMINDER_TOPIC_ARN: TopicArn,
    };
  } finally {
    for (const client of [kms, secrets, events, sqs, sns]) client.destroy();
  }
}

export async function startStandIns(): Promise<StandIns> {
  const moto = await startMotoServer(await freePort());
  const dynamo = await startDynalite();
  const sandbox = new TikTokSandbox({
    ...APP,
    serviceId: 'bench-service-id',
    redirectUrl: 'https://auth.example/oauth/callback',
    webhookUrl: 'https://auth.example/webhooks/tiktok',
    clock: systemClock,
  });
  const served = await serveSandbox(sandbox);
  const stop = async () => {
    await Promise.allSettled([served.stop(), dynamo.stop(), moto.stop()]);
  };
  try {
    await createGrantTable(dynamo.client, TABLE_NAME);
    const resources = await createMotoResources(moto.url);
    const env = {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.url,
      AWS_ENDPOINT_URL_KMS: moto.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.url,
      AWS_ENDPOINT_URL_SQS: moto.url,
      AWS_ENDPOINT_URL_SNS: moto.url,
      TABLE_NAME,
      ...resources,
      TIKTOK_AUTH_BASE_URL: served.url,
      TIKTOK_API_BASE_URL: served.url,
      TIKTOK_SERVICE_ID: 'bench-service-id',
      SUCCESS_URL: 'https://app.example/tiktok/connected',
      CLAIM_URL: 'https://app.example/tiktok/claim',
    };
    return { env, dynamo, sandbox, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
