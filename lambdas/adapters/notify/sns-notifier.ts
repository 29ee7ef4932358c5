import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../../ports';

/** Messages for people on an SNS topic (e-mail subscriptions, chat integrations). */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(subject: string, message: string): Promise<void> {
    await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: subject, Message: message }));
  }
}
