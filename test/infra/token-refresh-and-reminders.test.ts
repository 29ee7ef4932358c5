import { Match } from 'aws-cdk-lib/assertions';
import { actionsOf, statementsOf, synthStack } from './synth';

describe('refresh and reminders on AWS', () => {
  const { template, stack } = synthStack({
    reminderEmail: 'ops@app.example',
    refreshConcurrency: 4,
  });
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);

  describe('schedules', () => {
    it('runs the refresh sweep every 30 minutes, with retries and a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(30 minutes)',
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(stack.service.tokenRefresh.sweep.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 1200 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalId(stack.service.tokenRefresh.scheduleDeadLetters), 'Arn'] },
          },
        },
      });
    });

    it('runs the reminder sweep daily, with retries and a dead-letter queue', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 day)',
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(stack.service.reminders.sweep.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 3 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        },
      });
    });
  });

  describe('the refresh queue', () => {
    it('hands a message failing ten times to an encrypted dead-letter queue', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 180,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          maxReceiveCount: 10,
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.service.tokenRefresh.deadLetters), 'Arn'] },
        },
      });
      const queues = Object.values(template.findResources('AWS::SQS::Queue'));
      expect(queues.map((queue) => queue.Properties.SqsManagedSseEnabled)).toEqual(queues.map(() => true));
    });

    it('refuses any access without TLS, on every queue', () => {
      const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));

      expect(policies).toHaveLength(5);
      for (const policy of policies) {
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });

    it('feeds two workers at most in batches, reporting partial failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionName: { Ref: logicalId(stack.service.tokenRefresh.worker.function) },
      });
    });

    it('hands -c refreshConcurrency to the workers: half of it each, as REFRESH_CONCURRENCY', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Refreshes queued grants'),
        Environment: { Variables: Match.objectLike({ REFRESH_CONCURRENCY: '2' }) },
      });
      const odd = synthStack({ refreshConcurrency: 5 });
      odd.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Refreshes queued grants'),
        Environment: { Variables: Match.objectLike({ REFRESH_CONCURRENCY: '3' }) },
      });
    });
  });

  describe('alarms', () => {
    it('watches both dead-letter queues of the refresh and the reminders, and refresh failures', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
      const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);

      // The refresh queue's and the three schedules' (refresh, reminders, outbox) dead letters.
      expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(4);
      expect(byMetric('TokenRefreshFailed')).toEqual([
        expect.objectContaining({
          Namespace: 'TikTokShopAuth',
          Dimensions: [{ Name: 'service', Value: 'tiktok-shop-auth' }],
          Statistic: 'Sum',
          Threshold: 20,
        }),
      ]);
    });
  });

  describe('each function may do only what it does', () => {
    const sealing = (statements: Array<Record<string, unknown>>) =>
      actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource).includes('TokenSealing')));

    it('lets the sweep query the refresh index, mark grants queued, read the breaker, and send to the queue', () => {
      const statements = statementsOf(template, 'TokenRefreshSweep');
      const dynamo = statements.filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('dynamodb:')),
      );

      expect(actionsOf(dynamo)).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(JSON.stringify(dynamo[0]?.Resource)).toContain('/index/ByRefreshDue');
      expect(actionsOf(statements)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
      expect(sealing(statements)).toEqual([]);
    });

    it('lets the worker read and update grants, seal and open tokens, and nothing more on the table', () => {
      const statements = statementsOf(template, 'TokenRefreshWorker');
      const dynamo = statements.filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('dynamodb:')),
      );

      expect(actionsOf(dynamo)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
      expect(sealing(statements)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    });

    it('lets the reminder sweep publish to its topic but not touch the sealing key', () => {
      const statements = statementsOf(template, 'RemindersSweep');

      expect(actionsOf(statements)).toEqual(
        expect.arrayContaining(['sns:Publish', 'events:PutEvents', 'dynamodb:Query']),
      );
      expect(sealing(statements)).toEqual([]);
      expect(JSON.stringify(statements)).toContain('/index/ByAuthorizationExpiry');
    });
  });

  describe('the reminder topic', () => {
    it('is encrypted, refuses publishing without TLS, and mails the configured address', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: Match.anyValue(),
        DisplayName: 'TikTok Shop authorizations ending soon',
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@app.example' });
    });
  });
});
