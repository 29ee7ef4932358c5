import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbWebhookReceipts } from '../../../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import {
  INVALID_SECRET_RECHECK_MS,
  SecretsManagerAppCredentials,
} from '../../../lambdas/adapters/secrets/secrets-manager-app-credentials';
import { webhookSignature } from '../../../lambdas/adapters/tiktok/webhook-signature';
import type { Grant } from '../../../lambdas/domain/model';
import { REFUSAL_RULES, SUSPECT_REFUSAL_MESSAGE } from '../../../lambdas/domain/refusals';
import { createTikTokWebhookHandler } from '../../../lambdas/handlers/tiktok-webhook';
import { mapWithConcurrency } from '../../../lambdas/shared/concurrency';
import { webhookSettings } from '../../../lambdas/shared/config';
import { type LocalService, startLocalService } from '../../../local/local-service';
import { authorizeInSandbox, browse, captureOutput, TestClock } from '../../support/local-journey';

/**
 * A bad day, on the whole local stack (dynalite, the sandbox over HTTP, the handlers with their time budgets): what
 * each fault does, and that no seller loses their authorization to it. The README's outcome table comes from here.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TABLE = 'tiktok-shop-auth';

describe('a bad day', () => {
  let clock: TestClock;
  let service: LocalService;

  const start = async (tiktokTimeoutMs?: number, env: NodeJS.ProcessEnv = {}) => {
    clock = new TestClock();
    service = await startLocalService({ port: 0, env, clock, schedules: false, tiktokTimeoutMs });
  };
  afterEach(() => service.stop());

  /** `count` sandbox sellers with one shop each, authorized and stored. */
  const connectSellers = async (count: number): Promise<string[]> => {
    const [template] = service.sandbox.listSellers();
    const [shop] = template?.shops ?? [];
    if (!template || !shop) throw new Error('the sandbox should have a seller with a shop');
    const openIds = Array.from({ length: count }, (_, i) => `sbx-bad-day-${i}`);
    for (const [i, openId] of openIds.entries()) {
      service.sandbox.addSeller({
        ...template,
        openId,
        shops: [{ ...shop, id: `7496${String(i).padStart(15, '0')}` }],
      });
      const { callbackUrl } = await authorizeInSandbox(service, { openId, accountId: `acc-${openId}` });
      expect((await browse(callbackUrl)).status).toBe(302);
    }
    return openIds;
  };
  const grant = async (openId: string): Promise<Grant> => {
    const found = await service.dependencies.store.getGrant(openId);
    if (!found) throw new Error(`no grant for ${openId}`);
    return found;
  };
  const statuses = async (openIds: readonly string[]) =>
    Promise.all(openIds.map(async (openId) => (await grant(openId)).status));
  const eventsOf = (type: string) => service.events.list().filter((event) => event['detail-type'] === type);

  describe('TikTok accepts connections and never answers', () => {
    it('hands out the still-valid token from the credentials route, within its budget', async () => {
      await start();
      const [openId = ''] = await connectSellers(1);
      const before = await grant(openId);
      // Two minutes before the access token expires: the route refreshes first, and TikTok hangs.
      clock.advance(before.accessTokenExpiresAt.getTime() - clock.now().getTime() - 2 * MINUTE);
      service.sandbox.startOutage('token/refresh', { delayMs: 60_000 });

      const response = await fetch(`${service.url}/shops/7496000000000000000/credentials`);

      expect(response.status).toBe(200);
      const body = (await response.json()) as { accessToken: string; accessTokenExpiresAt: string };
      expect(body.accessTokenExpiresAt).toBe(before.accessTokenExpiresAt.toISOString());
      // One 5-second attempt fit in the 8-second budget; a second would not have left time to answer.
      expect(service.sandbox.calls['token/refresh']).toBe(1);
      expect(await grant(openId)).toMatchObject({ status: 'ACTIVE', refreshFailures: 1 });
    });

    it('lets the worker start only the refreshes its budget can finish and hand the rest back, not as failures', async () => {
      await start();
      const openIds = await connectSellers(10);
      clock.advance(6 * DAY);
      service.sandbox.startOutage('token/refresh', { delayMs: 60_000 });

      // One batch of 10, 5 at once: each refresh waits 15 s for TikTok's answer, then tries again for what the budget
      // still allows; less than a refresh needs (12 s) is left, so the second five are handed back unstarted.
      const job = await service.runRefreshJob();

      expect(job.outcomes).toEqual({ retry: 5, deferred: 5 });
      expect(job.failed).toBe(5);
      expect(await statuses(openIds)).toEqual(openIds.map(() => 'ACTIVE'));
      const failures = await Promise.all(openIds.map(async (openId) => (await grant(openId)).refreshFailures));
      expect(failures.filter((count) => count === 1)).toHaveLength(5);
      expect(failures.filter((count) => count === 0)).toHaveLength(5);
      expect(service.queue.depth()).toEqual({ visible: 0, inFlight: 10, deadLetters: 0 });

      service.sandbox.endOutage('token/refresh');
      clock.advance(DEFERRED_AND_FIRST_RETRY_MS);
      expect((await service.runRefreshJob()).refreshed).toBe(10);
      expect(await statuses(openIds)).toEqual(openIds.map(() => 'ACTIVE'));
    }, 60_000);
  });

  describe('TikTok answers 503 for hours', () => {
    it('keeps at most one message per grant through 12 simulated hours, then refreshes every seller', async () => {
      await start(50);
      const openIds = await connectSellers(5);
      clock.advance(6 * DAY);
      service.sandbox.startOutage('token/refresh', { status: 503 });

      let mostMessages = 0;
      for (let elapsed = 0; elapsed < 12 * HOUR; elapsed += 30 * MINUTE) {
        // The sweep runs every 30 minutes, as on AWS; the queue brings retries back on their own clock.
        await service.runRefreshJob();
        mostMessages = Math.max(mostMessages, ...service.queue.messagesPerSeller().values());
        clock.advance(30 * MINUTE);
      }

      expect(mostMessages).toBe(1);
      expect(await statuses(openIds)).toEqual(openIds.map(() => 'ACTIVE'));
      expect(eventsOf('Reauthorization Required')).toEqual([]);

      service.sandbox.endOutage('token/refresh');
      const recoveredAt = clock.now().getTime();
      let refreshed = 0;
      while (refreshed < openIds.length && clock.now().getTime() - recoveredAt < 12 * HOUR) {
        refreshed += (await service.runRefreshJob()).refreshed;
        clock.advance(10 * MINUTE);
      }
      expect(refreshed).toBe(openIds.length);
      // The longest wait is one backoff step (at most 6 hours), well inside the 48 hours of refresh-ahead.
      expect(clock.now().getTime() - recoveredAt).toBeLessThanOrEqual(6 * HOUR + 20 * MINUTE);
    }, 120_000);
  });

  describe('a wrong app secret', () => {
    it.each([
      ['in the words the client recognises', { code: 36004002, message: 'app_key or app_secret is invalid' }],
      ['in words nobody documented', { code: 36004002, message: 'request refused' }],
    ])(
      'marks no seller when TikTok refuses the secret %s, pauses refreshes, and resumes once it is fixed',
      async (_, refusal) => {
        // One refresh at a time, so that the order is known: refreshes already under way when the breaker opens finish.
        await start(200, { REFRESH_CONCURRENCY: '1' });
        const openIds = await connectSellers(5);
        const output = captureOutput();
        try {
          clock.advance(6 * DAY);
          service.sandbox.startOutage('token/refresh', refusal);

          const first = await service.runRefreshJob();

          // Three distinct sellers refused: the breaker opens, and the other two are not even tried.
          expect(first.outcomes).toEqual({ 'suspect-refusal': 3, paused: 2 });
          expect(await statuses(openIds)).toEqual(openIds.map(() => 'ACTIVE'));
          expect(eventsOf('Reauthorization Required')).toEqual([]);
          const paused = await service.dependencies.refusals.read();
          // Paused for 15 minutes from the third seller's refusal.
          expect(paused.pausedUntil?.getTime()).toBe(
            Math.max(...paused.refusals.map((refusal) => refusal.at.getTime())) + REFUSAL_RULES.pauseMs,
          );
          expect(output.text()).toContain(SUSPECT_REFUSAL_MESSAGE);
          expect(output.text()).toContain('refreshes paused');

          // While paused, the sweep enqueues nothing and TikTok is not called.
          clock.advance(5 * MINUTE);
          const callsBefore = service.sandbox.calls['token/refresh'];
          expect(await service.runRefreshJob()).toMatchObject({ enqueued: 0, refreshed: 0 });
          expect(service.sandbox.calls['token/refresh']).toBe(callsBefore);

          // The operator fixes the secret; the pause ends, and the next sweep (or a retry) refreshes everyone.
          service.sandbox.endOutage('token/refresh');
          let refreshed = 0;
          for (let elapsed = 0; refreshed < openIds.length && elapsed < 3 * HOUR; elapsed += 10 * MINUTE) {
            clock.advance(10 * MINUTE);
            refreshed += (await service.runRefreshJob()).refreshed;
          }
          expect(refreshed).toBe(openIds.length);
          expect(await statuses(openIds)).toEqual(openIds.map(() => 'ACTIVE'));
          expect(eventsOf('Reauthorization Required')).toEqual([]);
        } finally {
          output.restore();
        }
      },
      60_000,
    );

    it('still marks a seller at once when TikTok says that seller’s refresh token expired (36004001)', async () => {
      await start(200);
      const [openId = ''] = await connectSellers(1);
      clock.advance(6 * DAY);
      service.sandbox.injectFault('token/refresh', { code: 36004001, message: 'rt has expired' });

      expect((await service.runRefreshJob()).outcomes).toEqual({ 'reauthorization-required': 1 });
      expect((await grant(openId)).status).toBe('REAUTH_REQUIRED');
    });
  });

  describe('the placeholder secret', () => {
    it('answers TikTok 500 while the secret is empty, and 200 within seconds of the operator filling it in', async () => {
      await start();
      const secretsManager = mockClient(SecretsManagerClient);
      let secret = { app_key: '', app_secret: '' };
      secretsManager.on(GetSecretValueCommand).callsFake(async () => ({ SecretString: JSON.stringify(secret) }));
      let now = Date.now();
      const credentials = new SecretsManagerAppCredentials(
        new SecretsManagerClient({ region: 'eu-west-1' }),
        'tiktok-shop-auth/app',
        300,
        () => now,
      );
      const handler = createTikTokWebhookHandler(() => ({
        ...service.dependencies,
        credentials,
        receipts: new DynamoDbWebhookReceipts(service.dynamo.documentClient, TABLE),
        settings: webhookSettings(service.env),
      }));
      const body = JSON.stringify({ type: 1, tts_notification_id: 'n-1', shop_id: '1', timestamp: 1, data: {} });
      const deliver = () =>
        handler(
          {
            routeKey: 'POST /webhooks/tiktok',
            rawPath: '/webhooks/tiktok',
            requestContext: { http: { method: 'POST' } },
            body,
            isBase64Encoded: false,
            headers: { authorization: webhookSignature('sandbox-app-key', 'sandbox-app-secret', Buffer.from(body)) },
          } as Parameters<typeof handler>[0],
          {} as Parameters<typeof handler>[1],
        );
      const output = captureOutput();
      try {
        expect(await deliver()).toMatchObject({ statusCode: 500 });
        secret = { app_key: 'sandbox-app-key', app_secret: 'sandbox-app-secret' };
        now += INVALID_SECRET_RECHECK_MS;

        expect(await deliver()).toMatchObject({ statusCode: 200 });
        expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      } finally {
        output.restore();
        secretsManager.restore();
      }
    });
  });

  describe('a flood of unsigned webhooks', () => {
    it('answers 10,000 unsigned posts 401 without writing anything, while every signed delivery among them is forwarded', async () => {
      await start();
      const [openId = ''] = await connectSellers(1);
      const itemsBefore = await itemCount();
      const unsigned = Array.from({ length: 10_000 }, (_, i) => i);
      const statusesSeen = new Map<number, number>();
      const signed: Array<Promise<{ status: number }>> = [];
      // Each refusal writes its metric line: 10,000 of them are kept out of the test's output.
      const output = captureOutput();
      let signedAnswers: Array<{ status: number }>;
      try {
        await mapWithConcurrency(unsigned, 50, async (i) => {
          if (i % 500 === 0) signed.push(service.sandbox.sendWebhook({ type: 1, shopId: '7496000000000000000' }));
          const response = await fetch(`${service.url}/webhooks/tiktok`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'f'.repeat(64) },
            body: JSON.stringify({ type: 6, shop_id: '7496000000000000000', timestamp: 1, data: {} }),
          });
          await response.arrayBuffer();
          statusesSeen.set(response.status, (statusesSeen.get(response.status) ?? 0) + 1);
        });
        signedAnswers = await Promise.all(signed);
      } finally {
        output.restore();
      }

      expect(Object.fromEntries(statusesSeen)).toEqual({ 401: 10_000 });
      expect(signedAnswers.map((answer) => answer.status)).toEqual(signed.map(() => 200));
      expect(eventsOf('TikTok Shop Webhook')).toHaveLength(signed.length);
      // Nothing written: a forwarded webhook keeps no receipt, and the seller is untouched.
      expect(await itemCount()).toBe(itemsBefore);
      expect((await grant(openId)).status).toBe('ACTIVE');
    }, 120_000);
  });

  const itemCount = async () => {
    const { Count } = await service.dynamo.documentClient.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }));
    return Count ?? 0;
  };
});

/** Long enough for a deferred message (10 s) and a first retry (1 minute) to be visible again. */
const DEFERRED_AND_FIRST_RETRY_MS = 2 * MINUTE;
