import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cryptoSecrets } from '../adapters/crypto-secrets';
import { DynamoDbGrantStore } from '../adapters/dynamodb/dynamodb-grant-store';
import { EventBridgePublisher } from '../adapters/events/event-bridge-publisher';
import { EnvelopeTokenSealer } from '../adapters/sealing/envelope-token-sealer';
import { KmsDataKeys } from '../adapters/sealing/kms-data-keys';
import { SecretsManagerAppCredentials } from '../adapters/secrets/secrets-manager-app-credentials';
import { HttpTikTokAuthApi } from '../adapters/tiktok/http-tiktok-auth-api';
import type { Dependencies } from '../domain/dependencies';
import { AWS_CALL_TIMEOUTS, createDocumentClient } from './aws-clients';
import { systemClock } from './clock';
import { required, tiktokEndpoints } from './config';
import { logger } from './powertools';

/**
 * The real adapters, from the function's environment. Each function asks only for what it uses, and its role
 * allows only that: the seller API never builds the sealer, so it needs no KMS permission.
 */
const awsClientConfig = { maxAttempts: 3, requestHandler: AWS_CALL_TIMEOUTS };

export type BaseDependencies = Pick<Dependencies, 'store' | 'events' | 'clock' | 'secrets' | 'log'>;

export function awsBaseDependencies(env: NodeJS.ProcessEnv = process.env): BaseDependencies {
  return {
    store: new DynamoDbGrantStore({ client: createDocumentClient(), tableName: required(env, 'TABLE_NAME') }),
    events: new EventBridgePublisher(new EventBridgeClient(awsClientConfig), required(env, 'EVENT_BUS_NAME')),
    clock: systemClock,
    secrets: cryptoSecrets,
    log: logger,
  };
}

export function awsDependencies(env: NodeJS.ProcessEnv = process.env): Dependencies {
  const credentials = new SecretsManagerAppCredentials(
    new SecretsManagerClient(awsClientConfig),
    required(env, 'APP_SECRET_ID'),
  );
  return {
    ...awsBaseDependencies(env),
    credentials,
    sealer: new EnvelopeTokenSealer(new KmsDataKeys(new KMSClient(awsClientConfig), required(env, 'SEALING_KEY_ID'))),
    tiktok: new HttpTikTokAuthApi({ credentials, ...tiktokEndpoints(env), log: logger }),
  };
}
