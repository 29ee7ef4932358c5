import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { CfnPermission, type FunctionUrl, FunctionUrlAuthType, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SHOP_ID_INDEX, WEBHOOK_RECEIPT_KEY_PREFIX } from '../../lambdas/adapters/dynamodb/table-design';
import { acknowledgeControl, CONTROL_TOWER_RULES } from './control-tower';
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
  /**
   * Webhooks handled at once: the function's reserved concurrency, taken from the account's concurrency pool (which
   * must keep 100 unreserved). Beyond it Lambda answers 429, which TikTok retries. @default 100
   */
  readonly concurrency?: number;
  /**
   * Where TikTok posts: the function's own URL, or a route of the service's HTTP API (added by the caller) in the
   * regions that have no function URLs. @default 'function-url'
   */
  readonly endpoint?: WebhookEndpoint;
}

/** Where TikTok's webhooks arrive on AWS. */
export type WebhookEndpoint = 'function-url' | 'http-api';

/**
 * The regions without Lambda function URLs (the Lambda developer guide, read 2026-11): there, TikTok's webhooks must
 * be a route of the HTTP API.
 */
export const REGIONS_WITHOUT_FUNCTION_URLS: readonly string[] = [
  'ap-south-2',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-east-2',
  'ca-west-1',
  'eu-south-2',
  'eu-central-2',
  'il-central-1',
  'me-central-1',
];

/** Webhooks handled at once unless the deployer says otherwise. */
export const DEFAULT_WEBHOOK_CONCURRENCY = 100;

/**
 * The webhook endpoint: a function with a URL of its own, which TikTok posts to. The function verifies TikTok's
 * signature (so it reads the app secret), records receipts, revokes shops and grants, and forwards every webhook to
 * the bus. It never opens or seals a token, so it has no access to the sealing key; it may delete only webhook
 * receipts. Its reserved concurrency bounds a flood, and two alarms watch what TikTok was answered.
 */
export class TikTokWebhooks extends Construct {
  public readonly function: ServiceFunction;
  /**
   * The function's URL (auth NONE, ending in `/`): TikTok cannot sign with IAM, and the function checks its HMAC
   * signature over the raw body before anything else. No API Gateway in front: webhooks are most of the service's
   * requests, and the function URL adds no charge a request.
   */
  public readonly functionUrl?: FunctionUrl;
  /** 5xx answers to TikTok (at the function URL), and invocations refused at the reserved concurrency. */
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: TikTokWebhooksProps) {
    super(scope, id);
    const { table, appSecret, eventBus, settings } = props;
    this.function = new ServiceFunction(this, 'Function', {
      ...handlerSettings('tiktok-webhook'),
      ...functionLogs(props),
      description: "TikTok's webhooks: verified, deduplicated, acted on, forwarded to the bus",
      memorySize: 512,
      reservedConcurrentExecutions: props.concurrency ?? DEFAULT_WEBHOOK_CONCURRENCY,
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

    if ((props.endpoint ?? 'function-url') === 'function-url') this.functionUrl = publicUrl(fn);
    const urlMetric = (metricName: string) =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: fn.functionName },
        period: Duration.minutes(5),
        statistic: 'Sum',
      });
    const alarm = (id: string, alarmDescription: string, metric: Metric, threshold: number) =>
      new Alarm(this, id, {
        alarmDescription,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      // The function answers 500 itself when an effect failed (TikTok retries), which Lambda's Errors do not count.
      // On the HTTP API, the API's 5xx alarm sees them.
      ...(this.functionUrl
        ? [
            alarm(
              'ServerErrorsAlarm',
              "The webhook URL answered TikTok 5xx five times or more in 5 minutes: read the webhook function's logs",
              urlMetric('Url5xxCount'),
              5,
            ),
          ]
        : []),
      // TikTok retries a 429 within minutes: a few in a burst are late webhooks, 50 in 5 minutes a cap too low.
      alarm(
        'ThrottlesAlarm',
        'Webhooks were refused 50 times or more in 5 minutes at the reserved concurrency: a flood, or raise webhookConcurrency',
        fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        50,
      ),
    ];
  }
}

/**
 * The function's own URL, public: TikTok cannot sign with IAM, and the function checks its HMAC signature over the
 * raw body before anything else. CDK adds the public permissions NONE needs: lambda:InvokeFunctionUrl (auth type
 * NONE) and, since Lambda asked for it in October 2025, lambda:InvokeFunction only when invoked via a function URL.
 */
function publicUrl(fn: NodejsFunction): FunctionUrl {
  const url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
  const publicReason =
    "TikTok posts webhooks unsigned by IAM, so the URL must be public; the function refuses anything but a POST to /webhooks/tiktok with TikTok's HMAC signature over the raw body, before reading or writing any data.";
  acknowledgeControl(url, CONTROL_TOWER_RULES.functionUrlAuthorization, publicReason);
  for (const permission of fn.node.findAll()) {
    if (permission instanceof CfnPermission && permission.principal === '*') {
      acknowledgeControl(permission, CONTROL_TOWER_RULES.lambdaPermissionSource, publicReason);
    }
  }
  return url;
}
