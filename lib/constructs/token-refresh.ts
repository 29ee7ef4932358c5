import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REFRESH_DUE_INDEX } from '../../lambdas/adapters/dynamodb/table-design';
import { scheduleSweep } from './function-schedule';
import { definedOnly, handlerSettings } from './function-settings';
import { grantSealing, grantTableActions, grantUnsealing } from './grants';
import { deadLetterAlarm, deadLetterQueue, secureQueue } from './secure-queue';
import { type FunctionLogProps, functionLogs, ServiceFunction } from './service-function';

export interface TokenRefreshSettings {
  /** Grants whose access token expires within this many hours are refreshed. @default 48 */
  readonly refreshAheadHours?: number;
  /** How often the sweep runs. @default Duration.minutes(30) */
  readonly sweepEvery?: Duration;
  /**
   * Calls to TikTok's refresh at once in all (TikTok's rate limits): two worker functions at most (Lambda's least
   * for a queue), each making half of them; the reads and writes around each call do not count. @default 10
   */
  readonly workerConcurrency?: number;
  /** @default TikTok's */
  readonly tiktokAuthBaseUrl?: string;
  /** Failed refreshes in an hour that raise the alarm. @default 20 */
  readonly failureAlarmThreshold?: number;
}

export interface TokenRefreshProps extends FunctionLogProps {
  readonly table: ITable;
  readonly sealingKey: IKey;
  readonly appSecret: ISecret;
  readonly eventBus: IEventBus;
  readonly settings?: TokenRefreshSettings;
}

export const METRICS_NAMESPACE = 'TikTokShopAuth';
export const serviceMetric = (metricName: string, period = Duration.hours(1)) =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: 'tiktok-shop-auth' },
    statistic: 'Sum',
    period,
  });

/**
 * Keeps every token fresh (design flow 6): EventBridge Scheduler runs the sweep, which enqueues the grants due;
 * workers refresh them from the queue in batches with bounded concurrency, report partial failures, and bring
 * failed ones back with a growing delay; what fails ten times lands in a dead-letter queue, behind an alarm.
 */
export class TokenRefresh extends Construct {
  public readonly queue: Queue;
  public readonly deadLetters: Queue;
  public readonly scheduleDeadLetters: Queue;
  public readonly sweep: ServiceFunction;
  public readonly worker: ServiceFunction;
  public readonly schedule: Schedule;
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: TokenRefreshProps) {
    super(scope, id);
    const { table, sealingKey, appSecret, eventBus } = props;
    const settings = props.settings ?? {};
    const worker = handlerSettings('refresh-worker');
    const workers = 2;
    const perWorker = Math.max(1, Math.ceil((settings.workerConcurrency ?? 10) / workers));
    const refreshEnvironment = definedOnly({
      REFRESH_AHEAD_HOURS: settings.refreshAheadHours?.toString(),
      TIKTOK_AUTH_BASE_URL: settings.tiktokAuthBaseUrl,
    });

    this.deadLetters = deadLetterQueue(this, 'DeadLetters');
    this.queue = secureQueue(this, 'Queue', {
      // Six times the worker's timeout, as Lambda's event source wants.
      visibilityTimeout: Duration.seconds(worker.timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 10 },
    });

    this.sweep = new ServiceFunction(this, 'Sweep', {
      ...handlerSettings('refresh-sweep'),
      ...functionLogs(props),
      description: 'Enqueues the grants whose access token expires within the refresh-ahead window',
      environment: { TABLE_NAME: table.tableName, REFRESH_QUEUE_URL: this.queue.queueUrl, ...refreshEnvironment },
    });
    // GetItem for the circuit breaker, UpdateItem to mark each grant queued (at most one message a grant).
    grantTableActions(this.sweep.function, table, ['GetItem', 'UpdateItem', 'Query'], [REFRESH_DUE_INDEX.indexName]);
    this.queue.grantSendMessages(this.sweep.function);

    this.worker = new ServiceFunction(this, 'Worker', {
      ...worker,
      ...functionLogs(props),
      description: 'Refreshes queued grants under their lease, reporting partial batch failures',
      environment: {
        TABLE_NAME: table.tableName,
        EVENT_BUS_NAME: eventBus.eventBusName,
        APP_SECRET_ID: appSecret.secretArn,
        SEALING_KEY_ID: sealingKey.keyArn,
        REFRESH_QUEUE_URL: this.queue.queueUrl,
        REFRESH_CONCURRENCY: String(perWorker),
        ...refreshEnvironment,
      },
    });
    const workerFunction = this.worker.function;
    grantTableActions(workerFunction, table, ['GetItem', 'UpdateItem']);
    grantSealing(workerFunction, sealingKey);
    grantUnsealing(workerFunction, sealingKey);
    appSecret.grantRead(workerFunction);
    eventBus.grantPutEventsTo(workerFunction);
    workerFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        maxConcurrency: workers,
      }),
    );

    const sweep = scheduleSweep(this, this.sweep.function, {
      description: 'Runs the token refresh sweep',
      schedule: ScheduleExpression.rate(settings.sweepEvery ?? Duration.minutes(30)),
      maxEventAge: Duration.minutes(20),
      deadLetterAlarmDescription: 'The refresh schedule could not invoke its sweep',
    });
    this.schedule = sweep.schedule;
    this.scheduleDeadLetters = sweep.deadLetters;

    this.alarms = [
      deadLetterAlarm(
        this,
        'DeadLettersAlarm',
        this.deadLetters,
        'Grants whose refresh failed ten times are in the dead-letter queue: see the runbook in the README',
      ),
      sweep.alarm,
      new Alarm(this, 'FailuresAlarm', {
        alarmDescription: 'Token refreshes keep failing (TikTok unavailable, or the app credentials): see the runbook',
        metric: serviceMetric('TokenRefreshFailed'),
        threshold: settings.failureAlarmThreshold ?? 20,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
