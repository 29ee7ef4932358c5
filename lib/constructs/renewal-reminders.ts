import { Duration } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { type Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AUTHORIZATION_EXPIRY_INDEX } from '../../lambdas/adapters/dynamodb/table-design';
import { scheduleSweep } from './function-schedule';
import { definedOnly, handlerSettings, type LinkEnvironmentSettings, linkEnvironment } from './function-settings';
import { grantTableActions } from './grants';
import { type FunctionLogProps, functionLogs, ServiceFunction } from './service-function';

export interface RenewalRemindersProps extends FunctionLogProps {
  readonly table: ITable;
  readonly eventBus: IEventBus;
  readonly settings: LinkEnvironmentSettings & {
    /** Days before the end of an authorization to remind at. @default [30, 7, 1] */
    readonly reminderMilestones?: readonly number[];
    /** Who gets the readable reminders by e-mail. @default nobody (subscribe to the topic later) */
    readonly reminderEmail?: string;
  };
}

/**
 * Reminds sellers before their authorization ends (design flow 7): a daily schedule runs the sweep, which sends
 * `Authorization Expiring` on the bus for machines and a readable message on an SNS topic for people.
 */
export class RenewalReminders extends Construct {
  public readonly topic: Topic;
  public readonly sweep: ServiceFunction;
  public readonly schedule: Schedule;
  public readonly scheduleDeadLetters: Queue;
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: RenewalRemindersProps) {
    super(scope, id);
    const { table, eventBus, settings } = props;

    this.topic = new Topic(this, 'Topic', {
      displayName: 'TikTok Shop authorizations ending soon',
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (settings.reminderEmail) this.topic.addSubscription(new EmailSubscription(settings.reminderEmail));

    this.sweep = new ServiceFunction(this, 'Sweep', {
      ...handlerSettings('reminder-sweep'),
      ...functionLogs(props),
      description: 'Reminds sellers whose authorization ends soon, once per milestone',
      environment: {
        TABLE_NAME: table.tableName,
        EVENT_BUS_NAME: eventBus.eventBusName,
        REMINDER_TOPIC_ARN: this.topic.topicArn,
        ...linkEnvironment(settings),
        ...definedOnly({ REMINDER_MILESTONES: settings.reminderMilestones?.join(',') }),
      },
    });
    const fn = this.sweep.function;
    grantTableActions(fn, table, ['GetItem', 'PutItem', 'UpdateItem', 'Query'], [AUTHORIZATION_EXPIRY_INDEX.indexName]);
    this.topic.grantPublish(fn);
    eventBus.grantPutEventsTo(fn);

    const sweep = scheduleSweep(this, fn, {
      description: 'Runs the renewal reminder sweep',
      schedule: ScheduleExpression.rate(Duration.days(1)),
      maxEventAge: Duration.hours(6),
      deadLetterAlarmDescription:
        'The reminder schedule could not invoke its sweep: sellers may miss a renewal reminder',
    });
    this.schedule = sweep.schedule;
    this.scheduleDeadLetters = sweep.deadLetters;
    this.alarms = [sweep.alarm];
  }
}
