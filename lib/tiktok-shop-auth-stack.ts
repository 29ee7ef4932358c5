import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TikTokShopAuth, type TikTokShopAuthProps } from './tiktok-shop-auth';

export interface TikTokShopAuthStackProps extends StackProps, Omit<TikTokShopAuthProps, 'appSecret'> {
  /** An existing Secrets Manager secret holding `{"app_key", "app_secret"}`, by name. @default a new one, to fill */
  readonly appSecretName?: string;
}

/** The stack's name by default, and the name its bus has always had in it. */
export const DEFAULT_STACK_NAME = 'TikTokShopAuth';
const LEGACY_EVENT_BUS_NAME = 'tiktok-shop-auth';

/**
 * One TikTok app: the `TikTokShopAuth` construct in a stack of its own, with the outputs a deployer needs. The
 * construct's id `Default` keeps every resource's logical id as it was before the construct existed, and the stack
 * named `TikTokShopAuth` keeps the bus name it always had (a new name would replace the bus and its archive); any
 * other stack's bus is named after that stack.
 */
export class TikTokShopAuthStack extends Stack {
  public readonly service: TikTokShopAuth;

  constructor(scope: Construct, id: string, props: TikTokShopAuthStackProps) {
    super(scope, id, props);
    const { appSecretName, ...settings } = props;
    this.service = new TikTokShopAuth(this, 'Default', {
      ...settings,
      eventBusName: props.eventBusName ?? (this.stackName === DEFAULT_STACK_NAME ? LEGACY_EVENT_BUS_NAME : undefined),
      ...(appSecretName ? { appSecret: Secret.fromSecretNameV2(this, 'AppSecret', appSecretName) } : {}),
    });
    const { service } = this;

    new CfnOutput(this, 'RedirectUrl', {
      value: service.redirectUrl,
      description: "Paste into Partner Center as the app's Redirect URL",
    });
    new CfnOutput(this, 'WebhookUrl', {
      value: service.webhookUrl,
      description:
        "Paste into Partner Center as the app's webhook URL (every type goes here): the webhook function's own URL",
    });
    new CfnOutput(this, 'InternalApiUrl', {
      value: service.url,
      description: 'The internal API (IAM-signed requests): links, claims, sellers, credentials',
    });
    new CfnOutput(this, 'AppSecretArn', {
      value: service.appSecret.secretArn,
      description: 'Fill with {"app_key": "...", "app_secret": "..."} from Partner Center',
    });
    new CfnOutput(this, 'EventBusName', { value: service.eventBus.eventBusName, description: 'Lifecycle events' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: service.operations.topic.topicArn,
      description: 'Every alarm notifies this topic: subscribe the platform team',
    });
    new CfnOutput(this, 'DashboardName', {
      value: service.operations.dashboard.dashboardName,
      description: 'The CloudWatch dashboard',
    });
    new CfnOutput(this, 'ReminderTopicArn', {
      value: service.reminderTopic.topicArn,
      description: 'Readable renewal reminders for people: subscribe e-mail or chat here',
    });
  }
}
