import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createGrantTable } from '../../../../lambdas/adapters/dynamodb/create-table';
import { DynamoDbGrantStore } from '../../../../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbWebhookReceipts } from '../../../../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import {
  GrantAlreadyExistsError,
  GrantNotFoundError,
  InvalidCursorError,
  LeaseHeldError,
  OneTimeValueRejectedError,
  StaleGrantError,
} from '../../../../lambdas/domain/errors';
import type { Page } from '../../../../lambdas/domain/model';
import type { GrantStore } from '../../../../lambdas/ports';
import type { LocalDynamoDb } from '../../../../local/embedded-dynamodb';
import { at, days, minutes, newGrant, sealed, shop, T0 } from '../../../support/builders';

let tableCount = 0;

/** The two one-time values behave alike; each kind pairs its own save and consume. */
interface OneTimeCase {
  readonly kind: 'state' | 'ticket';
  save(store: GrantStore, value: string, expiresAt: Date): Promise<void>;
  consume(store: GrantStore, value: string, now: Date): Promise<unknown>;
  readonly bound: Record<string, string>;
}

const ONE_TIME_CASES: OneTimeCase[] = [
  {
    kind: 'state',
    bound: { accountId: 'acc-9', returnTo: '/settings' },
    save: (store, value, expiresAt) => store.saveState(value, { accountId: 'acc-9', returnTo: '/settings', expiresAt }),
    consume: (store, value, now) => store.consumeState(value, now),
  },
  {
    kind: 'ticket',
    bound: { openId: 'open-9' },
    save: (store, value, expiresAt) => store.saveTicket(value, { openId: 'open-9', expiresAt }),
    consume: (store, value, now) => store.consumeTicket(value, now),
  },
];

/**
 * One battery of tests that every DynamoDB engine the store runs on must pass: each conditional path of the
 * store, over the real wire protocol.
 */
export function runGrantStoreBattery(engine: string, start: () => Promise<LocalDynamoDb>): void {
  describe(`DynamoDbGrantStore on ${engine}`, () => {
    let dynamo: LocalDynamoDb;
    let store: GrantStore;
    let tableName: string;

    const newStore = (pageSize?: number) =>
      new DynamoDbGrantStore({ client: dynamo.documentClient, tableName, pageSize });

    const rawItems = async () => {
      const { Items } = await dynamo.client.send(new ScanCommand({ TableName: tableName }));
      return JSON.stringify(Items ?? []);
    };

    beforeAll(async () => {
      dynamo = await start();
    }, 60_000);

    afterAll(async () => {
      await dynamo.stop();
    });

    beforeEach(async () => {
      tableName = `grants-${++tableCount}`;
      await createGrantTable(dynamo.client, tableName);
      store = newStore();
    });

    describe('grants', () => {
      it('stores a new grant at version 1 and reads back every field', async () => {
        const grant = newGrant();

        const created = await store.createGrant(grant);
        const read = await store.getGrant(grant.openId);

        expect(created).toEqual({ ...grant, version: 1 });
        expect(read).toEqual({ ...grant, version: 1 });
      });

      it('answers undefined for a seller it does not know', async () => {
        expect(await store.getGrant('nobody')).toBeUndefined();
      });

      it('refuses to create a second grant for the same seller', async () => {
        await store.createGrant(newGrant());

        await expect(store.createGrant(newGrant({ sellerName: 'Other' }))).rejects.toBeInstanceOf(
          GrantAlreadyExistsError,
        );
        expect((await store.getGrant('open-1'))?.sellerName).toBe('Sandbox Seller');
      });

      it('updates a grant read at the current version and moves the version on', async () => {
        const grant = await store.createGrant(newGrant());

        const updated = await store.updateGrant({ ...grant, accessToken: sealed('access-2'), refreshFailures: 2 });

        expect(updated.version).toBe(2);
        expect(await store.getGrant('open-1')).toEqual({
          ...grant,
          accessToken: sealed('access-2'),
          refreshFailures: 2,
          version: 2,
        });
      });

      it('refuses an update from a stale read and keeps the newer write', async () => {
        const grant = await store.createGrant(newGrant());
        await store.updateGrant({ ...grant, sellerName: 'First writer' });

        await expect(store.updateGrant({ ...grant, sellerName: 'Second writer' })).rejects.toBeInstanceOf(
          StaleGrantError,
        );
        expect((await store.getGrant('open-1'))?.sellerName).toBe('First writer');
      });

      it('refuses to update a grant that does not exist', async () => {
        await expect(store.updateGrant({ ...newGrant(), version: 1 })).rejects.toBeInstanceOf(StaleGrantError);
        expect(await store.getGrant('open-1')).toBeUndefined();
      });

      it('removes the tokens and optional fields an update leaves out', async () => {
        const grant = await store.createGrant(newGrant({ lastError: 'timeout' }));
        const { accessToken: _access, refreshToken: _refresh, lastError: _error, ...revoked } = grant;

        await store.updateGrant({ ...revoked, status: 'REVOKED' });

        const read = await store.getGrant('open-1');
        expect(read?.status).toBe('REVOKED');
        expect(read?.accessToken).toBeUndefined();
        expect(read?.refreshToken).toBeUndefined();
        expect(read?.lastError).toBeUndefined();
        expect(await rawItems()).not.toContain(sealed('access'));
      });
    });

    describe('refresh lease', () => {
      it('gives a free lease and returns the grant as it is now', async () => {
        const grant = await store.createGrant(newGrant());

        const leased = await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        expect(leased).toEqual({ ...grant, lease: { holder: 'worker-a', until: at(minutes(1)) } });
      });

      it('refuses a lease another holder has until it expires', async () => {
        await store.createGrant(newGrant());
        await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        const attempt = store.acquireLease('open-1', 'worker-b', at(minutes(2)), at(minutes(0.5)));

        await expect(attempt).rejects.toBeInstanceOf(LeaseHeldError);
        await expect(attempt).rejects.toMatchObject({ until: at(minutes(1)) });
        expect((await store.getGrant('open-1'))?.lease?.holder).toBe('worker-a');
      });

      it('lets another holder take a lease whose holder died and let it expire', async () => {
        await store.createGrant(newGrant());
        await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        const leased = await store.acquireLease('open-1', 'worker-b', at(minutes(3)), at(minutes(1)));

        expect(leased.lease).toEqual({ holder: 'worker-b', until: at(minutes(3)) });
      });

      it('lets the holder extend its own lease', async () => {
        await store.createGrant(newGrant());
        await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        const leased = await store.acquireLease('open-1', 'worker-a', at(minutes(2)), at(minutes(0.5)));

        expect(leased.lease?.until).toEqual(at(minutes(2)));
      });

      it('lets exactly one of many simultaneous callers take a free lease', async () => {
        await store.createGrant(newGrant());

        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.acquireLease('open-1', `worker-${i}`, at(minutes(1)), T0)),
        );

        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        expect(results.filter((result) => result.status === 'rejected').map((result) => result.reason)).toEqual(
          Array.from({ length: 7 }, () => expect.any(LeaseHeldError)),
        );
      });

      it('says there is no grant when leasing an unknown seller', async () => {
        await expect(store.acquireLease('nobody', 'worker-a', at(minutes(1)), T0)).rejects.toBeInstanceOf(
          GrantNotFoundError,
        );
      });

      it('ignores a release by someone who does not hold the lease', async () => {
        await store.createGrant(newGrant());
        await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        await store.releaseLease('open-1', 'worker-b');

        expect((await store.getGrant('open-1'))?.lease?.holder).toBe('worker-a');
      });

      it('frees the lease when its holder releases it', async () => {
        await store.createGrant(newGrant());
        await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        await store.releaseLease('open-1', 'worker-a');

        expect((await store.getGrant('open-1'))?.lease).toBeUndefined();
        await expect(store.acquireLease('open-1', 'worker-b', at(minutes(1)), T0)).resolves.toMatchObject({
          lease: { holder: 'worker-b' },
        });
      });

      it('does not move the version, so the holder writes with the version it re-read', async () => {
        await store.createGrant(newGrant());
        const leased = await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        const written = await store.updateGrant(
          { ...leased, accessToken: sealed('fresh') },
          { releaseLeaseOf: 'worker-a' },
        );

        expect(leased.version).toBe(1);
        expect(written.version).toBe(2);
        expect(written.lease).toBeUndefined();
        expect(await store.getGrant('open-1')).toEqual(written);
      });

      it('keeps the lease through an update that does not release it', async () => {
        await store.createGrant(newGrant());
        const leased = await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);

        await store.updateGrant({ ...leased, refreshFailures: 1 });

        expect((await store.getGrant('open-1'))?.lease).toEqual({ holder: 'worker-a', until: at(minutes(1)) });
      });

      it('refuses the write of a holder whose grant was changed meanwhile', async () => {
        await store.createGrant(newGrant());
        const leased = await store.acquireLease('open-1', 'worker-a', at(minutes(1)), T0);
        await store.updateGrant({ ...leased, status: 'REVOKED' });

        await expect(store.updateGrant({ ...leased, accessToken: sealed('late') })).rejects.toBeInstanceOf(
          StaleGrantError,
        );
        expect((await store.getGrant('open-1'))?.status).toBe('REVOKED');
      });
    });

    describe('queued refreshes', () => {
      it('marks an active grant queued once: a second claim before the hold ends is refused', async () => {
        await store.createGrant(newGrant());

        expect(await store.claimRefresh('open-1', T0, at(minutes(60)))).toBe(true);
        // The same claim again is the same call's retried attempt: still this caller's.
        expect(await store.claimRefresh('open-1', T0, at(minutes(60)))).toBe(true);
        expect(await store.claimRefresh('open-1', at(minutes(30)), at(minutes(90)))).toBe(false);
        expect(await store.claimRefresh('open-1', at(minutes(60)), at(minutes(120)))).toBe(true);
      });

      it('refuses to mark a grant that is not active, or that does not exist', async () => {
        await store.createGrant(newGrant({ status: 'REAUTH_REQUIRED' }));

        expect(await store.claimRefresh('open-1', T0, at(minutes(60)))).toBe(false);
        expect(await store.claimRefresh('nobody', T0, at(minutes(60)))).toBe(false);
        expect(await store.getGrant('nobody')).toBeUndefined();
      });

      it('holds a grant longer or releases it, without changing its version or its other facts', async () => {
        const grant = await store.createGrant(newGrant());
        await store.claimRefresh('open-1', T0, at(minutes(60)));

        await store.holdRefresh('open-1', at(minutes(240)));
        expect(await store.claimRefresh('open-1', at(minutes(90)), at(minutes(150)))).toBe(false);
        await store.holdRefresh('open-1', at(minutes(90)));
        expect(await store.claimRefresh('open-1', at(minutes(90)), at(minutes(150)))).toBe(true);

        // The hold is bookkeeping of the queue: a refresh that read the grant before it still writes.
        const updated = await store.updateGrant({ ...grant, refreshFailures: 2 });
        expect(updated.version).toBe(grant.version + 1);
        expect(await store.claimRefresh('open-1', at(minutes(100)), at(minutes(200)))).toBe(false);
        await store.holdRefresh('nobody', at(minutes(60)));
        expect(await store.getGrant('nobody')).toBeUndefined();
      });
    });

    describe('shops', () => {
      it('lists a seller’s shops and finds each by its shop id', async () => {
        const shops = Array.from({ length: 30 }, (_, i) => shop({ shopId: `shop-${i}`, name: `Shop ${i}` }));

        await store.putShops(shops);

        const listed = await store.listShops('open-1');
        expect(listed.map((s) => s.shopId).sort()).toEqual(shops.map((s) => s.shopId).sort());
        expect(await store.findShop('shop-17')).toEqual(shops[17]);
      });

      it('replaces a shop written again instead of duplicating it', async () => {
        await store.putShops([shop()]);

        await store.putShops([shop({ status: 'REVOKED', name: 'Renamed' })]);

        expect(await store.listShops('open-1')).toEqual([shop({ status: 'REVOKED', name: 'Renamed' })]);
      });

      it('resolves a shop held by several sellers to the active copy, else the latest authorization', async () => {
        const older = shop({ openId: 'open-1', authorizedAt: T0 });
        const newer = shop({ openId: 'open-2', authorizedAt: at(days(1)) });
        const newest = shop({ openId: 'open-3', authorizedAt: at(days(2)) });
        await store.putShops([older, newer, newest]);
        expect((await store.findShop(older.shopId))?.openId).toBe('open-3');

        await store.putShops([{ ...newest, status: 'REVOKED' }]);
        expect((await store.findShop(older.shopId))?.openId).toBe('open-2');

        await store.putShops([
          { ...older, status: 'REVOKED' },
          { ...newer, status: 'REVOKED' },
        ]);
        expect((await store.findShop(older.shopId))?.openId).toBe('open-3');
        expect((await store.listShopCopies(older.shopId)).map((copy) => copy.openId).sort()).toEqual([
          'open-1',
          'open-2',
          'open-3',
        ]);
      });

      it('revokes a shop only when no later authorization listed it', async () => {
        await store.putShops([shop({ authorizedAt: at(days(1)) })]);

        expect(await store.revokeShop('open-1', shop().shopId, at(days(1) - 1))).toBe(false);
        expect((await store.listShops('open-1'))[0]?.status).toBe('ACTIVE');
        expect(await store.revokeShop('open-1', shop().shopId, at(days(1)))).toBe(true);
        expect((await store.listShops('open-1'))[0]?.status).toBe('REVOKED');
        expect(await store.revokeShop('open-1', shop().shopId, at(days(1)))).toBe(true);
        expect(await store.revokeShop('open-1', 'no-such-shop', at(days(9)))).toBe(false);
        expect(await store.listShops('open-1')).toHaveLength(1);
      });

      it('finds nothing for an unknown shop id, and lists no grant item as a shop', async () => {
        await store.createGrant(newGrant());

        expect(await store.findShop('unknown')).toBeUndefined();
        expect(await store.listShops('open-1')).toEqual([]);
      });
    });

    describe.each(ONE_TIME_CASES)('one-time $kind', ({ kind, save, consume, bound }) => {
      const value = `${kind}-value-0123456789abcdef0123456789abcdef`;
      const expiresAt = at(minutes(30));

      it('is consumed once and gives back what it was bound to', async () => {
        await save(store, value, expiresAt);

        expect(await consume(store, value, T0)).toEqual({ ...bound, expiresAt });
      });

      it('takes the same save again (an attempt the SDK retried) without failing or making a used value new', async () => {
        await save(store, value, expiresAt);
        await consume(store, value, T0);

        await save(store, value, at(minutes(60)));

        await expect(consume(store, value, at(minutes(1)))).rejects.toEqual(
          new OneTimeValueRejectedError(kind, 'used'),
        );
      });

      it('refuses a second use', async () => {
        await save(store, value, expiresAt);
        await consume(store, value, T0);

        await expect(consume(store, value, at(minutes(1)))).rejects.toEqual(
          new OneTimeValueRejectedError(kind, 'used'),
        );
      });

      it('lets exactly one of many simultaneous uses through', async () => {
        await save(store, value, expiresAt);

        const results = await Promise.allSettled(Array.from({ length: 8 }, () => consume(store, value, T0)));

        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      });

      it('refuses an unknown value', async () => {
        await expect(consume(store, 'never-issued', T0)).rejects.toEqual(
          new OneTimeValueRejectedError(kind, 'unknown'),
        );
      });

      it('refuses an expired value, whatever TTL has or has not deleted yet', async () => {
        await save(store, value, expiresAt);

        await expect(consume(store, value, expiresAt)).rejects.toEqual(new OneTimeValueRejectedError(kind, 'expired'));
      });

      it('stores only a hash of the value', async () => {
        await save(store, value, expiresAt);

        expect(await rawItems()).not.toContain(value);
      });
    });

    describe('webhook receipts', () => {
      const receipts = () => new DynamoDbWebhookReceipts(dynamo.documentClient, tableName);
      const claim = (id = 'n-1', now = T0) => receipts().claim(id, now, at(minutes(1), now));

      it('claims a new delivery, and tells a second claimant it is in progress', async () => {
        expect(await claim()).toBe('claimed');
        expect(await claim()).toBe('in-progress');
      });

      it('answers a completed delivery as done, even after the claim would have lapsed', async () => {
        await claim();
        await receipts().complete('n-1', at(days(14)));

        expect(await claim('n-1', at(minutes(5)))).toBe('done-already');
      });

      it('lets exactly one of many simultaneous claimants through', async () => {
        const results = await Promise.all(Array.from({ length: 8 }, () => claim()));

        expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
      });

      it('takes over the claim of a caller that died mid-way once it lapses', async () => {
        await claim();

        expect(await claim('n-1', at(minutes(2)))).toBe('claimed');
      });

      it('forgets a released claim, so a retry is acted on', async () => {
        await claim();
        await receipts().release('n-1');

        expect(await claim()).toBe('claimed');
      });

      it('does not release a delivery already done', async () => {
        await claim();
        await receipts().complete('n-1', at(days(14)));
        await receipts().release('n-1');

        expect(await claim()).toBe('done-already');
      });
    });

    describe('index listings', () => {
      const seed = async (count: number, accessExpiry: (i: number) => Date, status: 'ACTIVE' | 'REAUTH_REQUIRED') => {
        for (let i = 0; i < count; i++) {
          await store.createGrant(
            newGrant({
              openId: `${status}-${i}`,
              status,
              accessTokenExpiresAt: accessExpiry(i),
              authorizationExpiresAt: at(days(10 + i)),
            }),
          );
        }
      };

      const listAll = async <T>(list: (cursor?: string) => Promise<Page<T>>) => {
        const found: T[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await list(cursor);
          found.push(...page.items);
          cursor = page.cursor;
          pages++;
        } while (cursor);
        return { found, pages };
      };

      it('lists only active grants whose access token expires before the horizon', async () => {
        await seed(5, (i) => at(days(i)), 'ACTIVE');
        await seed(3, () => at(days(0.5)), 'REAUTH_REQUIRED');

        const { found } = await listAll((cursor) => store.listDueForRefresh(at(days(2)), cursor));

        expect(found.map((ref) => ref.openId).sort()).toEqual(['ACTIVE-0', 'ACTIVE-1']);
        expect(found.find((ref) => ref.openId === 'ACTIVE-1')?.at).toEqual(at(days(1)));
      });

      it('pages through every due grant exactly once across the shards', async () => {
        await seed(40, (i) => at(minutes(i)), 'ACTIVE');
        store = newStore(7);

        const { found, pages } = await listAll((cursor) => store.listDueForRefresh(at(days(1)), cursor));

        expect(found.map((ref) => ref.openId).sort()).toEqual(
          Array.from({ length: 40 }, (_, i) => `ACTIVE-${i}`).sort(),
        );
        expect(pages).toBeGreaterThanOrEqual(6);
      });

      it('drops a grant from the listings once it is no longer active', async () => {
        const grant = await store.createGrant(newGrant({ accessTokenExpiresAt: at(days(1)) }));

        await store.updateGrant({ ...grant, status: 'REAUTH_REQUIRED' });

        expect((await store.listDueForRefresh(at(days(2)))).items).toEqual([]);
        expect((await store.listAuthorizationsEndingBefore(at(days(400)))).items).toEqual([]);
      });

      it('lists authorizations ending before a date', async () => {
        await seed(6, () => at(days(3)), 'ACTIVE');

        const { found } = await listAll((cursor) => store.listAuthorizationsEndingBefore(at(days(13)), cursor));

        expect(found.map((ref) => ref.openId).sort()).toEqual(['ACTIVE-0', 'ACTIVE-1', 'ACTIVE-2']);
      });

      it('lists sellers by status, or all of them, page by page, without tokens', async () => {
        await seed(9, () => at(days(3)), 'ACTIVE');
        await seed(4, () => at(days(3)), 'REAUTH_REQUIRED');
        store = newStore(5);

        const active = await listAll((cursor) => store.listGrants({ status: 'ACTIVE', cursor }));
        const all = await listAll((cursor) => store.listGrants({ cursor, limit: 3 }));

        expect(active.found.map((grant) => grant.openId).sort()).toEqual(
          Array.from({ length: 9 }, (_, i) => `ACTIVE-${i}`).sort(),
        );
        expect(all.found).toHaveLength(13);
        expect(all.pages).toBeGreaterThanOrEqual(5);
        expect(all.found.find((grant) => grant.openId === 'REAUTH_REQUIRED-2')).toEqual({
          openId: 'REAUTH_REQUIRED-2',
          sellerName: 'Sandbox Seller',
          status: 'REAUTH_REQUIRED',
          accountId: 'account-1',
          accessTokenExpiresAt: at(days(3)),
          authorizationExpiresAt: at(days(12)),
        });
        expect(JSON.stringify(all.found)).not.toContain(sealed('access'));
      });

      it('moves a grant between status listings when its status changes', async () => {
        const grant = await store.createGrant(newGrant());

        await store.updateGrant({ ...grant, status: 'REVOKED' });

        expect((await store.listGrants({ status: 'ACTIVE' })).items).toEqual([]);
        expect((await store.listGrants({ status: 'REVOKED' })).items.map((summary) => summary.openId)).toEqual([
          'open-1',
        ]);
      });

      it('refuses a cursor it did not hand out', async () => {
        await expect(store.listGrants({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.listDueForRefresh(T0, 'not-a-cursor')).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(
          store.listDueForRefresh(T0, Buffer.from(JSON.stringify({ shard: 99 })).toString('base64url')),
        ).rejects.toBeInstanceOf(InvalidCursorError);
      });
    });
  });
}
