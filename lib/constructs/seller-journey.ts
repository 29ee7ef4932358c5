import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SHOP_ID_INDEX, STATUS_INDEX } from '../../lambdas/adapters/dynamodb/table-design';
import type { FunctionGroup } from '../../lambdas/shared/routes';
import { definedOnly, handlerSettings, type LinkEnvironmentSettings, linkEnvironment } from './function-settings';
import { grantSealing, grantTableActions, grantUnsealing } from './grants';
import { type FunctionLogProps, functionLogs, ServiceFunction } from './service-function';

/** Where the seller's browser goes next, and how TikTok is reached. */
export interface SellerJourneySettings extends LinkEnvironmentSettings {
  /** Where a connected seller is sent (with `openId`, `accountId`, `returnTo`). */
  readonly successUrl: string;
  /** Where an App Store install is sent (with `ticket`) to log in and be claimed. */
  readonly claimUrl: string;
  /** Where a failed authorization is sent (with `error`). @default a page of the service */
  readonly errorUrl?: string;
  /** @default TikTok's */
  readonly tiktokAuthBaseUrl?: string;
  /** @default TikTok's */
  readonly tiktokApiBaseUrl?: string;
}

export interface SellerJourneyProps extends FunctionLogProps {
  readonly table: ITable;
  readonly sealingKey: IKey;
  readonly appSecret: ISecret;
  readonly eventBus: IEventBus;
  readonly settings: SellerJourneySettings;
}

/**
 * The functions of the seller's journey, each allowed only what it does: the callback seals tokens but cannot
 * open them; the seller API touches neither KMS nor the app secret; only the credentials function opens tokens.
 */
export class SellerJourney extends Construct {
  public readonly functions: Record<Exclude<FunctionGroup, 'tiktok-webhook'>, ServiceFunction>;

  constructor(scope: Construct, id: string, props: SellerJourneyProps) {
    super(scope, id);
    const { table, sealingKey, appSecret, eventBus, settings } = props;
    const common = { TABLE_NAME: table.tableName, EVENT_BUS_NAME: eventBus.eventBusName };
    const tiktok = definedOnly({
      APP_SECRET_ID: appSecret.secretArn,
      SEALING_KEY_ID: sealingKey.keyArn,
      TIKTOK_AUTH_BASE_URL: settings.tiktokAuthBaseUrl,
      TIKTOK_API_BASE_URL: settings.tiktokApiBaseUrl,
    });

    const callback = new ServiceFunction(this, 'OAuthCallback', {
      ...handlerSettings('oauth-callback'),
      ...functionLogs(props),
      description: 'The Redirect URL: exchanges the code, stores the sealed grant, sends the seller on',
      environment: {
        ...common,
        ...tiktok,
        ...definedOnly({
          SUCCESS_URL: settings.successUrl,
          CLAIM_URL: settings.claimUrl,
          ERROR_URL: settings.errorUrl,
        }),
      },
    });
    // The shop index: a shop listed here that another seller held before has its old copy revoked.
    grantTableActions(
      callback.function,
      table,
      ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
      [SHOP_ID_INDEX.indexName],
    );
    grantSealing(callback.function, sealingKey);
    appSecret.grantRead(callback.function);
    eventBus.grantPutEventsTo(callback.function);

    const sellerApi = new ServiceFunction(this, 'SellerApi', {
      ...handlerSettings('seller-api'),
      ...functionLogs(props),
      description: 'Internal API: authorization links, App Store claims, seller views, disconnecting',
      environment: { ...common, ...linkEnvironment(settings) },
    });
    grantTableActions(
      sellerApi.function,
      table,
      ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
      [STATUS_INDEX.indexName],
    );
    eventBus.grantPutEventsTo(sellerApi.function);

    const credentials = new ServiceFunction(this, 'Credentials', {
      ...handlerSettings('credentials'),
      ...functionLogs(props),
      description: 'Internal API: a valid access token and shop cipher, refreshed first when it is about to expire',
      // The app's services call it most: per-invocation logs and traces would dominate its cost.
      systemLogLevel: SystemLogLevel.WARN,
      tracing: Tracing.PASS_THROUGH,
      environment: { ...common, ...tiktok },
    });
    grantTableActions(credentials.function, table, ['GetItem', 'UpdateItem', 'Query'], [SHOP_ID_INDEX.indexName]);
    grantSealing(credentials.function, sealingKey);
    grantUnsealing(credentials.function, sealingKey);
    appSecret.grantRead(credentials.function);
    eventBus.grantPutEventsTo(credentials.function);

    this.functions = { 'oauth-callback': callback, 'seller-api': sellerApi, credentials };
  }
}
