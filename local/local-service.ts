import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { cryptoSecrets } from '../lambdas/adapters/crypto-secrets';
import { createGrantTable } from '../lambdas/adapters/dynamodb/create-table';
import { DynamoDbGrantStore } from '../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbWebhookReceipts } from '../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import { RecordingEventPublisher } from '../lambdas/adapters/events/recording-event-publisher';
import { RecordingNotifier } from '../lambdas/adapters/notify/recording-notifier';
import { EnvelopeTokenSealer } from '../lambdas/adapters/sealing/envelope-token-sealer';
import { LocalDataKeys } from '../lambdas/adapters/sealing/local-data-keys';
import { StaticAppCredentials } from '../lambdas/adapters/secrets/static-app-credentials';
import { HttpTikTokAuthApi } from '../lambdas/adapters/tiktok/http-tiktok-auth-api';
import type { Dependencies } from '../lambdas/domain/dependencies';
import type { GrantSummary, Shop } from '../lambdas/domain/model';
import type { ReminderSweepSummary } from '../lambdas/domain/reminders';
import { WEBHOOK_TYPE_NAMES } from '../lambdas/domain/webhooks';
import { createCredentialsHandler } from '../lambdas/handlers/credentials';
import { createOAuthCallbackHandler } from '../lambdas/handlers/oauth-callback';
import { createSellerApiHandler } from '../lambdas/handlers/seller-api';
import { createTikTokWebhookHandler } from '../lambdas/handlers/tiktok-webhook';
import type { Clock, GrantStore } from '../lambdas/ports';
import { systemClock } from '../lambdas/shared/clock';
import {
  CREDENTIALS_SETTINGS,
  linkSettings,
  redirectSettings,
  reminderSettings,
  required,
  tiktokEndpoints,
  tokenRefreshSettings,
  webhookSettings,
} from '../lambdas/shared/config';
import { json } from '../lambdas/shared/http';
import { logger } from '../lambdas/shared/powertools';
import { type FunctionGroup, matchPath, ROUTES, routeKey } from '../lambdas/shared/routes';
import { renderConsole } from './console-page';
import { type LocalDynamoDb, startDynalite } from './embedded-dynamodb';
import { type ApiHandler, lambdaContext, toApiGatewayEvent, writeResult } from './gateway';
import { type RefreshJobSummary, runRefreshJob, runReminderJob } from './local-jobs';
import { claimPage, landingPage } from './local-pages';
import { LocalRefreshQueue } from './local-refresh-queue';
import { TikTokSandbox } from './sandbox/tiktok-sandbox';

export interface LocalServiceOptions {
  /** @default 3000; 0 picks a free port */
  readonly port?: number;
  /** The configuration, with the same names as in Lambda. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  /** Per attempt of each TikTok call. @default 5000 */
  readonly tiktokTimeoutMs?: number;
  /** Whether the sandbox rotates refresh tokens on refresh. @default false */
  readonly rotateRefreshTokens?: boolean;
  /** Whether the refresh and reminder schedules run on timers, as EventBridge Scheduler does on AWS. @default true */
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
  readonly dependencies: Dependencies;
  /** The configuration in force, defaults filled in. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const SANDBOX_PREFIX = '/sandbox';
/** Larger bodies are refused before any handler sees them (API Gateway's own limit is 10 MB). */
const MAX_BODY_BYTES = 1024 * 1024;
const TABLE_NAME = 'tiktok-shop-auth';

/** The configuration of local mode: what the environment sets, and the sandbox and local pages for the rest. */
export function localEnvironment(url: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const sandbox = `${url}${SANDBOX_PREFIX}`;
  return {
    ...env,
    TIKTOK_SERVICE_ID: env.TIKTOK_SERVICE_ID ?? 'sandbox-service-id',
    TIKTOK_APP_KEY: env.TIKTOK_APP_KEY ?? 'sandbox-app-key',
    TIKTOK_APP_SECRET: env.TIKTOK_APP_SECRET ?? 'sandbox-app-secret',
    TIKTOK_AUTHORIZE_URL: env.TIKTOK_AUTHORIZE_URL ?? `${sandbox}/open/authorize`,
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
      clock,
      log: logger,
    }),
    events,
    clock,
    secrets: cryptoSecrets,
    log: logger,
    notifier: notifications,
  };
  const refreshSettings = tokenRefreshSettings(env);
  const reminders = reminderSettings(env);
  const jobs = {
    refresh: () => runRefreshJob(dependencies, queue, refreshSettings),
    reminders: () => runReminderJob(dependencies, reminders),
  };
  const receipts = new DynamoDbWebhookReceipts(dynamo.documentClient, TABLE_NAME);
  const appCredentials = await credentials.get();
  const sandbox = new TikTokSandbox({
    ...appCredentials,
    serviceId: required(env, 'TIKTOK_SERVICE_ID'),
    redirectUrl: `${url}/oauth/callback`,
    webhookUrl: `${url}/webhooks/tiktok`,
    clock,
    rotateRefreshTokens: options.rotateRefreshTokens,
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
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamo.stop();
    },
  };
}

const createdLink = z.object({ url: z.string() });

interface Served {
  readonly url: string;
  readonly serviceId: string;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly sandbox: TikTokSandbox;
  readonly events: RecordingEventPublisher;
  readonly notifications: RecordingNotifier;
  readonly handlers: Record<FunctionGroup, ApiHandler>;
  readonly jobs: { refresh(): Promise<RefreshJobSummary>; reminders(): Promise<ReminderSweepSummary> };
}

const logJobFailure = (job: string) => (error: unknown) =>
  logger.error(`the scheduled ${job} job failed`, { error: error instanceof Error ? error.message : 'unknown' });

async function serve(request: IncomingMessage, response: ServerResponse, served: Served): Promise<void> {
  const target = new URL(request.url ?? '/', served.url);
  const path = target.pathname;
  const body = await readBody(request);
  if (body === undefined)
    return writeResult(response, json(413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is too large' } }));

  if (path === SANDBOX_PREFIX || path.startsWith(`${SANDBOX_PREFIX}/`)) {
    return served.sandbox.handle(request, response, path.slice(SANDBOX_PREFIX.length), body);
  }
  const invoke = (
    group: FunctionGroup,
    key: string,
    parameters: Record<string, string>,
    input = body,
    headers = request.headers,
  ) =>
    served.handlers[group](
      toApiGatewayEvent({
        method: key.split(' ')[0] ?? 'GET',
        rawPath: path,
        rawQueryString: target.search.slice(1),
        headers,
        body: input,
        routeKey: key,
        pathParameters: parameters,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      }),
      lambdaContext(`local-${group}`),
    );

  for (const route of ROUTES) {
    const parameters = request.method === route.method ? matchPath(route.path, path) : undefined;
    if (parameters) return writeResult(response, await invoke(route.group, routeKey(route), parameters));
  }

  const local = `${request.method} ${path}`;
  switch (local) {
    case 'GET /':
      return html(response, 200, await consolePage(served, target.searchParams.get('notice') ?? undefined));
    case 'POST /_local/console/webhook': {
      const form = new URLSearchParams(body.toString('utf8'));
      const type = Number(form.get('type'));
      const shopId = form.get('shopId') ?? '';
      if (!Number.isInteger(type) || type < 0 || !shopId)
        return backToConsole(response, 'Choose a webhook type and a shop.');
      const delivery = await served.sandbox.sendWebhook({ type, shopId });
      return backToConsole(
        response,
        `Webhook ${type} ${WEBHOOK_TYPE_NAMES[type] ?? ''} sent for shop ${shopId}: the endpoint answered HTTP ${delivery.status}.`,
      );
    }
    case 'POST /_local/console/jobs/refresh': {
      const summary = await served.jobs.refresh();
      return backToConsole(
        response,
        `Refresh job: ${summary.found} due, ${summary.refreshed} refreshed, ${summary.failed} to retry, ${summary.reauthorizationRequired} must authorize again.`,
      );
    }
    case 'POST /_local/console/jobs/reminders': {
      const summary = await served.jobs.reminders();
      return backToConsole(
        response,
        `Reminder job: ${summary.found} ending within the horizon, ${summary.reminded} reminded.`,
      );
    }
    case 'POST /_local/console/disconnect': {
      const openId = new URLSearchParams(body.toString('utf8')).get('openId') ?? '';
      const result = await invoke('seller-api', 'DELETE /sellers/{openId}', { openId }, Buffer.alloc(0));
      return backToConsole(
        response,
        result.statusCode === 204
          ? `Disconnected ${openId}: its tokens are deleted.`
          : `Could not disconnect ${openId} (HTTP ${result.statusCode}).`,
      );
    }
    case 'POST /_local/start': {
      const form = new URLSearchParams(body.toString('utf8'));
      const result = await invoke(
        'seller-api',
        'POST /authorization-links',
        {},
        jsonBody({ accountId: form.get('accountId') || 'local-demo-account' }),
        {
          'content-type': 'application/json',
        },
      );
      const link = result.statusCode === 201 ? createdLink.safeParse(JSON.parse(String(result.body))) : undefined;
      if (!link?.success) return writeResult(response, result);
      response.writeHead(303, { location: link.data.url });
      return void response.end();
    }
    case 'GET /_local/health':
      return writeResult(response, json(200, { status: 'ok' }));
    case 'GET /_local/events':
      return writeResult(response, json(200, served.events.list()));
    case 'GET /_local/notifications':
      return writeResult(response, json(200, served.notifications.list()));
    case 'POST /_local/jobs/refresh':
      return writeResult(response, json(200, await served.jobs.refresh()));
    case 'POST /_local/jobs/reminders':
      return writeResult(response, json(200, await served.jobs.reminders()));
    case 'GET /_local/landing/success':
      return html(response, 200, landingPage(target.searchParams));
    case 'GET /_local/landing/claim':
      return html(response, 200, claimPage(target.searchParams.get('ticket') ?? ''));
    case 'POST /_local/landing/claim': {
      const form = new URLSearchParams(body.toString('utf8'));
      const result = await invoke(
        'seller-api',
        'POST /installations/claim',
        {},
        jsonBody({ ticket: form.get('ticket') ?? '', accountId: form.get('accountId') ?? '' }),
        { 'content-type': 'application/json' },
      );
      return html(
        response,
        result.statusCode ?? 500,
        claimPage('', typeof result.body === 'string' ? result.body : ''),
      );
    }
    default:
      return writeResult(response, json(404, { error: { code: 'ROUTE_NOT_FOUND', message: `no route ${local}` } }));
  }
}

const jsonBody = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

function backToConsole(response: ServerResponse, notice: string): void {
  response.writeHead(303, { location: `/?${new URLSearchParams({ notice })}` });
  response.end();
}

/** Every seller (a local store holds few) with its shops, and the events so far. */
async function consolePage(served: Served, notice?: string): Promise<string> {
  const sellers: Array<{ seller: GrantSummary; shops: Shop[] }> = [];
  let cursor: string | undefined;
  do {
    const page = await served.store.listGrants({ cursor });
    for (const seller of page.items) sellers.push({ seller, shops: await served.store.listShops(seller.openId) });
    cursor = page.cursor;
  } while (cursor && sellers.length < 500);
  sellers.sort((a, b) => a.seller.sellerName.localeCompare(b.seller.sellerName));
  return renderConsole({
    now: served.clock.now(),
    serviceId: served.serviceId,
    sellers,
    events: served.events.list(),
    notice,
  });
}

function html(response: ServerResponse, status: number, page: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(page);
}

/** The request body, or undefined when it is larger than the local limit. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
