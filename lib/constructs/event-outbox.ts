import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PENDING_EVENTS_INDEX } from '../../lambdas/adapters/dynamodb/table-design';
import { scheduleSweep } from './function-schedule';
import { handlerSettings, type LinkEnvironmentSettings, linkEnvironment } from './function-settings';
import { grantTableActions } from './grants';
import { type FunctionLogProps, functionLogs, ServiceFunction } from './service-function';
import { serviceMetric } from './token-refresh';

export interface EventOutboxProps extends FunctionLogProps {
  readonly table: ITable;
  readonly eventBus: IEventBus;
  /** Where the readable reminders go; the sweep delivers those left undelivered too. */
  readonly reminderTopic: ITopic;
  /** The market's authorize page and the service id, for the renewal links made as reminders are delivered. */
  readonly settings: LinkEnvironmentSettings;
}

/**
 * The outbox's recovery path: every 5 minutes a sweep delivers the events and messages that were stored with their
 * change but not delivered (the bus or SNS failed, or the function died between its write and its delivery). It
 * reads the sparse index of grants with pending entries, never the table.
 */
export class EventOutbox extends Construct {
  public readonly sweep: ServiceFunction;
  public readonly schedule: Schedule;
  public readonly scheduleDeadLetters: Queue;
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: EventOutboxProps) {
    super(scope, id);
    const { table, eventBus, reminderTopic } = props;

    this.sweep = new ServiceFunction(this, 'Sweep', {
      ...handlerSettings('outbox-sweep'),
      ...functionLogs(props),
      description: 'Delivers lifecycle events and reminders that were stored but not delivered',
      // One sweep at a time: two would send the same reminder e-mail twice.
      reservedConcurrentExecutions: 1,
      environment: {
        TABLE_NAME: table.tableName,
        EVENT_BUS_NAME: eventBus.eventBusName,
        REMINDER_TOPIC_ARN: reminderTopic.topicArn,
        ...linkEnvironment(props.settings),
      },
    });
    const fn = this.sweep.function;
    // PutItem: the renewal link's state, stored hashed.
    grantTableActions(fn, table, ['GetItem', 'PutItem', 'UpdateItem', 'Query'], [PENDING_EVENTS_INDEX.indexName]);
    eventBus.grantPutEventsTo(fn);
    reminderTopic.grantPublish(fn);

    const sweep = scheduleSweep(this, fn, {
      description: 'Runs the outbox recovery sweep',
      schedule: ScheduleExpression.rate(Duration.minutes(5)),
      maxEventAge: Duration.minutes(10),
      deadLetterAlarmDescription:
        'The outbox schedule could not invoke its sweep: undelivered events wait until it can',
    });
    this.schedule = sweep.schedule;
    this.scheduleDeadLetters = sweep.deadLetters;

    this.alarms = [
      sweep.alarm,
      new Alarm(this, 'UndeliveredAlarm', {
        alarmDescription:
          'Events stored with their change could not be delivered for 15 minutes: the bus or the reminder topic refuses them',
        metric: serviceMetric('EventsUndelivered', Duration.minutes(5)),
        threshold: 1,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
