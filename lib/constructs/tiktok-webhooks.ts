import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SHOP_ID_INDEX, WEBHOOK_RECEIPT_KEY_PREFIX } from '../../lambdas/adapters/dynamodb/table-design';
import { definedOnly, handlerSettings, type LinkEnvironmentSettings, linkEnvironment } from './function-settings';
import { grantDeleteWithKeyPrefix, grantTableActions } from './grants';
import { type FunctionLogProps, functionLogs, ServiceFunction } from './service-function';

export interface TikTokWebhooksProps extends FunctionLogProps {
  readonly table: ITable;
  readonly appSecret: ISecret;
  readonly eventBus: IEventBus;
  /** Where a type 7 webhook's reminder goes for people. */
  readonly reminderTopic: ITopic;
  /** For the renewal link a type 7 webhook's reminder carries. */
  readonly settings: LinkEnvironmentSettings & {
    /** Days before the end of an authorization to remind at. @default [30, 7, 1] */
    readonly reminderMilestones?: readonly number[];
  };
}

/**
 * The webhook endpoint's function: it verifies TikTok's signature (so it reads the app secret), records receipts,
 * revokes shops and grants, and forwards every webhook to the bus. It never opens or seals a token, so it has no
 * access to the sealing key; it may delete only webhook receipts.
 */
export class TikTokWebhooks extends Construct {
  public readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: TikTokWebhooksProps) {
    super(scope, id);
    const { table, appSecret, eventBus, settings } = props;
    this.function = new ServiceFunction(this, 'Function', {
      ...handlerSettings('tiktok-webhook'),
      ...functionLogs(props),
      description: "TikTok's webhooks: verified, deduplicated, acted on, forwarded to the bus",
      memorySize: 512,
      // The hottest path: its metrics count every webhook; per-invocation logs and traces would dominate the bill.
      systemLogLevel: SystemLogLevel.WARN,
      tracing: Tracing.PASS_THROUGH,
      environment: {
        TABLE_NAME: table.tableName,
        EVENT_BUS_NAME: eventBus.eventBusName,
        APP_SECRET_ID: appSecret.secretArn,
        REMINDER_TOPIC_ARN: props.reminderTopic.topicArn,
        ...linkEnvironment(settings),
        ...definedOnly({ REMINDER_MILESTONES: settings.reminderMilestones?.join(',') }),
      },
    });
    const fn = this.function.function;
    // No BatchWriteItem: its deletes would escape the receipts-only condition below.
    grantTableActions(fn, table, ['GetItem', 'PutItem', 'UpdateItem', 'Query'], [SHOP_ID_INDEX.indexName]);
    grantDeleteWithKeyPrefix(fn, table, WEBHOOK_RECEIPT_KEY_PREFIX);
    appSecret.grantRead(fn);
    eventBus.grantPutEventsTo(fn);
    props.reminderTopic.grantPublish(fn);
  }
}
