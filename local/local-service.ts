import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cryptoSecrets } from '../lambdas/adapters/crypto-secrets';
import { createGrantTable } from '../lambdas/adapters/dynamodb/create-table';
import { DynamoDbGrantStore } from '../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbRefusalLedger } from '../lambdas/adapters/dynamodb/dynamodb-refusal-ledger';
import { DynamoDbWebhookReceipts } from '../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import { RecordingEventPublisher } from '../lambdas/adapters/events/recording-event-publisher';
import { RecordingNotifier } from '../lambdas/adapters/notify/recording-notifier';
import { EnvelopeTokenSealer } from '../lambdas/adapters/sealing/envelope-token-sealer';
import { LocalDataKeys } from '../lambdas/adapters/sealing/local-data-keys';
import { StaticAppCredentials } from '../lambdas/adapters/secrets/static-app-credentials';
import { HttpTikTokAuthApi } from '../lambdas/adapters/tiktok/http-tiktok-auth-api';
import type { Dependencies } from '../lambdas/domain/dependencies';
import { deliverPendingEvents, type OutboxSweepSummary } from '../lambdas/domain/outbox';
import { type ReminderSweepSummary, remindEndingAuthorizations } from '../lambdas/domain/reminders';
import { createCredentialsHandler } from '../lambdas/handlers/credentials';
import { createOAuthCallbackHandler } from '../lambdas/handlers/oauth-callback';
import { createSellerApiHandler } from '../lambdas/handlers/seller-api';
import { createTikTokWebhookHandler } from '../lambdas/handlers/tiktok-webhook';
import type { Clock } from '../lambdas/ports';
import { systemClock } from '../lambdas/shared/clock';
import {
  CREDENTIALS_SETTINGS,
  linkSettings,
  outboxSettings,
  redirectSettings,
  reminderSettings,
  required,
  tiktokEndpoints,
  tokenRefreshSettings,
  webhookSettings,
} from '../lambdas/shared/config';
import { json } from '../lambdas/shared/http';
import { logger } from '../lambdas/shared/powertools';
import { type FunctionGroup } from '../lambdas/shared/routes';
import { invocationBudget } from '../lambdas/shared/time-budget';
import { type LocalDynamoDb, startDynalite } from './embedded-dynamodb';
import { type ApiHandler, writeResult } from './gateway';
import { type RefreshJobSummary, runRefreshJob } from './local-jobs';
import { LocalRefreshQueue } from './local-refresh-queue';
import { SANDBOX_PREFIX, serve } from './local-routes';
import { TikTokSandbox } from './sandbox/tiktok-sandbox';

export interface LocalServiceOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** The configuration, with the same names as in Lambda. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Per attempt of each TikTok call. @default 5000 */
  readonly tiktokTimeoutMs?: number;
  /** Per attempt on the token endpoints. @default `tiktokTimeoutMs` when set, else 15000 */
  readonly tiktokTokenTimeoutMs?: number;
  /**
   * Whether the sandbox rotates refresh tokens on refresh, retiring the old refresh token and the access tokens
   * issued before it; `false` keeps every token working, the lenient reading of TikTok's undocumented behaviour.
   * @default true
   */
  readonly rotateRefreshTokens?: boolean;
  /**
   * Whether the refresh and reminder schedules run on timers, as EventBridge Scheduler does on AWS, and the
   * sandbox delivers its due webhooks (retries, late ones, daily expiry notices) on a timer too. @default true
   */
  readonly schedules?: boolean;
  /** Most grants one page of an index listing returns. @default the store's */
  readonly pageSize?: number;
}

export interface LocalService {
  readonly url: string;
  readonly dynamo: LocalDynamoDb;
  readonly events: RecordingEventPublisher;
  readonly notifications: RecordingNotifier;
  readonly queue: LocalRefreshQueue;
  readonly sandbox: TikTokSandbox;
  /** The refresh schedule and worker, run now. */
  runRefreshJob(): Promise<RefreshJobSummary>;
  /** The reminder schedule, run now. */
  runReminderJob(): Promise<ReminderSweepSummary>;
  /** The outbox's recovery schedule, run now. */
  runOutboxJob(): Promise<OutboxSweepSummary>;
  readonly dependencies: Dependencies;
  /** The configuration in force, defaults filled in. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const TABLE_NAME = 'tiktok-shop-auth';

/** The configuration of local mode: what the environment sets, and the sandbox and local pages for the rest. */
export function localEnvironment(url: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const sandbox = `${url}${SANDBOX_PREFIX}`;
  return {
    ...env,
    TIKTOK_SERVICE_ID: env.TIKTOK_SERVICE_ID ?? 'sandbox-service-id',
    TIKTOK_APP_KEY: env.TIKTOK_APP_KEY ?? 'sandbox-app-key',
    TIKTOK_APP_SECRET: env.TIKTOK_APP_SECRET ?? 'sandbox-app-secret',
    TIKTOK_AUTHORIZE_URL_ROW: env.TIKTOK_AUTHORIZE_URL_ROW ?? `${sandbox}/open/authorize`,
    TIKTOK_AUTHORIZE_URL_US: env.TIKTOK_AUTHORIZE_URL_US ?? `${sandbox}/us/open/authorize`,
    TIKTOK_AUTH_BASE_URL: env.TIKTOK_AUTH_BASE_URL ?? sandbox,
    TIKTOK_API_BASE_URL: env.TIKTOK_API_BASE_URL ?? sandbox,
    SUCCESS_URL: env.SUCCESS_URL ?? `${url}/_local/landing/success`,
    CLAIM_URL: env.CLAIM_URL ?? `${url}/_local/landing/claim`,
  };
}

/**
 * The whole service on one machine, on loopback only (design section 6): the same handlers as in Lambda behind a
 * gateway that builds API Gateway events, dynalite with the table created at start, the TikTok Shop sandbox, and
 * the events recorded for `GET /_local/events`.
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const clock = options.clock ?? systemClock;
  const dynamo = await startDynalite();
  await createGrantTable(dynamo.client, TABLE_NAME);

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, '127.0.0.1', () => resolve());
  }).catch(async (error: unknown) => {
    await dynamo.stop();
    throw error;
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = localEnvironment(url, options.env ?? process.env);

  const credentials = new StaticAppCredentials({
    appKey: required(env, 'TIKTOK_APP_KEY'),
    appSecret: required(env, 'TIKTOK_APP_SECRET'),
  });
  const events = new RecordingEventPublisher(clock);
  const notifications = new RecordingNotifier(clock);
  const queue = new LocalRefreshQueue(clock);
  const dependencies: Dependencies = {
    store: new DynamoDbGrantStore({ client: dynamo.documentClient, tableName: TABLE_NAME, pageSize: options.pageSize }),
    // Tokens live only as long as this process's memory, and so does the key that seals them.
    sealer: new EnvelopeTokenSealer(new LocalDataKeys(randomBytes(32))),
    credentials,
    tiktok: new HttpTikTokAuthApi({
      credentials,
      ...tiktokEndpoints(env),
      timeoutMs: options.tiktokTimeoutMs,
      tokenTimeoutMs: options.tiktokTokenTimeoutMs,
      budget: invocationBudget,
      clock,
      log: logger,
    }),
    events,
    refusals: new DynamoDbRefusalLedger(dynamo.documentClient, TABLE_NAME),
    clock,
    secrets: cryptoSecrets,
    log: logger,
    notifier: notifications,
    budget: invocationBudget,
  };
  const refreshSettings = tokenRefreshSettings(env);
  const reminders = reminderSettings(env);
  const jobs = {
    refresh: () => runRefreshJob(dependencies, queue, refreshSettings),
    reminders: () => remindEndingAuthorizations(dependencies, reminders),
    outbox: () => deliverPendingEvents(dependencies, outboxSettings(env)),
  };
  const receipts = new DynamoDbWebhookReceipts(dynamo.documentClient, TABLE_NAME);
  const appCredentials = await credentials.get();
  const sandbox = new TikTokSandbox({
    ...appCredentials,
    serviceId: required(env, 'TIKTOK_SERVICE_ID'),
    redirectUrl: `${url}/oauth/callback`,
    webhookUrl: `${url}/webhooks/tiktok`,
    clock,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
  });

  const handlers: Record<FunctionGroup, ApiHandler> = {
    'oauth-callback': createOAuthCallbackHandler(() => ({ ...dependencies, settings: redirectSettings(env) })),
    'tiktok-webhook': createTikTokWebhookHandler(() => ({ ...dependencies, receipts, settings: webhookSettings(env) })),
    'seller-api': createSellerApiHandler(() => ({ ...dependencies, settings: linkSettings(env) })),
    credentials: createCredentialsHandler(() => ({ ...dependencies, settings: CREDENTIALS_SETTINGS })),
  };

  // EventBridge Scheduler's part: the refresh sweep every 30 minutes, the reminders daily.
  const timers =
    options.schedules === false
      ? []
      : [
          setInterval(() => void jobs.refresh().catch(logJobFailure('refresh')), 30 * 60_000),
          setInterval(() => void jobs.reminders().catch(logJobFailure('reminders')), 24 * 60 * 60_000),
          setInterval(() => void jobs.outbox().catch(logJobFailure('outbox')), 5 * 60_000),
          // TikTok's part: webhook retries and late deliveries fall due on the sandbox's clock.
          setInterval(() => void sandbox.deliverDue().catch(logJobFailure('sandbox webhook delivery')), 5_000),
        ];
  for (const timer of timers) timer.unref();

  server.on('request', (request, response) => {
    serve(request, response, {
      url,
      serviceId: required(env, 'TIKTOK_SERVICE_ID'),
      store: dependencies.store,
      clock,
      sandbox,
      events,
      notifications,
      handlers,
      jobs,
    }).catch((error: unknown) => {
      logger.error('local request failed', { error: error instanceof Error ? error.message : 'unknown' });
      if (!response.headersSent)
        writeResult(response, json(500, { error: { code: 'INTERNAL', message: 'internal error' } }));
      else response.destroy();
    });
  });

  return {
    url,
    dynamo,
    events,
    notifications,
    queue,
    sandbox,
    dependencies,
    env,
    runRefreshJob: jobs.refresh,
    runReminderJob: jobs.reminders,
    runOutboxJob: jobs.outbox,
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamo.stop();
    },
  };
}

const logJobFailure = (job: string) => (error: unknown) =>
  logger.error(`the scheduled ${job} job failed`, { error: error instanceof Error ? error.message : 'unknown' });
