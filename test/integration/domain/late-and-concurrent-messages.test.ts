import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { createAuthorizationLink } from '../../../lambdas/domain/authorization-links';
import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import { getShopCredentials } from '../../../lambdas/domain/credentials';
import { remindEndingAuthorizations } from '../../../lambdas/domain/reminders';
import { claimInstallation, disconnectSeller } from '../../../lambdas/domain/sellers';
import { refreshQueuedGrant } from '../../../lambdas/domain/token-refresh';
import { receiveWebhook } from '../../../lambdas/domain/webhooks';
import { mapError } from '../../../lambdas/shared/http';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import {
  afterCall,
  createDomainHarness,
  type DomainHarness,
  REMINDERS,
  WEBHOOKS,
  webhookOf,
} from '../../support/domain-harness';
import { authorizedShop } from '../../support/tiktok-world';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const [X, Y] = ['7494000000000000901', '7494000000000000902'];
const SELLERS = [
  { openId: 'seller-1', name: 'One', shops: [authorizedShop(X)] },
  { openId: 'seller-2', name: 'Two', shops: [authorizedShop(Y)] },
  { openId: 'seller-3', name: 'Three', shops: [] },
];
const CALLBACK = { ticketTtlMs: 30 * 60_000 };
const REFRESH = { refreshAheadMs: 2 * DAY, leaseMs: 60_000 };

describe('late, duplicate and concurrent messages never undo a newer truth', () => {
  let dynamo: LocalDynamoDb;
  let h: DomainHarness;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    h = await createDomainHarness(dynamo, SELLERS);
  });

  const authorizeWithLink = async (openId: string, accountId: string, days: number, deps = h.deps) => {
    const link = await createAuthorizationLink({ accountId }, h.deps, REMINDERS.link);
    const state = new URL(link.url).searchParams.get('state') ?? '';
    return completeAuthorization({ code: h.world.authorize(openId, days), state }, deps, CALLBACK);
  };
  const installFromAppStore = async (openId: string, days = 365) => {
    const outcome = await completeAuthorization({ code: h.world.authorize(openId, days) }, h.deps, CALLBACK);
    if (outcome.kind !== 'pending-claim') throw new Error('an install without state must wait for a claim');
    return outcome.ticket;
  };
  const deliver = (webhook: ReturnType<typeof webhookOf>, deps = h.webhookDeps) =>
    receiveWebhook(webhook, webhook.tts_notification_id, deps, WEBHOOKS);
  const eventsOf = (type: string) => h.events.list().filter((event) => event['detail-type'] === type);
  const grant = async (openId: string) => h.deps.store.getGrant(openId);
  const shopStatuses = async (openId: string) =>
    (await h.deps.store.listShops(openId)).map((each) => `${each.shopId}:${each.status}`);
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => mapError(error),
    );

  describe('1. the upcoming expiration webhook (type 7)', () => {
    it('delivered after the seller authorized again, leaves the new end, and the next refresh works', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 20);
      const oldEnd = h.world.authorizationEnd('seller-1');
      h.clock.advance(HOUR);
      const late = webhookOf(7, X, h.clock.now(), { expiration_time: String((oldEnd?.getTime() ?? 0) / 1000) });
      h.clock.advance(HOUR);
      await authorizeWithLink('seller-1', 'acc-1', 365);
      const newEnd = h.world.authorizationEnd('seller-1');
      h.clock.advance(HOUR);

      const outcome = await deliver(late);

      expect(outcome).toBe('stale');
      expect((await grant('seller-1'))?.authorizationExpiresAt).toEqual(newEnd);
      expect(eventsOf('Authorization Expiring')).toEqual([]);
      h.clock.advance(21 * DAY);
      expect(await refreshQueuedGrant('seller-1', 'worker-1', h.deps, REFRESH)).toBe('refreshed');
      expect((await grant('seller-1'))?.status).toBe('ACTIVE');
    });

    it('replayed after its receipt expired, is neither acted on nor forwarded again', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 20);
      const end = h.world.authorizationEnd('seller-1');
      h.clock.advance(HOUR);
      const webhook = webhookOf(7, X, h.clock.now(), { expiration_time: String((end?.getTime() ?? 0) / 1000) });
      expect(await deliver(webhook)).toBe('processed');
      const before = h.events.list().length;
      h.clock.advance(15 * DAY);
      // What DynamoDB's TTL does to the receipt after 14 days.
      await dynamo.documentClient.send(
        new DeleteCommand({
          TableName: h.tableName,
          Key: { pk: `WEBHOOK#${webhook.tts_notification_id}`, sk: 'RECEIPT' },
        }),
      );

      expect(await deliver(webhook)).toBe('stale');
      expect(h.events.list().length).toBe(before);
    });
  });

  describe('2. deauthorization and disconnection racing a re-authorization', () => {
    it.each(['findShop', 'getGrant'] as const)(
      'a type 6 sent before the re-authorization, which lands right after its %s, revokes nothing',
      async (method) => {
        await authorizeWithLink('seller-1', 'acc-1', 365);
        h.clock.advance(HOUR);
        h.world.cancel('seller-1');
        const deauthorization = webhookOf(6, X, h.clock.now(), { message: 'deauthorized' });
        h.clock.advance(HOUR);
        const reauthorize = () => authorizeWithLink('seller-1', 'acc-1', 365);
        const racing = { ...h.webhookDeps, store: afterCall(h.deps.store, method, reauthorize) };

        const outcome = await deliver(deauthorization, racing);

        expect(outcome).toBe('stale');
        expect((await grant('seller-1'))?.status).toBe('ACTIVE');
        expect(await shopStatuses('seller-1')).toEqual([`${X}:ACTIVE`]);
        expect(eventsOf('Seller Deauthorized')).toEqual([]);
      },
    );

    it('a disconnection racing a re-authorization never leaves an active grant whose shops are revoked', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 365);
      h.clock.advance(HOUR);
      const reauthorize = () => authorizeWithLink('seller-1', 'acc-1', 365);
      const racing = { ...h.deps, store: afterCall(h.deps.store, 'updateGrant', reauthorize) };

      await disconnectSeller('seller-1', racing);

      const status = (await grant('seller-1'))?.status;
      expect(await shopStatuses('seller-1')).toEqual([`${X}:${status === 'ACTIVE' ? 'ACTIVE' : 'REVOKED'}`]);
    });
  });

  describe('two callbacks of the same seller (approved twice)', () => {
    it('the older one, finishing last, does not overwrite the newer authorization', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 365);
      h.clock.advance(HOUR);
      const olderCode = h.world.authorize('seller-1', 365);
      const olderLink = await createAuthorizationLink({ accountId: 'acc-1' }, h.deps, REMINDERS.link);
      const olderState = new URL(olderLink.url).searchParams.get('state') ?? '';
      // The older callback has its tokens and shops; the newer approval and callback complete while it seals them.
      const slowTikTok = afterCall(h.world, 'getAuthorizedShops', async () => {
        h.clock.advance(60_000);
        await authorizeWithLink('seller-1', 'acc-1', 365);
      });

      await completeAuthorization({ code: olderCode, state: olderState }, { ...h.deps, tiktok: slowTikTok }, CALLBACK);

      const stored = await grant('seller-1');
      expect(stored?.authorizedAt).toEqual(new Date(h.clock.now().getTime()));
      expect(await shopStatuses('seller-1')).toEqual([`${X}:ACTIVE`]);
      h.clock.advance(6 * DAY);
      expect(await refreshQueuedGrant('seller-1', 'worker-1', h.deps, REFRESH)).toBe('refreshed');
      expect(eventsOf('Seller Authorized')).toHaveLength(2);
    });
  });

  describe('3. claiming an App Store install', () => {
    it('is refused once the seller was disconnected (410 SELLER_NOT_ACTIVE), and binds nothing', async () => {
      const ticket = await installFromAppStore('seller-1');
      await disconnectSeller('seller-1', h.deps);

      const refused = await refusal(claimInstallation({ ticket, accountId: 'acc-late' }, h.deps));

      expect(refused).toMatchObject({ status: 410, code: 'SELLER_NOT_ACTIVE' });
      expect((await grant('seller-1'))?.accountId).toBeUndefined();
      expect(eventsOf('Installation Claimed')).toEqual([]);
    });

    it('is refused for a ticket of an authorization since replaced (410 TICKET_SUPERSEDED)', async () => {
      const ticket = await installFromAppStore('seller-1');
      h.clock.advance(60_000);
      await authorizeWithLink('seller-1', 'acc-A', 365);

      const refused = await refusal(claimInstallation({ ticket, accountId: 'acc-B' }, h.deps));

      expect(refused).toMatchObject({ status: 410, code: 'TICKET_SUPERSEDED' });
      expect((await grant('seller-1'))?.accountId).toBe('acc-A');
    });

    it('says which account the seller left when a claim moves them to another', async () => {
      await authorizeWithLink('seller-1', 'acc-A', 365);
      h.clock.advance(60_000);
      const ticket = await installFromAppStore('seller-1');

      await claimInstallation({ ticket, accountId: 'acc-B' }, h.deps);

      expect((await grant('seller-1'))?.accountId).toBe('acc-B');
      expect(eventsOf('Installation Claimed').map((event) => event.detail)).toEqual([
        expect.objectContaining({ openId: 'seller-1', accountId: 'acc-B', previousAccountId: 'acc-A' }),
      ]);
    });
  });

  describe('4. the renewal link', () => {
    it('refuses another seller who uses it, and stores nothing for them', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 20);
      await remindEndingAuthorizations(h.deps, REMINDERS);
      const [reminder] = eventsOf('Authorization Expiring');
      const url = new URL(z.object({ reauthorizeUrl: z.string() }).parse(reminder?.detail).reauthorizeUrl);
      const state = url.searchParams.get('state') ?? '';
      expect(state).not.toBe('');

      const refused = completeAuthorization({ code: h.world.authorize('seller-2', 365), state }, h.deps, CALLBACK);

      await expect(refused).rejects.toMatchObject({ name: 'WrongSellerError' });
      expect(await grant('seller-2')).toBeUndefined();
      expect(await h.deps.store.listShops('seller-2')).toEqual([]);
      expect(eventsOf('Seller Authorized').map((event) => event.detail)).toEqual([
        expect.objectContaining({ openId: 'seller-1' }),
      ]);
    });

    it('used by another seller this service holds, keeps that seller’s new authorization under their own account', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 20);
      await authorizeWithLink('seller-2', 'acc-2', 365);
      h.clock.advance(HOUR);
      const link = await createAuthorizationLink({ accountId: 'acc-1', openId: 'seller-1' }, h.deps, REMINDERS.link);
      const state = new URL(link.url).searchParams.get('state') ?? '';

      const refused = completeAuthorization({ code: h.world.authorize('seller-2', 365), state }, h.deps, CALLBACK);

      await expect(refused).rejects.toMatchObject({ name: 'WrongSellerError' });
      expect(await grant('seller-2')).toMatchObject({ status: 'ACTIVE', accountId: 'acc-2' });
      h.clock.advance(6 * DAY);
      expect(await refreshQueuedGrant('seller-2', 'worker-1', h.deps, REFRESH)).toBe('refreshed');
    });

    it('works for the seller it was made for', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 20);
      const link = await createAuthorizationLink({ accountId: 'acc-1', openId: 'seller-1' }, h.deps, REMINDERS.link);
      const state = new URL(link.url).searchParams.get('state') ?? '';

      const outcome = await completeAuthorization(
        { code: h.world.authorize('seller-1', 365), state },
        h.deps,
        CALLBACK,
      );

      expect(outcome).toMatchObject({ kind: 'authorized', openId: 'seller-1', reauthorization: true });
    });
  });

  describe('5. a shop id held by two sellers', () => {
    it('resolves to the seller whose authorization listed it last, and revokes the older copy', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 365);
      h.clock.advance(HOUR);
      h.world.setShops('seller-1', []);
      h.world.setShops('seller-3', [authorizedShop(X)]);
      await authorizeWithLink('seller-3', 'acc-3', 365);

      expect((await getShopCredentials(X, h.deps, CREDENTIALS)).openId).toBe('seller-3');
      expect(await shopStatuses('seller-1')).toEqual([`${X}:REVOKED`]);
      expect((await grant('seller-1'))?.status).toBe('ACTIVE');

      h.clock.advance(HOUR);
      h.world.setShops('seller-3', []);
      h.world.setShops('seller-1', [authorizedShop(X)]);
      await authorizeWithLink('seller-1', 'acc-1', 365);
      expect((await getShopCredentials(X, h.deps, CREDENTIALS)).openId).toBe('seller-1');

      await disconnectSeller('seller-1', h.deps);
      expect(await refusal(getShopCredentials(X, h.deps, CREDENTIALS))).toMatchObject({ code: 'SHOP_REVOKED' });
      expect((await h.deps.store.findShop(X))?.openId).toBe('seller-1');
    });

    it('a deauthorization of the shop sent by its former seller revokes neither seller', async () => {
      await authorizeWithLink('seller-1', 'acc-1', 365);
      h.clock.advance(HOUR);
      h.world.cancel('seller-1');
      const formerSellers = webhookOf(6, X, h.clock.now());
      h.clock.advance(HOUR);
      h.world.setShops('seller-3', [authorizedShop(X)]);
      await authorizeWithLink('seller-3', 'acc-3', 365);

      expect(await deliver(formerSellers)).toBe('stale');
      expect((await grant('seller-3'))?.status).toBe('ACTIVE');
      expect((await getShopCredentials(X, h.deps, CREDENTIALS)).openId).toBe('seller-3');
    });
  });
});

const CREDENTIALS = { refreshWithinMs: 5 * 60_000, leaseMs: 30_000, waitMs: 1_000 };
