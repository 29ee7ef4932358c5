import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { cryptoSecrets } from '../adapters/crypto-secrets';
import { DynamoDbGrantStore } from '../adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbRefusalLedger } from '../adapters/dynamodb/dynamodb-refusal-ledger';
import { EventBridgePublisher } from '../adapters/events/event-bridge-publisher';
import { SnsNotifier } from '../adapters/notify/sns-notifier';
import { SqsMessageDelays, SqsRefreshQueue } from '../adapters/queue/sqs-refresh-queue';
import { EnvelopeTokenSealer } from '../adapters/sealing/envelope-token-sealer';
import { KmsDataKeys } from '../adapters/sealing/kms-data-keys';
import { SecretsManagerAppCredentials } from '../adapters/secrets/secrets-manager-app-credentials';
import { HttpTikTokAuthApi } from '../adapters/tiktok/http-tiktok-auth-api';
import type { Dependencies } from '../domain/dependencies';
import { AWS_CALLS, type AwsCallPolicy, awsClientConfig, createDocumentClient } from './aws-clients';
import { systemClock } from './clock';
import { required, tiktokEndpoints } from './config';
import { logger } from './powertools';
import { invocationBudget } from './time-budget';

/**
 * The real adapters, from the function's environment. Each function asks only for what it uses, and its role
 * allows only that: the seller API never builds the sealer, so it needs no KMS permission.
 */
export type BaseDependencies = Pick<Dependencies, 'store' | 'events' | 'clock' | 'secrets' | 'log' | 'budget'>;

export function awsStore(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS): DynamoDbGrantStore {
  return new DynamoDbGrantStore({ client: createDocumentClient({}, calls), tableName: required(env, 'TABLE_NAME') });
}

/** The refresh circuit breaker's memory, on the same table. */
export function awsRefusalLedger(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS) {
  return new DynamoDbRefusalLedger(createDocumentClient({}, calls), required(env, 'TABLE_NAME'));
}

export function awsBaseDependencies(
  env: NodeJS.ProcessEnv = process.env,
  calls: AwsCallPolicy = AWS_CALLS,
): BaseDependencies {
  return {
    store: awsStore(env, calls),
    events: new EventBridgePublisher(new EventBridgeClient(awsClientConfig(calls)), required(env, 'EVENT_BUS_NAME')),
    clock: systemClock,
    secrets: cryptoSecrets,
    log: logger,
    budget: invocationBudget,
  };
}

export function awsAppCredentials(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS) {
  return new SecretsManagerAppCredentials(
    new SecretsManagerClient(awsClientConfig(calls)),
    required(env, 'APP_SECRET_ID'),
  );
}

export function awsDependencies(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS): Dependencies {
  const credentials = awsAppCredentials(env, calls);
  return {
    ...awsBaseDependencies(env, calls),
    refusals: awsRefusalLedger(env, calls),
    credentials,
    sealer: new EnvelopeTokenSealer(
      new KmsDataKeys(new KMSClient(awsClientConfig(calls)), required(env, 'SEALING_KEY_ID')),
    ),
    tiktok: new HttpTikTokAuthApi({ credentials, ...tiktokEndpoints(env), log: logger, budget: invocationBudget }),
  };
}

export function awsRefreshQueue(
  env: NodeJS.ProcessEnv = process.env,
  calls: AwsCallPolicy = AWS_CALLS,
): SqsRefreshQueue {
  return new SqsRefreshQueue(new SQSClient(awsClientConfig(calls)), required(env, 'REFRESH_QUEUE_URL'));
}

/** What the refresh worker needs of its queue: to bring a message back later. */
export function awsMessageDelays(
  env: NodeJS.ProcessEnv = process.env,
  calls: AwsCallPolicy = AWS_CALLS,
): SqsMessageDelays {
  return new SqsMessageDelays(new SQSClient(awsClientConfig(calls)), required(env, 'REFRESH_QUEUE_URL'));
}

export function awsNotifier(env: NodeJS.ProcessEnv = process.env, calls: AwsCallPolicy = AWS_CALLS): SnsNotifier {
  return new SnsNotifier(new SNSClient(awsClientConfig(calls)), required(env, 'REMINDER_TOPIC_ARN'));
}
