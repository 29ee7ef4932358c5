import { Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { ApiMapping, DomainName } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { CfnTable, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import * as z from 'zod';
import type { Market } from '../lambdas/domain/markets';
import { ROUTES, WEBHOOK_PATH } from '../lambdas/shared/routes';
import { AppSecret } from './constructs/app-secret';
import { EventOutbox } from './constructs/event-outbox';
import { GrantTable } from './constructs/grant-table';
import { LifecycleEventBus } from './constructs/lifecycle-event-bus';
import { Operations } from './constructs/operations';
import { RenewalReminders } from './constructs/renewal-reminders';
import { SellerJourney } from './constructs/seller-journey';
import { type ApiThrottles, ServiceApi } from './constructs/service-api';
import type { FunctionLogProps } from './constructs/service-function';
import {
  DEFAULT_WEBHOOK_CONCURRENCY,
  REGIONS_WITHOUT_FUNCTION_URLS,
  TikTokWebhooks,
  type WebhookEndpoint,
} from './constructs/tiktok-webhooks';
import { TokenRefresh } from './constructs/token-refresh';
import { TokenSealingKey } from './constructs/token-sealing-key';

/**
 * A domain of your own for the API, e.g. `tiktok.app.example.com`, with its ACM certificate (same region). It carries
 * the callback and the internal routes; TikTok's webhooks go to the webhook function's own URL.
 */
export interface TikTokShopAuthDomain {
  readonly domainName: string;
  readonly certificate: ICertificate;
}

export interface TikTokShopAuthProps extends ApiThrottles, FunctionLogProps {
  /** The app's service id in Partner Center (not the app key). */
  readonly serviceId: string;
  /** Where a connected seller's browser goes (the app's page). */
  readonly successUrl: string;
  /** Where an App Store install goes to be claimed: the app logs the seller in and claims the ticket. */
  readonly claimUrl: string;
  /** Where a failed authorization goes. @default a page of the service */
  readonly errorUrl?: string;
  /** The market of links for sellers not known yet; known sellers get their own. @default 'ROW' */
  readonly market?: Market;
  /** The rest of the world's authorize page. @default 'https://services.tiktokshop.com/open/authorize' */
  readonly authorizeUrlRow?: string;
  /** The US authorize page. @default 'https://services.us.tiktokshop.com/open/authorize' */
  readonly authorizeUrlUs?: string;
  /** TikTok's token endpoints. @default 'https://auth.tiktok-shops.com' */
  readonly tiktokAuthBaseUrl?: string;
  /** TikTok's Open API. @default 'https://open-api.tiktokglobalshop.com' */
  readonly tiktokApiBaseUrl?: string;
  /** Days before the end of an authorization to remind at. @default [30, 7, 1] */
  readonly reminderMilestones?: readonly number[];
  /** Who gets readable reminders by e-mail. @default nobody */
  readonly reminderEmail?: string;
  /** Refresh grants whose access token expires within this many hours. @default 48 */
  readonly refreshAheadHours?: number;
  /** Calls to TikTok's token refresh at once, across both workers (TikTok's rate limits). @default 10 */
  readonly refreshConcurrency?: number;
  /**
   * Webhooks handled at once: the webhook function's reserved concurrency, a whole number from 1. It is taken from
   * the account's Lambda concurrency pool (1,000 by default in a region, of which 100 must stay unreserved); beyond
   * it Lambda answers TikTok 429, which TikTok retries. It is what bounds a flood at the webhook URL, which has no
   * rate throttle. @default 100
   */
  readonly webhookConcurrency?: number;
  /**
   * Where TikTok posts its webhooks: the webhook function's own URL (`function-url`: no charge per request), or a
   * route of the HTTP API (`http-api`), for the regions that have no function URLs (ap-south-2, ap-southeast-4 to 7,
   * ap-east-2, ca-west-1, eu-south-2, eu-central-2, il-central-1, me-central-1). @default 'function-url'
   */
  readonly webhookEndpoint?: WebhookEndpoint;
  /** Who gets the alarms by e-mail. @default nobody */
  readonly alarmEmail?: string;
  /**
   * The table of grants, shops and one-time values, when you bring your own: it must have the keys, indexes and TTL
   * attribute of `lambdas/adapters/dynamodb/table-design.ts`. Import it with its encryption key
   * (`Table.fromTableAttributes({ tableName, encryptionKey })`) when it has a customer-managed one, so that the
   * functions are granted its use. @default a table of its own (encrypted, PITR)
   */
  readonly table?: ITable;
  /** The KMS key that seals tokens, when you bring your own. @default a key of its own, rotated yearly */
  readonly sealingKey?: IKey;
  /**
   * The secret holding `{"app_key", "app_secret"}`, when you bring your own; import it with its encryption key when
   * it has a customer-managed one. @default a new one, to fill
   */
  readonly appSecret?: ISecret;
  /** The bus for lifecycle events, when you bring your own. @default a bus of its own, with a year's archive */
  readonly eventBus?: IEventBus;
  /** The name of the bus it creates (unused with `eventBus`). @default a name unique to this construct's path */
  readonly eventBusName?: string;
  /**
   * A domain of your own for the API: the Redirect URL and the internal routes. Not the webhook URL, which stays the
   * webhook function's own (`*.lambda-url.<region>.on.aws`). @default the API's execute-api URL
   */
  readonly customDomain?: TikTokShopAuthDomain;
  /**
   * What happens to the table, the keys and the secret it creates when the stack goes: `RETAIN` or `DESTROY`.
   * `DESTROY` suits short-lived environments; in production, deleting any of them makes every seller authorize
   * again. (The log groups, their key and the alarm topic's key go with the stack either way: they hold no seller's
   * data that outlives it.) @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * tiktok-shop-auth as one construct: the Redirect URL callback and the internal routes behind an HTTP API, TikTok's
 * webhooks at the webhook function's own URL, tokens sealed with KMS in DynamoDB, refresh and renewal reminders on
 * schedules, lifecycle events on a bus, alarms and a dashboard. Composition only: each concern is a construct of its
 * own.
 */
export class TikTokShopAuth extends Construct {
  public readonly table: ITable;
  public readonly sealingKey: IKey;
  public readonly appSecret: ISecret;
  public readonly eventBus: IEventBus;
  public readonly api: ServiceApi;
  /** The API's base URL, ending in `/`: the custom domain's when there is one. */
  public readonly url: string;
  /** The custom domain, when there is one: point a DNS alias at its `regionalDomainName`. */
  public readonly domainName?: DomainName;
  /** Paste into Partner Center as the app's Redirect URL. */
  public readonly redirectUrl: string;
  /**
   * Paste into Partner Center as the app's webhook URL: the webhook function's own URL with `webhooks/tiktok`, never
   * the custom domain.
   */
  public readonly webhookUrl: string;
  public readonly sellerJourney: SellerJourney;
  public readonly webhooks: TikTokWebhooks;
  public readonly tokenRefresh: TokenRefresh;
  public readonly reminders: RenewalReminders;
  /** Readable renewal reminders for people. */
  public readonly reminderTopic: ITopic;
  public readonly outbox: EventOutbox;
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: TikTokShopAuthProps) {
    super(scope, id);
    checkProps(props);
    checkWebhookEndpoint(Stack.of(this).region, props.webhookEndpoint ?? 'function-url');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY) {
      throw new Error(`TikTokShopAuth removalPolicy: RETAIN or DESTROY, not ${removalPolicy}`);
    }
    this.table = props.table ?? ownTable(this, removalPolicy);
    this.sealingKey = props.sealingKey ?? ownKey(this, removalPolicy);
    this.appSecret = props.appSecret ?? ownSecret(this, removalPolicy);
    this.eventBus =
      props.eventBus ??
      new LifecycleEventBus(this, 'Events', {
        eventBusName: props.eventBusName ?? Names.uniqueResourceName(this, { maxLength: 256, separator: '-' }),
      }).bus;
    // The API's access logs are kept and encrypted like the functions' logs.
    this.api = new ServiceApi(this, 'Http', {
      ...props,
      accessLogRetention: props.logRetention,
      accessLogEncryptionKey: props.logEncryptionKey,
    });
    const logs = { logRetention: props.logRetention, logEncryptionKey: props.logEncryptionKey };
    this.domainName = props.customDomain ? withDomain(this, this.api, props.customDomain) : undefined;
    this.url = props.customDomain ? `https://${props.customDomain.domainName}/` : this.api.url;
    this.redirectUrl = `${this.url}oauth/callback`;

    const settings = {
      ...props,
      authorizeUrls: { ROW: props.authorizeUrlRow, US: props.authorizeUrlUs },
    };
    const stores = { table: this.table, eventBus: this.eventBus, ...logs };
    this.sellerJourney = new SellerJourney(this, 'SellerJourney', {
      ...stores,
      sealingKey: this.sealingKey,
      appSecret: this.appSecret,
      settings,
    });
    this.reminders = new RenewalReminders(this, 'Reminders', { ...stores, settings });
    this.reminderTopic = this.reminders.topic;
    this.webhooks = new TikTokWebhooks(this, 'Webhooks', {
      ...stores,
      appSecret: this.appSecret,
      reminderTopic: this.reminders.topic,
      settings,
      concurrency: props.webhookConcurrency,
      endpoint: props.webhookEndpoint,
    });
    // Either URL ends in `/`.
    this.webhookUrl = `${this.webhooks.functionUrl?.url ?? this.url}${WEBHOOK_PATH.slice(1)}`;
    this.tokenRefresh = new TokenRefresh(this, 'TokenRefresh', {
      ...stores,
      sealingKey: this.sealingKey,
      appSecret: this.appSecret,
      settings: {
        refreshAheadHours: props.refreshAheadHours,
        workerConcurrency: props.refreshConcurrency,
        tiktokAuthBaseUrl: props.tiktokAuthBaseUrl,
      },
    });
    this.outbox = new EventOutbox(this, 'Outbox', { ...stores, reminderTopic: this.reminders.topic, settings });
    const functions = { ...this.sellerJourney.functions, 'tiktok-webhook': this.webhooks.function };
    // Every route but the webhook, which the webhook function's own URL serves.
    for (const route of ROUTES) {
      // TikTok's webhooks are the function URL's, unless they are to be a route of the API.
      if (route.edge === 'function-url' && this.webhooks.functionUrl) continue;
      this.api.addRoute(route, functions[route.group].function);
    }

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
      alarms: [...this.webhooks.alarms, ...this.tokenRefresh.alarms, ...this.reminders.alarms, ...this.outbox.alarms],
      tokenWriterLogs: [this.tokenRefresh.worker.logGroup, functions.credentials.logGroup],
      alarmEmail: props.alarmEmail,
    });
  }
}

/** Why the webhook route's throttle settings are refused, and what replaced them. */
export const WEBHOOK_THROTTLE_REMOVED = `removed: bound TikTok's webhooks with webhookConcurrency (the webhook function's reserved concurrency, default ${DEFAULT_WEBHOOK_CONCURRENCY}); the function's own URL has no rate throttle, and with webhookEndpoint 'http-api' the route keeps a fixed one`;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** The settings the functions would otherwise refuse when they start, after a deploy that went through. */
const propsSchema = z.object({
  serviceId: z.string().trim().min(1, 'required: the service id from Partner Center'),
  successUrl: httpUrl,
  claimUrl: httpUrl,
  errorUrl: httpUrl,
  authorizeUrlRow: httpUrl,
  authorizeUrlUs: httpUrl,
  tiktokAuthBaseUrl: httpUrl,
  tiktokApiBaseUrl: httpUrl,
  reminderMilestones: z.array(z.number().int().min(1).max(999)).min(1),
  reminderEmail: z.email(),
  alarmEmail: z.email(),
  refreshAheadHours: z.number().int().min(1).max(144),
  refreshConcurrency: z.number().int().min(2).max(50),
  webhookConcurrency: z.number().int('must be a whole number from 1').min(1, 'must be a whole number from 1'),
  webhookEndpoint: z.enum(['function-url', 'http-api'], { error: "'function-url' (the default) or 'http-api'" }),
  // Named so that a value passed anyway (JavaScript, a spread object) is refused rather than silently ignored.
  authorizeUrl: z.undefined({
    error: 'replaced by authorizeUrlRow and authorizeUrlUs (one authorize page per market)',
  }),
  webhookRateLimit: z.undefined({ error: WEBHOOK_THROTTLE_REMOVED }),
  webhookBurstLimit: z.undefined({ error: WEBHOOK_THROTTLE_REMOVED }),
});

/** Names every prop that is wrong, before anything is built. Values only known at deploy time (tokens) pass. */
function checkProps(props: TikTokShopAuthProps): void {
  const known = Object.fromEntries(
    Object.entries(props).filter(
      ([key, value]) => key in propsSchema.shape && value !== undefined && !Token.isUnresolved(value),
    ),
  );
  const parsed = propsSchema.partial().safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`TikTokShopAuth props: ${problems}`);
  }
}

/** Refuses a function URL where Lambda has none (a region named at synth; an agnostic one is found at deploy). */
function checkWebhookEndpoint(region: string, endpoint: WebhookEndpoint): void {
  if (endpoint === 'function-url' && !Token.isUnresolved(region) && REGIONS_WITHOUT_FUNCTION_URLS.includes(region)) {
    throw new Error(
      `TikTokShopAuth: Lambda has no function URLs in ${region}; set webhookEndpoint: 'http-api' (CDK context -c webhookEndpoint=http-api) to take TikTok's webhooks on the HTTP API`,
    );
  }
}

/** The table of its own, kept with its key unless the environment is short-lived. */
function ownTable(scope: Construct, removalPolicy: RemovalPolicy): ITable {
  const grants = new GrantTable(scope, 'Grants');
  if (removalPolicy !== RemovalPolicy.RETAIN) {
    grants.table.applyRemovalPolicy(removalPolicy);
    grants.encryptionKey.applyRemovalPolicy(removalPolicy);
    const table = grants.table.node.defaultChild;
    // Deletion protection would make the stack's deletion fail.
    if (table instanceof CfnTable) table.deletionProtectionEnabled = false;
  }
  return grants.table;
}

function ownKey(scope: Construct, removalPolicy: RemovalPolicy): IKey {
  const sealing = new TokenSealingKey(scope, 'TokenSealing');
  if (removalPolicy !== RemovalPolicy.RETAIN) sealing.key.applyRemovalPolicy(removalPolicy);
  return sealing.key;
}

function ownSecret(scope: Construct, removalPolicy: RemovalPolicy): ISecret {
  const secret = new AppSecret(scope, 'AppCredentials').secret;
  if (removalPolicy !== RemovalPolicy.RETAIN) secret.applyRemovalPolicy(removalPolicy);
  return secret;
}

/** The API under a domain of its own, which the outputs and Partner Center then use. */
function withDomain(scope: Construct, api: ServiceApi, domain: TikTokShopAuthDomain): DomainName {
  const domainName = new DomainName(scope, 'Domain', {
    domainName: domain.domainName,
    certificate: domain.certificate,
  });
  new ApiMapping(scope, 'DomainMapping', { api: api.api, domainName, stage: api.stage });
  return domainName;
}
