import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type IQueue, Queue, QueueEncryption, type QueueProps, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** An SQS queue as this service keeps them: encrypted at rest, TLS only, messages kept 14 days. */
export function secureQueue(scope: Construct, id: string, props: QueueProps = {}): Queue {
  return new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    ...props,
  });
}

/**
 * A dead-letter queue: a secure queue declared as one (its redrive-allow policy), so that Control Tower's
 * CT.SQS.PR.1 does not ask it for a dead-letter queue of its own. Nothing consumes it, so nothing could fail to
 * process its messages; an alarm watches it instead. `allowAll` is SQS's default, stated: the refresh queue's own
 * dead-letter queue cannot name it (each would refer to the other), and a schedule's is not an SQS redrive at all.
 */
export function deadLetterQueue(scope: Construct, id: string): Queue {
  return secureQueue(scope, id, { redriveAllowPolicy: { redrivePermission: RedrivePermission.ALLOW_ALL } });
}

/** An alarm as soon as a dead-letter queue holds a message: something failed every retry. */
export function deadLetterAlarm(scope: Construct, id: string, queue: IQueue, description: string): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
