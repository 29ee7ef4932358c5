/**
 * Each function's first request in the bundle benchmark: a real one, that goes through its AWS stand-ins and the
 * TikTok sandbox and succeeds. Sellers are connected through the service's own use case and adapters (sealed with
 * KMS, stored in DynamoDB), and before each run the world is put back in the state that run needs (a grant due, a
 * reminder not sent yet, an outbox entry waiting), so every run of a function does the same work.
 */
import * as z from 'zod';
import { grantKey } from '../../lambdas/adapters/dynamodb/items';
import { completeAuthorization } from '../../lambdas/domain/authorize-seller';
import type { Dependencies } from '../../lambdas/domain/dependencies';
import { eventEntry, withOutbox } from '../../lambdas/domain/outbox';
import { awsDependencies } from '../../lambdas/shared/aws-dependencies';
import { logger } from '../../lambdas/shared/powertools';
import type { SandboxSeller } from '../../local/sandbox/sandbox-sellers';
import { signWebhook } from '../../local/sandbox/sandbox-signing';
import { APP, type StandIns } from './aws-stand-ins';

export interface FirstRequest {
  /** Puts the world in the state this run needs; the event to hand the function. */
  prepare(run: number): Promise<unknown>;
  /** What is wrong with the function's answer or with what it left in the world; undefined when it worked. */
  verify(answer: unknown): Promise<string | undefined>;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ACCOUNT_ID = 'bench-account';

const httpAnswer = z.object({
  statusCode: z.number(),
  headers: z.record(z.string(), z.unknown()).optional(),
  body: z.string().optional(),
});
const counts = z.record(z.string(), z.unknown());

/** The answer's status, or what it is instead. */
function status(answer: unknown, expected: number): string | undefined {
  const parsed = httpAnswer.safeParse(answer);
  if (!parsed.success) return `answered ${JSON.stringify(answer)}`;
  if (parsed.data.statusCode === expected) return undefined;
  return `answered ${parsed.data.statusCode}: ${parsed.data.body?.slice(0, 300) ?? ''}`;
}

/** A summary's counts, or what differs from them. */
function summary(answer: unknown, expected: Record<string, number>): string | undefined {
  const parsed = counts.safeParse(answer);
  const wrong = Object.entries(expected).filter(([key, value]) => !parsed.success || parsed.data[key] !== value);
  return wrong.length ? `answered ${JSON.stringify(answer)}, expected ${JSON.stringify(expected)}` : undefined;
}

const benchSeller = (openId: string, shopId: string): SandboxSeller => ({
  openId,
  sellerName: `Bench ${openId}`,
  baseRegion: 'GB',
  userType: 0,
  scopes: ['seller.authorization.info', 'seller.shop.info', 'seller.order.info'],
  shops: [{ id: shopId, name: `Bench shop ${shopId}`, region: 'GB', sellerType: 'LOCAL', cipher: `GCP_${shopId}` }],
  authorizationDays: 365,
});

const apiEvent = (routeKey: string, extra: Record<string, unknown>) => ({
  version: '2.0',
  routeKey,
  rawPath: routeKey.split(' ')[1],
  headers: {},
  isBase64Encoded: false,
  requestContext: { requestId: 'bench', http: { method: routeKey.split(' ')[0], sourceIp: '127.0.0.1' } },
  ...extra,
});

/** The seller approves in the sandbox and the service's callback use case connects them, bound to an account. */
async function connectSeller(standIns: StandIns, deps: Dependencies, openId: string, shopId: string) {
  standIns.sandbox.addSeller(benchSeller(openId, shopId));
  const code = new URL(standIns.sandbox.approve(openId)).searchParams.get('code') ?? '';
  await completeAuthorization({ code, accountId: ACCOUNT_ID }, deps, { ticketTtlMs: 30 * MINUTE });
}

/**
 * Connects the bench's sellers and returns each function's first request. Points this process's AWS SDK at the
 * stand-ins too (the adapters read their endpoints from the environment, as in a function).
 */
export async function firstRequests(standIns: StandIns): Promise<Record<string, FirstRequest>> {
  Object.assign(process.env, standIns.env);
  logger.setLogLevel('ERROR');
  const deps = awsDependencies(process.env);
  const sellers = {
    steady: { openId: 'bench-steady', shopId: '7494100000000000001' },
    due: { openId: 'bench-due', shopId: '7494100000000000002' },
    ending: { openId: 'bench-ending', shopId: '7494100000000000003' },
    outbox: { openId: 'bench-outbox', shopId: '7494100000000000004' },
  };
  for (const { openId, shopId } of Object.values(sellers)) await connectSeller(standIns, deps, openId, shopId);

  const grantOf = async (openId: string) => {
    const grant = await deps.store.getGrant(openId);
    if (!grant) throw new Error(`no grant for ${openId}`);
    return grant;
  };
  /** Its access token expiring within the refresh-ahead window, and not marked queued. */
  const makeDue = async () => {
    const grant = await grantOf(sellers.due.openId);
    await deps.store.updateGrant({ ...grant, accessTokenExpiresAt: new Date(Date.now() + 60 * MINUTE) });
    await deps.store.holdRefresh(sellers.due.openId, new Date(Date.now() - MINUTE));
  };

  return {
    'tiktok-webhook': {
      async prepare(run) {
        const timestamp = Math.floor(Date.now() / 1000);
        const body = JSON.stringify({
          type: 1,
          tts_notification_id: `bench-${run}-${Date.now()}`,
          shop_id: sellers.steady.shopId,
          timestamp,
          data: { order_id: `57690000000${run}`, order_status: 'AWAITING_SHIPMENT', update_time: timestamp },
        });
        const authorization = signWebhook(APP.appKey, APP.appSecret, Buffer.from(body));
        return apiEvent('POST /webhooks/tiktok', {
          headers: { authorization, 'content-type': 'application/json' },
          body,
        });
      },
      verify: async (answer) => status(answer, 200),
    },
    'oauth-callback': {
      async prepare(run) {
        const openId = `bench-new-${run}`;
        standIns.sandbox.addSeller(benchSeller(openId, `74942000000${String(run).padStart(8, '0')}`));
        const state = deps.secrets.oneTimeValue();
        await deps.store.saveState(state, { accountId: ACCOUNT_ID, expiresAt: new Date(Date.now() + 60 * MINUTE) });
        const code = new URL(standIns.sandbox.approve(openId, state)).searchParams.get('code');
        return apiEvent('GET /oauth/callback', { queryStringParameters: { code, state } });
      },
      async verify(answer) {
        const problem = status(answer, 302);
        if (problem) return problem;
        const location = String(httpAnswer.parse(answer).headers?.location);
        if (!location.startsWith(standIns.env.SUCCESS_URL ?? '-')) return `redirected to ${location}`;
        const grant = await deps.store.getGrant(new URL(location).searchParams.get('openId') ?? '');
        if (grant?.status !== 'ACTIVE') return 'redirected, but no active grant was stored';
        return grant.outbox.length ? 'stored, but its event was left undelivered (EventBridge failed)' : undefined;
      },
    },
    'seller-api': {
      prepare: async () => apiEvent('GET /sellers/{openId}', { pathParameters: { openId: sellers.steady.openId } }),
      verify: async (answer) => status(answer, 200),
    },
    credentials: {
      prepare: async () =>
        apiEvent('GET /shops/{shopId}/credentials', { pathParameters: { shopId: sellers.steady.shopId } }),
      async verify(answer) {
        const problem = status(answer, 200);
        if (problem) return problem;
        const body = z
          .object({ accessToken: z.string().min(1) })
          .safeParse(JSON.parse(httpAnswer.parse(answer).body ?? '{}'));
        return body.success ? undefined : 'answered 200 without an access token';
      },
    },
    'refresh-worker': {
      async prepare(run) {
        await makeDue();
        const now = String(Date.now());
        return {
          Records: [
            {
              messageId: `bench-${run}`,
              receiptHandle: `bench-${run}`,
              body: JSON.stringify({ openId: sellers.due.openId }),
              attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, ApproximateFirstReceiveTimestamp: now },
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench-refresh',
              awsRegion: 'us-east-1',
            },
          ],
        };
      },
      async verify(answer) {
        const batch = z.object({ batchItemFailures: z.array(z.unknown()).length(0) }).safeParse(answer);
        if (!batch.success) return `answered ${JSON.stringify(answer)}`;
        const grant = await grantOf(sellers.due.openId);
        return grant.accessTokenExpiresAt.getTime() > Date.now() + DAY ? undefined : 'the grant was not refreshed';
      },
    },
    'refresh-sweep': {
      async prepare() {
        await makeDue();
        return { source: 'aws.scheduler' };
      },
      verify: async (answer) => summary(answer, { found: 1, enqueued: 1 }),
    },
    'reminder-sweep': {
      async prepare() {
        const grant = await grantOf(sellers.ending.openId);
        const ending = new Date(Date.now() + 20 * DAY);
        await deps.store.updateGrant({ ...grant, authorizationExpiresAt: ending, remindersSent: [], outbox: [] });
        return { source: 'aws.scheduler' };
      },
      async verify(answer) {
        const problem = summary(answer, { found: 1, reminded: 1, failed: 0 });
        if (problem) return problem;
        const left = (await grantOf(sellers.ending.openId)).outbox.length;
        return left ? `${left} reminder entries left undelivered (EventBridge or SNS failed)` : undefined;
      },
    },
    'outbox-sweep': {
      async prepare(run) {
        const grant = await grantOf(sellers.outbox.openId);
        const at = new Date(Date.now() - 10 * MINUTE);
        const detail = {
          eventId: `bench-outbox-${run}`,
          openId: grant.openId,
          occurredAt: at.toISOString(),
          accessTokenExpiresAt: grant.accessTokenExpiresAt.toISOString(),
          authorizationExpiresAt: grant.authorizationExpiresAt.toISOString(),
        };
        const note = { kind: 'notification', id: `bench-note-${run}`, at, subject: 'Bench', message: 'bench' } as const;
        await deps.store.updateGrant(withOutbox(grant, eventEntry('Tokens Refreshed', detail, at), note));
        return { source: 'aws.scheduler' };
      },
      verify: async (answer) => summary(answer, { found: 1, delivered: 2, failed: 0 }),
    },
  };
}

/** The baseline's event: the steady seller's grant, one GetItem. */
export const BASELINE_EVENT = grantKey('bench-steady');
