import { type Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, type ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { deadLetterAlarm, deadLetterQueue } from './secure-queue';

export interface FunctionScheduleProps {
  readonly description: string;
  readonly schedule: ScheduleExpression;
  readonly deadLetterQueue: IQueue;
  /** How long Scheduler keeps trying an invocation. */
  readonly maxEventAge: Duration;
}

/** An EventBridge Scheduler schedule that invokes one function, with retries, a dead-letter queue, and a role of its own. */
export function scheduleFunction(scope: Construct, id: string, fn: IFunction, props: FunctionScheduleProps): Schedule {
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
    description: props.description,
  });
  const schedule = new Schedule(scope, id, {
    description: props.description,
    schedule: props.schedule,
    target: new LambdaInvoke(fn, {
      role,
      retryAttempts: 3,
      maxEventAge: props.maxEventAge,
      deadLetterQueue: props.deadLetterQueue,
    }),
  });
  const functionId = Stack.of(scope).getLogicalId(fn.node.defaultChild as CfnFunction);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
    reason:
      "CDK's invoke grant covers the function's versions and aliases (ARN:*); the role may invoke this one function only.",
  });
  return schedule;
}

export interface SweepScheduleProps extends Omit<FunctionScheduleProps, 'deadLetterQueue'> {
  /** What the alarm says when the schedule cannot invoke its sweep. */
  readonly deadLetterAlarmDescription: string;
}

/**
 * The schedule of a sweep, with an encrypted dead-letter queue of its own for invocations Scheduler could not make,
 * and an alarm on it: the shape every sweep of this service shares.
 */
export function scheduleSweep(
  scope: Construct,
  fn: IFunction,
  props: SweepScheduleProps,
): { schedule: Schedule; deadLetters: Queue; alarm: Alarm } {
  const deadLetters = deadLetterQueue(scope, 'ScheduleDeadLetters');
  Validations.of(deadLetters).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of a schedule (${props.description}); an alarm watches it.`,
  });
  const schedule = scheduleFunction(scope, 'Schedule', fn, { ...props, deadLetterQueue: deadLetters });
  const alarm = deadLetterAlarm(scope, 'ScheduleDeadLettersAlarm', deadLetters, props.deadLetterAlarmDescription);
  return { schedule, deadLetters, alarm };
}
