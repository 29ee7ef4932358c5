import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import type { RecordingEventPublisher } from '../lambdas/adapters/events/recording-event-publisher';
import type { RecordingNotifier } from '../lambdas/adapters/notify/recording-notifier';
import type { GrantSummary, Shop } from '../lambdas/domain/model';
import type { OutboxSweepSummary } from '../lambdas/domain/outbox';
import type { ReminderSweepSummary } from '../lambdas/domain/reminders';
import { WEBHOOK_TYPE_NAMES } from '../lambdas/domain/webhooks';
import type { Clock, GrantStore } from '../lambdas/ports';
import { json } from '../lambdas/shared/http';
import { type FunctionGroup, matchPath, ROUTES, routeKey } from '../lambdas/shared/routes';
import { type PendingDelivery, renderConsole } from './console-page';
import { type ApiHandler, lambdaContext, toApiGatewayEvent, writeResult } from './gateway';
import type { RefreshJobSummary } from './local-jobs';
import { claimPage, landingPage } from './local-pages';
import type { TikTokSandbox } from './sandbox/tiktok-sandbox';

/**
 * Local mode's router: the API's routes to the same handlers as on AWS (through API Gateway-shaped events), the
 * sandbox under its prefix, and the local-only pages (console, landings) and helpers (events, jobs).
 */

export const SANDBOX_PREFIX = '/sandbox';
/** Larger bodies are refused before any handler sees them (API Gateway's own limit is 10 MB). */
const MAX_BODY_BYTES = 1024 * 1024;

const createdLink = z.object({ url: z.string() });

export interface Served {
  readonly url: string;
  readonly serviceId: string;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly sandbox: TikTokSandbox;
  readonly events: RecordingEventPublisher;
  readonly notifications: RecordingNotifier;
  readonly handlers: Record<FunctionGroup, ApiHandler>;
  readonly jobs: {
    refresh(): Promise<RefreshJobSummary>;
    reminders(): Promise<ReminderSweepSummary>;
    outbox(): Promise<OutboxSweepSummary>;
  };
}

export async function serve(request: IncomingMessage, response: ServerResponse, served: Served): Promise<void> {
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
      // Status 0: no answer came; the sandbox tries again on TikTok's schedule.
      const outcome =
        delivery.status === 0
          ? 'the endpoint did not answer; TikTok tries again in 2 minutes'
          : `the endpoint answered HTTP ${delivery.status}`;
      return backToConsole(
        response,
        `Webhook ${type} ${WEBHOOK_TYPE_NAMES[type] ?? ''} sent for shop ${shopId}: ${outcome}.`,
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
    case 'POST /_local/console/jobs/outbox': {
      const summary = await served.jobs.outbox();
      return backToConsole(
        response,
        `Outbox job: ${summary.delivered} delivered, ${summary.failed} still waiting (sellers with undelivered events: ${summary.found}).`,
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
    case 'POST /_local/jobs/outbox':
      return writeResult(response, json(200, await served.jobs.outbox()));
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
    pending: await pendingDeliveries(served),
    notice,
  });
}

/** What the outbox still holds, every seller's, oldest first: what the recovery job will deliver. */
async function pendingDeliveries(served: Served): Promise<PendingDelivery[]> {
  const pending: PendingDelivery[] = [];
  let cursor: string | undefined;
  do {
    // Every pending entry, however recent: the latest date there is.
    const page = await served.store.listPendingEvents(new Date(8.64e15), cursor);
    for (const { openId } of page.items) {
      for (const entry of (await served.store.getGrant(openId))?.outbox ?? []) {
        pending.push({
          openId,
          at: entry.at,
          what: entry.kind === 'event' ? entry.event.type : 'reminder for people (SNS)',
        });
      }
    }
    cursor = page.cursor;
  } while (cursor && pending.length < 200);
  return pending.sort((a, b) => a.at.getTime() - b.at.getTime());
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
