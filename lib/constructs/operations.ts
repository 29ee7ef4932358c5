import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TOKENS_NOT_STORED_MESSAGE } from '../../lambdas/domain/refresh-grant';
import { SUSPECT_REFUSAL_MESSAGE } from '../../lambdas/domain/refusals';
import { serviceKey } from './service-key';
import { METRICS_NAMESPACE, serviceMetric } from './token-refresh';

export interface OperationsProps {
  /** Every function of the service, by a readable name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The Redirect URL's function: its invocations are the sellers coming back from TikTok. */
  readonly callbackFunction: IFunction;
  readonly api: HttpApi;
  readonly refreshQueue: IQueue;
  /** The dead-letter queues, by a readable name. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** Alarms made elsewhere that the platform team must hear of too. */
  readonly alarms: readonly Alarm[];
  /** Who gets the alarms by e-mail. @default nobody (subscribe to the topic later) */
  readonly alarmEmail?: string;
  /** The log groups of the functions that store refreshed tokens, watched for tokens that could not be stored. */
  readonly tokenWriterLogs: readonly ILogGroup[];
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * What the platform team watches: an SNS topic every alarm notifies (encrypted with a key CloudWatch may use), the
 * alarms that are not any one feature's, and one dashboard of callbacks, webhooks, refreshes, reminders, queues,
 * functions and the API.
 */
export class Operations extends Construct {
  public readonly topic: Topic;
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);

    const key = serviceKey(this, 'TopicKey', {
      description: 'Encrypts the tiktok-shop-auth alarm topic; CloudWatch may use it to publish',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        // Only for this account's alarms: no other account can make CloudWatch use this key.
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'tiktok-shop-auth alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number, evaluationPeriods = 1) =>
      new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    const own = [
      ...Object.entries(props.functions).map(([name, fn]) =>
        alarm(
          `${name}ErrorsAlarm`,
          `The ${name} function failed: read its logs`,
          fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
          1,
        ),
      ),
      alarm(
        'ApiServerErrorsAlarm',
        'The API answered 5xx five times or more in 5 minutes',
        props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        5,
      ),
      alarm(
        'WebhookSignaturesAlarm',
        'Many webhooks were refused for their signature: the app secret may have changed in Partner Center, or someone is probing',
        serviceMetric('WebhookSignatureRejected', Duration.minutes(15)),
        20,
      ),
      alarm(
        'TokensNotStoredAlarm',
        "TikTok's new tokens for a seller could not be stored: if the refresh token rotated, that seller must authorize again",
        this.logLineMetric('NewTokensNotStored', TOKENS_NOT_STORED_MESSAGE, props.tokenWriterLogs),
        1,
      ),
      alarm(
        'CallbackCodesRefusedAlarm',
        'TikTok refused 50 or more codes that came without a state in 5 minutes: someone may be sending made-up codes, each one a token call with the app credentials',
        // A seller who reloads the install page spends one refused code: 50 in 5 minutes are not sellers. A flood
        // held at the callback's default throttle (10 a second) reaches it in 5 seconds.
        serviceMetric('CallbackCodeRefusedWithoutState', FIVE_MINUTES),
        50,
      ),
      alarm(
        'AppCredentialsSuspectAlarm',
        'App credentials suspect: check the app secret against Partner Center; TikTok refused 3 or more refreshes in 15 minutes with codes not known to be about the seller (after 3 sellers in 15 minutes every refresh pauses)',
        this.logLineMetric(
          'TikTokRefusalSuspect',
          SUSPECT_REFUSAL_MESSAGE,
          props.tokenWriterLogs,
          Duration.minutes(15),
        ),
        3,
      ),
      alarm(
        'RefreshBacklogAlarm',
        'A refresh has waited over 2 hours in the queue: the workers are not keeping up or keep failing',
        props.refreshQueue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        2 * 3600,
      ),
    ];
    this.alarms = [...props.alarms, ...own];

    const action = new SnsAction(this.topic);
    for (const watched of this.alarms) {
      watched.addAlarmAction(action);
      watched.addOkAction(action);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    const count = (metricName: string, label: string) => serviceMetric(metricName, FIVE_MINUTES).with({ label });
    const webhooksByType = (metricName: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},service,type} MetricName="${metricName}"', 'Sum', 300)`,
        label: '',
        period: FIVE_MINUTES,
      });
    const functions = Object.entries(props.functions);
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## tiktok-shop-auth\nCallbacks, webhooks, token refreshes and reminders. Alarms go to the alarm topic; the README says what each one means.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Callbacks (sellers coming back from TikTok)',
        left: [
          props.callbackFunction.metricInvocations({ period: FIVE_MINUTES, label: 'callbacks' }),
          props.callbackFunction.metricErrors({ period: FIVE_MINUTES, label: 'errors' }),
          count('CallbackCodeRefused', 'codes TikTok refused'),
          count('CallbackCodeRefusedWithoutState', 'of them without a state'),
        ],
        width: 6,
      }),
      new GraphWidget({ title: 'Webhooks by type', left: [webhooksByType('WebhookProcessed')], width: 6 }),
      new GraphWidget({
        title: 'Webhooks refused',
        left: [
          count('WebhookSignatureRejected', 'bad signature'),
          count('WebhookRejectedTooLarge', 'too large'),
          count('WebhookRejectedMalformed', 'signed, not a webhook'),
          count('WebhookRejectedRoute', 'another method or path'),
        ],
        width: 6,
      }),
      new GraphWidget({
        title: 'Stale webhooks ignored (older than a newer authorization, or replayed)',
        left: [webhooksByType('WebhookStale')],
        width: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Token refreshes',
        left: [
          count('TokensRefreshed', 'refreshed'),
          count('TokenRefreshFailed', 'failed (retrying)'),
          count('ReauthorizationRequired', 'must authorize again'),
          count('RefreshRefusedSuspect', 'refused suspectly'),
          count('RefreshPaused', 'paused (breaker)'),
          count('RefreshDeferred', 'handed back unstarted'),
          count('GrantsDueForRefresh', 'due at the sweep'),
        ],
        width: 8,
      }),
      new GraphWidget({ title: 'Renewal reminders sent', left: [count('RemindersSent', 'reminders')], width: 8 }),
      new GraphWidget({
        title: 'Queues',
        left: [
          props.refreshQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, label: 'refresh queue' }),
          ...Object.entries(props.deadLetterQueues).map(([name, queue]) =>
            queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, label: name }),
          ),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors',
        left: functions.map(([name, fn]) => fn.metricErrors({ period: FIVE_MINUTES, label: name })),
        width: 12,
      }),
      new GraphWidget({
        title: 'Function duration, p99 (ms)',
        left: functions.map(([name, fn]) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: name })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [
          props.api.metricCount({ period: FIVE_MINUTES, label: 'requests' }),
          props.api.metricClientError({ period: FIVE_MINUTES, label: '4xx' }),
          props.api.metricServerError({ period: FIVE_MINUTES, label: '5xx' }),
        ],
        right: [props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'latency p99 (ms)' })],
        width: 12,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
  }

  /** Counts one log line of the refresh path (by its message) in each token writer's logs, as one metric. */
  private logLineMetric(
    metricName: string,
    message: string,
    logGroups: readonly ILogGroup[],
    period: Duration = FIVE_MINUTES,
  ): IMetric {
    for (const [index, logGroup] of logGroups.entries()) {
      new MetricFilter(this, `${metricName}${index}`, {
        logGroup,
        filterPattern: FilterPattern.stringValue('$.message', '=', message),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: '1',
        dimensions: { service: '$.service' },
      });
    }
    return serviceMetric(metricName, period);
  }
}
