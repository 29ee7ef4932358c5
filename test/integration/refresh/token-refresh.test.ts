import * as z from 'zod';
import type { Grant } from '../../../lambdas/domain/model';
import { type LocalService, type LocalServiceOptions, startLocalService } from '../../../local/local-service';
import { authorizeInSandbox, browse, TestClock } from '../../support/local-journey';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const GB = 'sbx-open-gb-0001';
const GB_SHOP = '7494000000000000101';

/** Lets I/O and callbacks run until `ready()`, or until it looks like it never will (the test's counts then tell). */
async function until(ready: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !ready(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('keeping tokens fresh, on the real local stack', () => {
  let clock: TestClock;
  let service: LocalService;

  const start = async (options: Partial<LocalServiceOptions> = {}) => {
    clock = new TestClock();
    service = await startLocalService({ port: 0, env: {}, clock, schedules: false, tiktokTimeoutMs: 200, ...options });
  };
  afterEach(() => service.stop());

  const connect = async (openId: string, accountId = `acc-${openId}`) => {
    const { callbackUrl } = await authorizeInSandbox(service, { openId, accountId });
    expect((await browse(callbackUrl)).status).toBe(302);
  };
  const addSellers = (count: number) => {
    const [template] = service.sandbox.listSellers();
    const [shop] = template?.shops ?? [];
    if (!template || !shop) throw new Error('the sandbox should have a seller with a shop');
    return Array.from({ length: count }, (_, i) => {
      const openId = `sbx-many-${i}`;
      service.sandbox.addSeller({
        ...template,
        openId,
        shops: [{ ...shop, id: `7495${String(i).padStart(15, '0')}` }],
      });
      return openId;
    });
  };
  const grant = async (openId: string): Promise<Grant> => {
    const found = await service.dependencies.store.getGrant(openId);
    if (!found) throw new Error(`no grant for ${openId}`);
    return found;
  };
  const refreshCalls = () => service.sandbox.calls['token/refresh'];
  const eventsOf = (type: string) => service.events.list().filter((event) => event['detail-type'] === type);
  const refreshToken = async (openId: string) => {
    const current = await grant(openId);
    if (!current.refreshToken) throw new Error('no refresh token');
    return service.dependencies.sealer.unseal(current.refreshToken, { openId, appKey: 'sandbox-app-key' });
  };

  describe('the refresh job', () => {
    it('refreshes grants due within 48 hours and leaves the others alone', async () => {
      await start();
      await connect(GB);
      clock.advance(2 * DAY);
      await connect('sbx-open-us-0003');
      clock.advance(3.5 * DAY);
      const usBefore = await grant('sbx-open-us-0003');

      const summary = await service.runRefreshJob();

      expect(summary).toMatchObject({ found: 1, enqueued: 1, refreshed: 1, failed: 0 });
      expect((await grant(GB)).accessTokenExpiresAt.getTime()).toBeGreaterThan(clock.now().getTime() + 6.9 * DAY);
      expect(await grant('sbx-open-us-0003')).toEqual(usBefore);
      expect(eventsOf('Tokens Refreshed').map((event) => (event.detail as { openId: string }).openId)).toEqual([GB]);
    });

    it('pages through many due grants and refreshes each once', async () => {
      await start({ pageSize: 7 });
      const sellers = addSellers(40);
      for (const openId of sellers) await connect(openId);
      clock.advance(6 * DAY);

      const summary = await service.runRefreshJob();

      expect(summary).toMatchObject({ found: 40, enqueued: 40, refreshed: 40, failed: 0 });
      expect(refreshCalls()).toBe(40);
      expect(await service.runRefreshJob()).toMatchObject({ found: 0, refreshed: 0 });
    });

    it('runs two worker invocations at once under one limit of REFRESH_CONCURRENCY calls to TikTok', async () => {
      await start({ env: { REFRESH_CONCURRENCY: '3' } });
      const sellers = addSellers(25);
      for (const openId of sellers) await connect(openId);
      clock.advance(6 * DAY);
      const { store, tiktok } = service.dependencies;
      let started = 0;
      let answered = 0;
      let inFlight = 0;
      let mostInFlight = 0;
      let mostMessagesInFlight = 0;
      // Each refresh takes its grant's lease first: that counts the refreshes started.
      const acquireLease = store.acquireLease.bind(store);
      store.acquireLease = (...args) => {
        started++;
        return acquireLease(...args);
      };
      const refreshTokens = tiktok.refreshTokens.bind(tiktok);
      tiktok.refreshTokens = async (refreshToken) => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        mostMessagesInFlight = Math.max(mostMessagesInFlight, service.queue.depth().inFlight);
        try {
          // The call goes out once every refresh started and not answered is calling TikTok: as many at once as
          // the limit lets through.
          await until(() => started - answered === inFlight);
          return await refreshTokens(refreshToken);
        } finally {
          inFlight--;
          answered++;
        }
      };

      const summary = await service.runRefreshJob();

      expect(summary).toMatchObject({ found: 25, enqueued: 25, refreshed: 25, failed: 0 });
      // Two batches of 10 received before either was done with; one limit for both.
      expect(mostMessagesInFlight).toBe(20);
      expect(mostInFlight).toBe(3);
    });

    it('lets exactly one refresh reach TikTok when the job races a credentials request', async () => {
      await start();
      await connect(GB);
      clock.advance(7 * DAY - 3 * MINUTE);
      // Slow enough for the two to overlap, inside the client's 200 ms timeout.
      service.sandbox.injectFault('token/refresh', { delayMs: 120 });

      const [summary, credentials] = await Promise.all([
        service.runRefreshJob(),
        fetch(`${service.url}/shops/${GB_SHOP}/credentials`),
      ]);

      expect(refreshCalls()).toBe(1);
      expect(credentials.status).toBe(200);
      expect(summary.failed + summary.refreshed + (summary.outcomes['fresh-already'] ?? 0)).toBe(1);
      expect((await grant(GB)).accessTokenExpiresAt.getTime()).toBeGreaterThan(clock.now().getTime() + 6.9 * DAY);
    });

    it('lets another worker refresh once a dead worker’s lease has expired', async () => {
      await start();
      await connect(GB);
      clock.advance(6 * DAY);
      const now = clock.now();
      await service.dependencies.store.acquireLease(GB, 'worker-that-died', new Date(now.getTime() + MINUTE), now);

      const blocked = await service.runRefreshJob();
      clock.advance(MINUTE + 1000);
      const after = await service.runRefreshJob();

      expect(blocked).toMatchObject({ refreshed: 0, failed: 1 });
      expect(after.refreshed).toBe(1);
      expect(refreshCalls()).toBe(1);
      expect((await grant(GB)).lease).toBeUndefined();
    });

    it('rides out a 503 with the client’s own retry', async () => {
      await start();
      await connect(GB);
      clock.advance(6 * DAY);
      service.sandbox.injectFault('token/refresh', { status: 503 });

      expect(await service.runRefreshJob()).toMatchObject({ refreshed: 1, failed: 0 });
      expect(refreshCalls()).toBe(2);
    });

    it('counts a timeout on the grant, says so on the bus, and succeeds on a later delivery', async () => {
      // A rotating TikTok that finishes a refresh after the service stopped waiting has already retired the refresh
      // token the service still holds: no later delivery can succeed then. This covers the non-rotating reading.
      await start({ rotateRefreshTokens: false });
      await connect(GB);
      clock.advance(6 * DAY);
      service.sandbox.injectFault('token/refresh', { delayMs: 500 }, 3);

      const failed = await service.runRefreshJob();

      expect(failed).toMatchObject({ refreshed: 0, failed: 1 });
      expect(await grant(GB)).toMatchObject({
        status: 'ACTIVE',
        refreshFailures: 1,
        lastError: expect.stringContaining('did not answer'),
      });
      expect(eventsOf('Token Refresh Failed').at(-1)?.detail).toMatchObject({
        openId: GB,
        failures: 1,
        retrying: true,
      });
      expect(service.queue.depth()).toMatchObject({ inFlight: 1 });

      clock.advance(MINUTE + 1000);
      const retried = await service.runRefreshJob();

      expect(retried.refreshed).toBe(1);
      expect(await grant(GB)).toMatchObject({ refreshFailures: 0 });
      expect((await grant(GB)).lastError).toBeUndefined();
    });

    describe('against a TikTok that rotates refresh tokens and answers slowly', () => {
      it('waits for a slow refresh longer than for the Open API, and keeps the seller', async () => {
        await start({ tiktokTimeoutMs: 200, tiktokTokenTimeoutMs: 2000 });
        await connect(GB);
        clock.advance(6 * DAY);
        service.sandbox.injectFault('token/refresh', { delayMs: 500 });

        expect(await service.runRefreshJob()).toMatchObject({ refreshed: 1, failed: 0 });
        expect(refreshCalls()).toBe(1);
        // The rotated refresh token is the one held: the next refresh works.
        clock.advance(6 * DAY);
        expect(await service.runRefreshJob()).toMatchObject({ refreshed: 1, reauthorizationRequired: 0 });
        expect((await grant(GB)).status).toBe('ACTIVE');
      });

      it('loses the seller when it gives up on that answer: what the longer wait is for', async () => {
        await start({ tiktokTimeoutMs: 200, tiktokTokenTimeoutMs: 200 });
        await connect(GB);
        clock.advance(6 * DAY);
        service.sandbox.injectFault('token/refresh', { delayMs: 500 }, 3);

        expect(await service.runRefreshJob()).toMatchObject({ refreshed: 0, failed: 1 });
        clock.advance(MINUTE + 1000);
        await service.runRefreshJob();

        // TikTok rotated with the first answer given up on; every later call presents the retired token.
        expect((await grant(GB)).status).toBe('REAUTH_REQUIRED');
      });
    });

    it('marks the grant REAUTH_REQUIRED when TikTok says the refresh token has expired (36004001)', async () => {
      await start();
      await connect(GB);
      clock.advance(6 * DAY);
      service.sandbox.injectFault('token/refresh', { code: 36004001, message: 'rt has expired' });

      expect(await service.runRefreshJob()).toMatchObject({ reauthorizationRequired: 1, failed: 0 });
      expect((await grant(GB)).status).toBe('REAUTH_REQUIRED');
      expect(eventsOf('Reauthorization Required').at(-1)?.detail).toMatchObject({ openId: GB, accountId: `acc-${GB}` });
      expect(service.queue.depth()).toEqual({ visible: 0, inFlight: 0, deadLetters: 0 });
    });

    it('marks an ended authorization REAUTH_REQUIRED without calling TikTok', async () => {
      await start();
      await connect(GB);
      clock.advance(6 * DAY);
      const current = await grant(GB);
      await service.dependencies.store.updateGrant({
        ...current,
        authorizationExpiresAt: new Date(clock.now().getTime() - MINUTE),
      });

      expect(await service.runRefreshJob()).toMatchObject({ reauthorizationRequired: 1 });
      expect(refreshCalls()).toBe(0);
      expect(eventsOf('Reauthorization Required').at(-1)?.detail).toMatchObject({
        reason: 'the authorization has ended',
      });
    });

    it('stores a rotated refresh token, so the next refresh still works', async () => {
      await start({ rotateRefreshTokens: true });
      await connect(GB);
      const first = await refreshToken(GB);
      clock.advance(6 * DAY);

      await service.runRefreshJob();
      const second = await refreshToken(GB);
      clock.advance(6 * DAY);
      const again = await service.runRefreshJob();

      expect(second).not.toBe(first);
      expect(again.refreshed).toBe(1);
    });

    it('keeps the new tokens when an unrelated write moved the grant on during the refresh', async () => {
      await start({ rotateRefreshTokens: true });
      await connect(GB);
      clock.advance(6 * DAY);
      // TikTok answers slowly; meanwhile a reminder records a milestone on the same grant.
      service.sandbox.injectFault('token/refresh', { delayMs: 150 });
      const job = service.runRefreshJob();
      await new Promise((resolve) => setTimeout(resolve, 60));
      const current = await grant(GB);
      await service.dependencies.store.updateGrant({ ...current, remindersSent: [30] });

      expect(await job).toMatchObject({ refreshed: 1 });
      expect((await grant(GB)).remindersSent).toEqual([30]);
      clock.advance(6 * DAY);
      expect(await service.runRefreshJob()).toMatchObject({ refreshed: 1, reauthorizationRequired: 0 });
    });

    it('does not bring back tokens of a seller revoked during the refresh', async () => {
      await start();
      await connect(GB);
      clock.advance(6 * DAY);
      service.sandbox.injectFault('token/refresh', { delayMs: 150 });
      const job = service.runRefreshJob();
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect((await fetch(`${service.url}/sellers/${GB}`, { method: 'DELETE' })).status).toBe(204);

      await job;

      expect(await grant(GB)).toMatchObject({ status: 'REVOKED' });
      expect((await grant(GB)).accessToken).toBeUndefined();
    });

    it('keeps an unchanged refresh token', async () => {
      // The sandbox rotates by default; this is about a TikTok that hands the same refresh token back.
      await start({ rotateRefreshTokens: false });
      await connect(GB);
      const first = await refreshToken(GB);
      clock.advance(6 * DAY);

      await service.runRefreshJob();

      expect(await refreshToken(GB)).toBe(first);
    });
  });

  describe('renewal reminders', () => {
    const endIn = async (openId: string, days: number) => {
      const current = await grant(openId);
      await service.dependencies.store.updateGrant({
        ...current,
        authorizationExpiresAt: new Date(clock.now().getTime() + days * DAY),
      });
    };
    const reminderDetail = z.object({
      openId: z.string(),
      milestone: z.number(),
      daysLeft: z.number(),
      reauthorizeUrl: z.string(),
    });
    const reminders = () => eventsOf('Authorization Expiring').map((event) => reminderDetail.parse(event.detail));

    it('reminds at 30, 7 and 1 days before the end, once, and not for 40 days or an ended one', async () => {
      await start();
      const sellers = addSellers(6);
      const ends = [40, 30, 20, 7, 1, -1];
      for (const [i, openId] of sellers.entries()) {
        await connect(openId);
        await endIn(openId, ends[i] ?? 0);
      }

      const first = await service.runReminderJob();
      const second = await service.runReminderJob();

      expect(first.reminded).toBe(4);
      expect(second.reminded).toBe(0);
      expect(
        reminders()
          .map((r) => [r.openId, r.daysLeft, r.milestone])
          .sort(),
      ).toEqual([
        ['sbx-many-1', 30, 30],
        ['sbx-many-2', 20, 30],
        ['sbx-many-3', 7, 7],
        ['sbx-many-4', 1, 1],
      ]);
      const link = new URL(reminders()[0]?.reauthorizeUrl ?? 'about:blank');
      expect(link.searchParams.get('service_id')).toBe('sandbox-service-id');
      expect(link.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(
        service.notifications
          .list()
          .map((n) => n.subject)
          .sort(),
      ).toEqual([
        'TikTok Shop authorization ends in 1 day: Sandbox Seller GB',
        'TikTok Shop authorization ends in 20 days: Sandbox Seller GB',
        'TikTok Shop authorization ends in 30 days: Sandbox Seller GB',
        'TikTok Shop authorization ends in 7 days: Sandbox Seller GB',
      ]);
    });

    it('sends a milestone once when TikTok’s type 7 webhook and the daily job both see it', async () => {
      await start();
      await connect(GB);
      clock.advance(60_000);
      const end = Math.floor((clock.now().getTime() + 6 * DAY) / 1000);

      const sent = await service.sandbox.sendWebhook({
        type: 7,
        shopId: GB_SHOP,
        data: { expiration_time: String(end) },
      });
      const job = await service.runReminderJob();

      expect(sent.status).toBe(200);
      expect(job.reminded).toBe(0);
      expect(reminders().map((r) => r.milestone)).toEqual([7]);
    });

    it('keeps a renewal link working until the authorization ends, not one hour', async () => {
      await start();
      await connect(GB);
      await endIn(GB, 7);
      await service.runReminderJob();
      const link = reminders()[0]?.reauthorizeUrl ?? 'about:blank';
      clock.advance(5 * DAY);

      const state = new URL(link).searchParams.get('state') ?? '';
      const callback = new URL(service.sandbox.approve(GB, state));
      const landing = await browse(callback.toString());

      expect(landing.status).toBe(302);
      expect(new URL(landing.headers.get('location') ?? '').searchParams.get('accountId')).toBe(`acc-${GB}`);
    });

    it('starts the milestones afresh after a re-authorization', async () => {
      await start();
      await connect(GB);
      await endIn(GB, 25);
      await service.runReminderJob();

      await connect(GB);
      expect((await grant(GB)).remindersSent).toEqual([]);
      await endIn(GB, 25);
      await service.runReminderJob();

      expect(reminders().map((r) => r.milestone)).toEqual([30, 30]);
    });
  });

  describe('over HTTP, as the console and scripts use it', () => {
    it('runs each job now and answers a JSON summary', async () => {
      await start();
      await connect(GB);
      clock.advance(6 * DAY);

      const refresh = await fetch(`${service.url}/_local/jobs/refresh`, { method: 'POST' });
      const reminders = await fetch(`${service.url}/_local/jobs/reminders`, { method: 'POST' });

      expect(await refresh.json()).toMatchObject({ found: 1, enqueued: 1, refreshed: 1, failed: 0 });
      expect(await reminders.json()).toEqual({ found: 0, reminded: 0, failed: 0 });
    });
  });
});
