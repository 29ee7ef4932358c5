import { Match } from 'aws-cdk-lib/assertions';
import { synthStack, TEST_SETTINGS } from './synth';

describe('operations on AWS', () => {
  const { template, stack } = synthStack({ settings: { ...TEST_SETTINGS, alarmEmail: 'platform@app.example' } });
  const topicId = stack.getLogicalId(
    stack.operations.topic.node.defaultChild as Parameters<typeof stack.getLogicalId>[0],
  );
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);

  it('notifies the platform team’s topic of every alarm, when it fires and when it clears', () => {
    expect(alarms).toHaveLength(14);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('has an alarm on each function’s errors, the API’s 5xx, rejected signatures and the refresh backlog', () => {
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);

    expect(byMetric('Errors')).toHaveLength(7);
    expect(byMetric('5xx')).toEqual([expect.objectContaining({ Namespace: 'AWS/ApiGateway', Threshold: 5 })]);
    expect(byMetric('WebhookSignatureRejected')).toEqual([
      expect.objectContaining({ Namespace: 'TikTokShopAuth', Threshold: 20, Period: 900 }),
    ]);
    expect(byMetric('ApproximateAgeOfOldestMessage')).toEqual([expect.objectContaining({ Threshold: 7200 })]);
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
