import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import { getShopCredentials } from '../../../lambdas/domain/credentials';
import type { Dependencies } from '../../../lambdas/domain/dependencies';
import { RefreshPausedError, TikTokSuspectRefusalError } from '../../../lambdas/domain/errors';
import { REFUSAL_RULES } from '../../../lambdas/domain/refusals';
import { refreshQueuedGrant } from '../../../lambdas/domain/token-refresh';
import type { TikTokAuthApi } from '../../../lambdas/ports';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import { createDomainHarness, type DomainHarness } from '../../support/domain-harness';
import { authorizedShop } from '../../support/tiktok-world';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const SHOPS = ['7494000000000000801', '7494000000000000802', '7494000000000000803', '7494000000000000804'];
const SELLERS = SHOPS.map((shop, i) => ({ openId: `seller-${i}`, name: `Seller ${i}`, shops: [authorizedShop(shop)] }));
const REFRESH = { refreshAheadMs: 2 * DAY, leaseMs: MINUTE };
const CREDENTIALS = { refreshWithinMs: 5 * MINUTE, leaseMs: 30_000, waitMs: 0 };

/**
 * What the refresh path believes of TikTok's refusals (design: "a bad day"), through the real use cases on
 * dynalite against an in-memory TikTok that refuses chosen sellers with a code nobody documented.
 */
describe('a refusal is believed only when it is about that seller', () => {
  let dynamo: LocalDynamoDb;
  let h: DomainHarness;
  let deps: Dependencies;
  /** Sellers whose refresh TikTok refuses with an undocumented code. */
  let refused: Set<string>;
  /** TikTok (or the network) fails every refresh otherwise, without a refusal. */
  let failing: boolean;
  let tiktokCalls: number;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    h = await createDomainHarness(dynamo, SELLERS);
    refused = new Set();
    failing = false;
    tiktokCalls = 0;
    const world = h.world;
    const tiktok: TikTokAuthApi = {
      exchangeAuthCode: (code) => world.exchangeAuthCode(code),
      getAuthorizedShops: (token) => world.getAuthorizedShops(token),
      refreshTokens: async (refreshToken) => {
        tiktokCalls++;
        if (failing) throw new Error('socket hang up');
        for (const openId of refused) {
          if ((await refreshTokenOf(openId)) === refreshToken) {
            throw new TikTokSuspectRefusalError('TikTok refused /api/v2/token/refresh (code 36004999: no reason)', {
              code: 36004999,
            });
          }
        }
        return world.refreshTokens(refreshToken);
      },
    };
    deps = { ...h.deps, tiktok };
    for (const seller of SELLERS) {
      await completeAuthorization(
        { code: h.world.authorize(seller.openId, 365), accountId: `acc-${seller.openId}` },
        deps,
        {
          ticketTtlMs: 30 * MINUTE,
        },
      );
    }
  });

  const refreshTokenOf = async (openId: string) => {
    const grant = await h.deps.store.getGrant(openId);
    return grant?.refreshToken ? h.deps.sealer.unseal(grant.refreshToken, { openId, appKey: 'app-key' }) : undefined;
  };
  const grant = async (openId: string) => {
    const found = await h.deps.store.getGrant(openId);
    if (!found) throw new Error(`no grant for ${openId}`);
    return found;
  };
  const refresh = (openId: string) =>
    refreshQueuedGrant(openId, `worker:${openId}:${h.clock.now().getTime()}`, deps, REFRESH);
  /** Access tokens last 7 days: after 6, every seller is due. */
  const allDue = () => h.clock.advance(6 * DAY);
  const eventsOf = (type: string) => h.events.list().filter((event) => event['detail-type'] === type);

  it('keeps a seller refused suspectly ACTIVE, counts it, and says the refresh will be retried', async () => {
    allDue();
    refused.add('seller-0');

    expect(await refresh('seller-0')).toBe('suspect-refusal');

    expect(await grant('seller-0')).toMatchObject({
      status: 'ACTIVE',
      refreshFailures: 1,
      suspectRefusalSince: h.clock.now(),
      lastError: expect.stringContaining('code 36004999'),
    });
    expect(eventsOf('Token Refresh Failed').at(-1)?.detail).toMatchObject({ openId: 'seller-0', retrying: true });
    expect(eventsOf('Reauthorization Required')).toEqual([]);
  });

  it('marks a seller refused for 24 hours while other sellers refreshed, and not a minute before', async () => {
    allDue();
    refused.add('seller-0');
    expect(await refresh('seller-0')).toBe('suspect-refusal');
    h.clock.advance(HOUR);
    expect(await refresh('seller-1')).toBe('refreshed');

    h.clock.advance(REFUSAL_RULES.markAfterMs - HOUR - MINUTE);
    expect(await refresh('seller-0')).toBe('suspect-refusal');
    expect((await grant('seller-0')).status).toBe('ACTIVE');

    h.clock.advance(MINUTE);
    expect(await refresh('seller-0')).toBe('reauthorization-required');
    expect(await grant('seller-0')).toMatchObject({
      status: 'REAUTH_REQUIRED',
      lastError: expect.stringContaining('for 24 hours while other sellers'),
    });
    expect(eventsOf('Reauthorization Required').map((event) => JSON.stringify(event.detail))).toEqual([
      expect.stringContaining('"openId":"seller-0"'),
    ]);
  });

  it('never marks a seller refused for days while no other seller’s refresh worked since (the app may be at fault)', async () => {
    allDue();
    expect(await refresh('seller-1')).toBe('refreshed');
    h.clock.advance(HOUR);
    refused.add('seller-0');
    expect(await refresh('seller-0')).toBe('suspect-refusal');

    h.clock.advance(3 * DAY);
    expect(await refresh('seller-0')).toBe('suspect-refusal');

    expect((await grant('seller-0')).status).toBe('ACTIVE');
  });

  it('restarts the 24 hours when another kind of failure comes between two refusals', async () => {
    allDue();
    refused.add('seller-0');
    expect(await refresh('seller-0')).toBe('suspect-refusal');
    expect(await refresh('seller-1')).toBe('refreshed');
    h.clock.advance(HOUR);
    failing = true;
    expect(await refresh('seller-0')).toBe('retry');
    failing = false;
    h.clock.advance(REFUSAL_RULES.markAfterMs);

    expect(await refresh('seller-0')).toBe('suspect-refusal');
    expect(await grant('seller-0')).toMatchObject({ status: 'ACTIVE', suspectRefusalSince: h.clock.now() });
  });

  it('hands out a token that still works when the refresh fails for any reason not about the seller', async () => {
    allDue();
    failing = true;

    await expect(
      getShopCredentials(SHOPS[3] ?? '', deps, { ...CREDENTIALS, refreshWithinMs: 2 * DAY }),
    ).resolves.toMatchObject({ openId: 'seller-3' });
    expect(await grant('seller-3')).toMatchObject({ status: 'ACTIVE', refreshFailures: 1 });
  });

  it('pauses every refresh once three sellers are refused within 15 minutes, without calling TikTok, then resumes', async () => {
    allDue();
    for (const openId of ['seller-0', 'seller-1', 'seller-2']) refused.add(openId);
    for (const openId of ['seller-0', 'seller-1', 'seller-2']) {
      expect(await refresh(openId)).toBe('suspect-refusal');
      h.clock.advance(MINUTE);
    }
    const calls = tiktokCalls;

    expect(await refresh('seller-3')).toBe('paused');
    expect(tiktokCalls).toBe(calls);
    await expect(
      getShopCredentials(SHOPS[3] ?? '', deps, { ...CREDENTIALS, refreshWithinMs: 2 * DAY }),
    ).resolves.toMatchObject({ openId: 'seller-3' });

    refused.clear();
    h.clock.advance(REFUSAL_RULES.pauseMs);
    expect(await refresh('seller-3')).toBe('refreshed');
    expect(await refresh('seller-0')).toBe('refreshed');
    expect(await grant('seller-0')).toMatchObject({ status: 'ACTIVE', refreshFailures: 0 });
    expect((await grant('seller-0')).suspectRefusalSince).toBeUndefined();
  });

  it('does not pause for one seller refused again and again', async () => {
    allDue();
    refused.add('seller-0');
    for (let i = 0; i < 5; i++) {
      expect(await refresh('seller-0')).toBe('suspect-refusal');
      h.clock.advance(MINUTE);
    }

    expect(await refresh('seller-1')).toBe('refreshed');
  });

  it('is not kept paused by a few sellers refused again and again: only a seller’s first refusal counts', async () => {
    allDue();
    for (const openId of ['seller-0', 'seller-1', 'seller-2']) {
      refused.add(openId);
      expect(await refresh(openId)).toBe('suspect-refusal');
    }
    expect(await refresh('seller-3')).toBe('paused');

    // The pause ends; the three are retried and refused again, as TikTok keeps refusing them for their own reasons.
    h.clock.advance(REFUSAL_RULES.pauseMs);
    for (const openId of ['seller-0', 'seller-1', 'seller-2']) expect(await refresh(openId)).toBe('suspect-refusal');

    expect(await refresh('seller-3')).toBe('refreshed');
  });

  it('tells a caller whose token has less than 30 seconds left that refreshes are paused, rather than hand it out', async () => {
    allDue();
    for (const openId of ['seller-0', 'seller-1', 'seller-2']) {
      refused.add(openId);
      await refresh(openId);
    }
    const seller3 = await grant('seller-3');
    h.clock.advance(seller3.accessTokenExpiresAt.getTime() - h.clock.now().getTime() - 10_000);
    // Keep the pause in force at this later time.
    await deps.refusals.pause(new Date(h.clock.now().getTime() + REFUSAL_RULES.pauseMs));

    await expect(getShopCredentials(SHOPS[3] ?? '', deps, CREDENTIALS)).rejects.toBeInstanceOf(RefreshPausedError);
  });
});
