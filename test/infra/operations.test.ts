import { Match } from 'aws-cdk-lib/assertions';
import { TOKENS_NOT_STORED_MESSAGE } from '../../lambdas/domain/refresh-grant';
import { SUSPECT_REFUSAL_MESSAGE } from '../../lambdas/domain/refusals';
import { synthStack } from './synth';

describe('operations on AWS', () => {
  const { template, stack } = synthStack({ alarmEmail: 'platform@app.example' });
  const topicId = stack.getLogicalId(
    stack.service.operations.topic.node.defaultChild as Parameters<typeof stack.getLogicalId>[0],
  );
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);

  it('notifies the platform team’s topic of every alarm, when it fires and when it clears', () => {
    expect(alarms).toHaveLength(22);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('has an alarm on each function’s errors, the API’s 5xx, rejected signatures and the refresh backlog', () => {
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);

    expect(byMetric('Errors')).toHaveLength(8);
    expect(byMetric('5xx')).toEqual([expect.objectContaining({ Namespace: 'AWS/ApiGateway', Threshold: 5 })]);
    expect(byMetric('WebhookSignatureRejected')).toEqual([
      expect.objectContaining({ Namespace: 'TikTokShopAuth', Threshold: 20, Period: 900 }),
    ]);
    expect(byMetric('ApproximateAgeOfOldestMessage')).toEqual([expect.objectContaining({ Threshold: 7200 })]);
  });

  it('alarms on a flood of refused codes without a state at the callback, and on refusals that suspect the app credentials', () => {
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);

    expect(byMetric('CallbackCodeRefusedWithoutState')).toEqual([
      expect.objectContaining({
        Namespace: 'TikTokShopAuth',
        Dimensions: [{ Name: 'service', Value: 'tiktok-shop-auth' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 50,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    ]);
    expect(byMetric('TikTokRefusalSuspect')).toEqual([
      expect.objectContaining({
        Namespace: 'TikTokShopAuth',
        Dimensions: [{ Name: 'service', Value: 'tiktok-shop-auth' }],
        Statistic: 'Sum',
        Period: 900,
        EvaluationPeriods: 1,
        Threshold: 3,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmDescription: expect.stringMatching(/^App credentials suspect: check the app secret/),
      }),
    ]);
    const ids = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(ids.filter((id) => /^Operations(CallbackCodesRefused|AppCredentialsSuspect)Alarm/.test(id))).toHaveLength(2);
  });

  it('alarms when new tokens from TikTok could not be stored, counted from the refresh path’s error line', () => {
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f) => f.Properties);

    const notStored = filters.filter((filter) => filter.MetricTransformations[0].MetricName === 'NewTokensNotStored');

    expect(byMetric('NewTokensNotStored')).toEqual([expect.objectContaining({ Threshold: 1, Period: 300 })]);
    expect(notStored).toHaveLength(2);
    for (const filter of notStored) {
      expect(filter.FilterPattern).toBe(`{ $.message = "${TOKENS_NOT_STORED_MESSAGE}" }`);
      expect(filter.MetricTransformations).toEqual([
        expect.objectContaining({ MetricName: 'NewTokensNotStored', MetricNamespace: 'TikTokShopAuth' }),
      ]);
    }
  });

  it('counts suspect refusals from the refresh path’s log line, in the worker’s and the credentials’ logs', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'))
      .map((f) => f.Properties)
      .filter((filter) => filter.MetricTransformations[0].MetricName === 'TikTokRefusalSuspect');

    expect(filters).toHaveLength(2);
    for (const filter of filters) {
      expect(filter.FilterPattern).toBe(`{ $.message = "${SUSPECT_REFUSAL_MESSAGE}" }`);
    }
    expect(alarms.filter((alarm) => alarm.MetricName === 'TikTokRefusalSuspect')).toEqual([
      expect.objectContaining({ Threshold: 3, Period: 900 }),
    ]);
  });

  it('delivers undelivered events every 5 minutes, reading only the outbox index, and alarms when they stay', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Description: 'Runs the outbox recovery sweep',
      ScheduleExpression: 'rate(5 minutes)',
    });
    expect(alarms.filter((alarm) => alarm.MetricName === 'EventsUndelivered')).toEqual([
      expect.objectContaining({ EvaluationPeriods: 3, Threshold: 1 }),
    ]);
    const policies = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('OutboxSweep'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
    const dynamo = policies.find((statement: { Action: unknown }) =>
      JSON.stringify(statement.Action).includes('dynamodb'),
    );
    expect([...dynamo.Action].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Delivers lifecycle events and reminders that were stored but not delivered',
      ReservedConcurrentExecutions: 1,
    });
    expect(JSON.stringify(dynamo.Resource)).toContain('/index/ByPendingEvents');
  });

  it('encrypts the topic with a rotating key CloudWatch may use for this account only, and mails the team', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'tiktok-shop-auth alarms',
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'platform@app.example' });
  });

  it('shows callbacks, webhooks by type, refused signatures, refreshes, reminders, queues, functions and the API', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    for (const title of [
      'Callbacks (sellers coming back from TikTok)',
      'Webhooks by type',
      'Webhooks refused',
      'Stale webhooks ignored',
      'Token refreshes',
      'Renewal reminders sent',
      'Queues',
      'Function errors',
      'Function duration, p99 (ms)',
      'API requests and errors',
      'Alarms',
    ]) {
      expect(body).toContain(title);
    }
    expect(body).toContain('MetricName=\\\\\\"WebhookProcessed\\\\\\"');
    expect(body).toContain('MetricName=\\\\\\"WebhookStale\\\\\\"');
    expect(body).toContain('WebhookSignatureRejected');
    expect(body).toContain('TokenRefreshFailed');
    expect(body).toContain('RemindersSent');
  });

  it('prints the alarm topic and the dashboard', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['AlarmTopicArn', 'DashboardName']));
  });
});
