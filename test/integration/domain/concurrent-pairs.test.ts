import * as fc from 'fast-check';
import * as z from 'zod';
import { createAuthorizationLink } from '../../../lambdas/domain/authorization-links';
import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import { getShopCredentials } from '../../../lambdas/domain/credentials';
import type { Dependencies } from '../../../lambdas/domain/dependencies';
import { claimInstallation, disconnectSeller } from '../../../lambdas/domain/sellers';
import { refreshQueuedGrant } from '../../../lambdas/domain/token-refresh';
import { receiveWebhook, type WebhookDependencies } from '../../../lambdas/domain/webhooks';
import { mapError } from '../../../lambdas/shared/http';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import { createDomainHarness, type DomainHarness, REMINDERS, WEBHOOKS, webhookOf } from '../../support/domain-harness';
import { Interleaving } from '../../support/interleaving';
import { authorizedShop } from '../../support/tiktok-world';

/**
 * Two operations at once, their store, TikTok and bus calls interleaved in every order fast-check's scheduler
 * draws. Whatever the interleaving, the outcome must be one the two would have had one after the other
 * (linearizable), and never the mixed states the reviews reproduced.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SHOP = '7494000000000000777';
const SELLER = 'seller-1';
const CALLBACK = { ticketTtlMs: 30 * 60_000 };
const REFRESH = { refreshAheadMs: 2 * DAY, leaseMs: 60_000 };
const CREDENTIALS = { refreshWithinMs: 5 * 60_000, leaseMs: 30_000, waitMs: 0 };
const RUNS = Number(process.env.PAIR_RUNS ?? 80);

const accountOf = z.object({ accountId: z.string().optional() });

describe('concurrent pairs, ordered by fast-check’s scheduler, on a real store', () => {
  let dynamo: LocalDynamoDb;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());

  const harness = () =>
    createDomainHarness(dynamo, [
      {
        openId: SELLER,
        name: 'One',
        shops: [authorizedShop(SHOP)],
      },
    ]);
  /** The use cases' dependencies with every port call a step of the interleaving. */
  const interleaved = (h: DomainHarness, interleaving: Interleaving): WebhookDependencies & Dependencies => ({
    ...h.deps,
    store: interleaving.port(h.deps.store, 'store'),
    receipts: interleaving.port(h.webhookDeps.receipts, 'receipts'),
    tiktok: interleaving.port(h.deps.tiktok, 'tiktok'),
    events: interleaving.port(h.deps.events, 'events'),
  });
  const authorize = async (h: DomainHarness, deps: Dependencies, days = 365) => {
    const link = await createAuthorizationLink({ accountId: 'acc-1' }, h.deps, REMINDERS.link);
    const state = new URL(link.url).searchParams.get('state') ?? '';
    return completeAuthorization({ code: h.world.authorize(SELLER, days), state }, deps, CALLBACK);
  };
  const types = (h: DomainHarness) => h.events.list().map((event) => event['detail-type']);
  const shopStatus = async (h: DomainHarness) => (await h.deps.store.listShops(SELLER))[0]?.status;
  const property = (body: (s: fc.Scheduler) => Promise<void>) =>
    fc.assert(fc.asyncProperty(fc.scheduler(), body), { numRuns: RUNS });

  it('a re-authorization and a deauthorization sent before it: the seller stays authorized', async () => {
    await property(async (s) => {
      const h = await harness();
      await authorize(h, h.deps);
      h.clock.advance(HOUR);
      h.world.cancel(SELLER);
      const late = webhookOf(6, SHOP, h.clock.now());
      h.clock.advance(HOUR);
      const before = h.events.list().length;
      const interleaving = new Interleaving(s);
      const deps = interleaved(h, interleaving);

      const [, delivery] = await interleaving.run([
        () => authorize(h, deps),
        () => receiveWebhook(late, late.tts_notification_id, deps, WEBHOOKS),
      ]);

      const outcome = delivery?.status === 'fulfilled' ? delivery.value : 'failed';
      expect(['processed', 'stale']).toContain(outcome);
      expect((await h.deps.store.getGrant(SELLER))?.status).toBe('ACTIVE');
      expect(await shopStatus(h)).toBe('ACTIVE');
      // Acted on only when it came first: then its events are there, else none of them.
      const deauthorized = types(h).slice(before).includes('Seller Deauthorized');
      expect(deauthorized).toBe(outcome === 'processed');
    });
  });

  it('a re-authorization and a disconnection: one wins whole, never an active grant with revoked shops', async () => {
    await property(async (s) => {
      const h = await harness();
      await authorize(h, h.deps);
      h.clock.advance(HOUR);
      const interleaving = new Interleaving(s);
      const deps = interleaved(h, interleaving);

      const results = await interleaving.run([() => authorize(h, deps), () => disconnectSeller(SELLER, deps)]);

      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      const status = (await h.deps.store.getGrant(SELLER))?.status;
      expect(['ACTIVE', 'REVOKED']).toContain(status);
      expect(await shopStatus(h)).toBe(status);
    });
  });

  it('a re-authorization and a type 7 sent before it: the new end stands, and the next refresh works', async () => {
    await property(async (s) => {
      const h = await harness();
      await authorize(h, h.deps, 20);
      const oldEnd = h.world.authorizationEnd(SELLER)?.getTime() ?? 0;
      h.clock.advance(HOUR);
      const late = webhookOf(7, SHOP, h.clock.now(), { expiration_time: String(oldEnd / 1000) });
      h.clock.advance(HOUR);
      const interleaving = new Interleaving(s);
      const deps = interleaved(h, interleaving);

      await interleaving.run([
        () => authorize(h, deps),
        () => receiveWebhook(late, late.tts_notification_id, deps, WEBHOOKS),
      ]);

      expect((await h.deps.store.getGrant(SELLER))?.authorizationExpiresAt).toEqual(h.world.authorizationEnd(SELLER));
      h.clock.advance(25 * DAY);
      expect(await refreshQueuedGrant(SELLER, 'worker-after', h.deps, REFRESH)).toBe('refreshed');
    });
  });

  it('a claim and a disconnection: the claim binds only a seller still active', async () => {
    await property(async (s) => {
      const h = await harness();
      const installed = await completeAuthorization({ code: h.world.authorize(SELLER, 365) }, h.deps, CALLBACK);
      if (installed.kind !== 'pending-claim') throw new Error('expected an install ticket');
      const interleaving = new Interleaving(s);
      const deps = interleaved(h, interleaving);

      const [claim] = await interleaving.run([
        () => claimInstallation({ ticket: installed.ticket, accountId: 'acc-claimed' }, deps),
        () => disconnectSeller(SELLER, deps),
      ]);

      const grant = await h.deps.store.getGrant(SELLER);
      expect(grant?.status).toBe('REVOKED');
      const disconnected = h.events.list().find((event) => event['detail-type'] === 'Seller Disconnected');
      if (claim?.status === 'fulfilled') {
        // The claim came first: the disconnection let go of the claimed account.
        expect(grant?.accountId).toBe('acc-claimed');
        expect(accountOf.parse(disconnected?.detail).accountId).toBe('acc-claimed');
      } else {
        expect(mapError(claim?.reason).code).toBe('SELLER_NOT_ACTIVE');
        expect(grant?.accountId).toBeUndefined();
        expect(types(h)).not.toContain('Installation Claimed');
      }
    });
  });

  it('a re-authorization and a refresh: the newer authorization stands and its token is the one handed out', async () => {
    await property(async (s) => {
      const h = await harness();
      await authorize(h, h.deps);
      h.clock.advance(6 * DAY);
      const interleaving = new Interleaving(s);
      const deps = interleaved(h, interleaving);

      await interleaving.run([() => authorize(h, deps), () => refreshQueuedGrant(SELLER, 'worker-1', deps, REFRESH)]);

      // TikTok may refuse the old refresh token before the callback has stored the new one: the refresh then
      // rightly records REAUTH_REQUIRED, and the re-authorization, landing after, must leave the seller ACTIVE.
      const grant = await h.deps.store.getGrant(SELLER);
      expect(grant?.status).toBe('ACTIVE');
      const credentials = await getShopCredentials(SHOP, h.deps, CREDENTIALS);
      expect(h.world.acceptsAccessToken(SELLER, credentials.accessToken)).toBe(true);
    });
  });
});
