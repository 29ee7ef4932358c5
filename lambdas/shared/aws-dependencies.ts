import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { cryptoSecrets } from '../adapters/crypto-secrets';
import { DynamoDbGrantStore } from '../adapters/dynamodb/dynamodb-grant-store';
import { EventBridgePublisher } from '../adapters/events/event-bridge-publisher';
import { SnsNotifier } from '../adapters/notify/sns-notifier';
import { SqsRefreshQueue } from '../adapters/queue/sqs-refresh-queue';
import { EnvelopeTokenSealer } from '../adapters/sealing/envelope-token-sealer';
import { KmsDataKeys } from '../adapters/sealing/kms-data-keys';
import { SecretsManagerAppCredentials } from '../adapters/secrets/secrets-manager-app-credentials';
import { HttpTikTokAuthApi } from '../adapters/tiktok/http-tiktok-auth-api';
import type { Dependencies } from '../domain/dependencies';
import { AWS_CALLS, type AwsCallPolicy, createDocumentClient } from './aws-clients';
import { systemClock } from './clock';
import { required, tiktokEndpoints } from './config';
import { logger } from './powertools';

/**
 * The real adapters, from the function's environment. Each function asks only for what it uses, and its role
 * allows only that: the seller API never builds the sealer, so it needs no KMS permission.
 */
export type BaseDependencies = Pick<Dependencies, 'store' | 'events' | 'clock' | 'secrets' | 'log'>;

export function awsStore(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS): DynamoDbGrantStore {
  return new DynamoDbGrantStore({ client: createDocumentClient({}, calls), tableName: required(env, 'TABLE_NAME') });
}

export function awsBaseDependencies(
  env: NodeJS.ProcessEnv = process.env,
  calls: AwsCallPolicy = AWS_CALLS,
): BaseDependencies {
  return {
    store: awsStore(env, calls),
    events: new EventBridgePublisher(new EventBridgeClient(calls), required(env, 'EVENT_BUS_NAME')),
    clock: systemClock,
    secrets: cryptoSecrets,
    log: logger,
  };
}

export function awsAppCredentials(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS) {
  return new SecretsManagerAppCredentials(new SecretsManagerClient(calls), required(env, 'APP_SECRET_ID'));
}

export function awsDependencies(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS): Dependencies {
  const credentials = awsAppCredentials(env, calls);
  return {
    ...awsBaseDependencies(env, calls),
    credentials,
    sealer: new EnvelopeTokenSealer(new KmsDataKeys(new KMSClient(calls), required(env, 'SEALING_KEY_ID'))),
    tiktok: new HttpTikTokAuthApi({ credentials, ...tiktokEndpoints(env), log: logger }),
  };
}

export function awsRefreshQueue(
  env: NodeJS.ProcessEnv = process.env,
  calls: AwsCallPolicy = AWS_CALLS,
): SqsRefreshQueue {
  return new SqsRefreshQueue(new SQSClient(calls), required(env, 'REFRESH_QUEUE_URL'));
}

export function awsNotifier(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS): SnsNotifier {
  return new SnsNotifier(new SNSClient(calls), required(env, 'REMINDER_TOPIC_ARN'));
}
