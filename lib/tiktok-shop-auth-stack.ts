import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ROUTES } from '../lambdas/shared/routes';
import { AppSecret } from './constructs/app-secret';
import { EventOutbox } from './constructs/event-outbox';
import { GrantTable } from './constructs/grant-table';
import { LifecycleEventBus } from './constructs/lifecycle-event-bus';
import { Operations } from './constructs/operations';
import { RenewalReminders } from './constructs/renewal-reminders';
import { SellerJourney, type SellerJourneySettings } from './constructs/seller-journey';
import { type ApiThrottles, ServiceApi } from './constructs/service-api';
import { TikTokWebhooks } from './constructs/tiktok-webhooks';
import { TokenRefresh } from './constructs/token-refresh';
import { TokenSealingKey } from './constructs/token-sealing-key';

export interface TikTokShopAuthStackProps extends StackProps {
  /** The app's TikTok settings and where sellers are sent. */
  readonly settings: SellerJourneySettings & {
    /** Days before the end of an authorization to remind at. @default [30, 7, 1] */
    readonly reminderMilestones?: readonly number[];
    /** Who gets readable reminders by e-mail. @default nobody */
    readonly reminderEmail?: string;
    /** Refresh grants whose access token expires within this many hours. @default 48 */
    readonly refreshAheadHours?: number;
    /** Refresh workers at once. @default 5 */
    readonly refreshConcurrency?: number;
    /** Who gets the alarms by e-mail. @default nobody */
    readonly alarmEmail?: string;
  };
  /** An existing Secrets Manager secret holding `{"app_key", "app_secret"}`. @default a new, empty secret */
  readonly appSecretName?: string;
  /** @default 'tiktok-shop-auth' */
  readonly eventBusName?: string;
  /** Each route group's rate and burst (webhooks, callback, internal). @default `DEFAULT_ROUTE_THROTTLES` */
  readonly throttles?: ApiThrottles;
}

/** One TikTok app in one market: composition only, each concern is a construct of its own. */
export class TikTokShopAuthStack extends Stack {
  public readonly grantTable: GrantTable;
  public readonly sealingKey: TokenSealingKey;
  public readonly appSecret: AppSecret;
  public readonly eventBus: LifecycleEventBus;
  public readonly api: ServiceApi;
  public readonly sellerJourney: SellerJourney;
  public readonly webhooks: TikTokWebhooks;
  public readonly tokenRefresh: TokenRefresh;
  public readonly reminders: RenewalReminders;
  public readonly outbox: EventOutbox;
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: TikTokShopAuthStackProps) {
    super(scope, id, props);
    this.grantTable = new GrantTable(this, 'Grants');
    this.sealingKey = new TokenSealingKey(this, 'TokenSealing');
    this.appSecret = new AppSecret(this, 'AppCredentials', { existingSecretName: props.appSecretName });
    this.eventBus = new LifecycleEventBus(this, 'Events', { eventBusName: props.eventBusName });
    this.api = new ServiceApi(this, 'Http', props.throttles);

    this.sellerJourney = new SellerJourney(this, 'SellerJourney', {
      table: this.grantTable.table,
      sealingKey: this.sealingKey.key,
      appSecret: this.appSecret.secret,
      eventBus: this.eventBus.bus,
      settings: props.settings,
    });
    this.reminders = new RenewalReminders(this, 'Reminders', {
      table: this.grantTable.table,
      eventBus: this.eventBus.bus,
      settings: props.settings,
    });
    this.webhooks = new TikTokWebhooks(this, 'Webhooks', {
      table: this.grantTable.table,
      appSecret: this.appSecret.secret,
      eventBus: this.eventBus.bus,
      reminderTopic: this.reminders.topic,
      settings: props.settings,
    });
    this.tokenRefresh = new TokenRefresh(this, 'TokenRefresh', {
      table: this.grantTable.table,
      sealingKey: this.sealingKey.key,
      appSecret: this.appSecret.secret,
      eventBus: this.eventBus.bus,
      settings: {
        refreshAheadHours: props.settings.refreshAheadHours,
        workerConcurrency: props.settings.refreshConcurrency,
        tiktokAuthBaseUrl: props.settings.tiktokAuthBaseUrl,
      },
    });
    this.outbox = new EventOutbox(this, 'Outbox', {
      table: this.grantTable.table,
      eventBus: this.eventBus.bus,
      reminderTopic: this.reminders.topic,
      settings: props.settings,
    });
    const functions = { ...this.sellerJourney.functions, 'tiktok-webhook': this.webhooks.function };
    for (const route of ROUTES) this.api.addRoute(route, functions[route.group].function);

    this.operations = new Operations(this, 'Operations', {
      functions: {
        OAuthCallback: functions['oauth-callback'].function,
        Webhooks: functions['tiktok-webhook'].function,
        SellerApi: functions['seller-api'].function,
        Credentials: functions.credentials.function,
        RefreshSweep: this.tokenRefresh.sweep.function,
        RefreshWorker: this.tokenRefresh.worker.function,
        ReminderSweep: this.reminders.sweep.function,
        OutboxSweep: this.outbox.sweep.function,
      },
      callbackFunction: functions['oauth-callback'].function,
      api: this.api.api,
      refreshQueue: this.tokenRefresh.queue,
      deadLetterQueues: {
        'refresh dead letters': this.tokenRefresh.deadLetters,
        'refresh schedule dead letters': this.tokenRefresh.scheduleDeadLetters,
        'reminder schedule dead letters': this.reminders.scheduleDeadLetters,
        'outbox schedule dead letters': this.outbox.scheduleDeadLetters,
      },
      alarms: [...this.tokenRefresh.alarms, ...this.reminders.alarms, ...this.outbox.alarms],
      tokenWriterLogs: [this.tokenRefresh.worker.logGroup, functions.credentials.logGroup],
      alarmEmail: props.settings.alarmEmail,
    });

    new CfnOutput(this, 'RedirectUrl', {
      value: `${this.api.url}oauth/callback`,
      description: "Paste into Partner Center as the app's Redirect URL",
    });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.api.url}webhooks/tiktok`,
      description: "Paste into Partner Center as the app's webhook URL (every type goes here)",
    });
    new CfnOutput(this, 'InternalApiUrl', {
      value: this.api.url,
      description: 'The internal API (IAM-signed requests): links, claims, sellers, credentials',
    });
    new CfnOutput(this, 'AppSecretArn', {
      value: this.appSecret.secret.secretArn,
      description: 'Fill with {"app_key": "...", "app_secret": "..."} from Partner Center',
    });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.bus.eventBusName, description: 'Lifecycle events' });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.operations.topic.topicArn,
      description: 'Every alarm notifies this topic: subscribe the platform team',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.operations.dashboard.dashboardName,
      description: 'The CloudWatch dashboard',
    });
    new CfnOutput(this, 'ReminderTopicArn', {
      value: this.reminders.topic.topicArn,
      description: 'Readable renewal reminders for people: subscribe e-mail or chat here',
    });
  }
}
