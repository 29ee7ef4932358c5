import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import type { Dependencies } from '../../../lambdas/domain/dependencies';
import { refreshQueuedGrant } from '../../../lambdas/domain/token-refresh';
import type { GrantStore, TikTokAuthApi, TimeBudget } from '../../../lambdas/ports';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import { createDomainHarness, type DomainHarness } from '../../support/domain-harness';
import { authorizedShop } from '../../support/tiktok-world';

const DAY = 86_400_000;
const REFRESH = { refreshAheadMs: 2 * DAY, leaseMs: 60_000 };

/**
 * The budget never costs a seller the tokens TikTok just gave: TikTok rotates the refresh token (the stricter
 * reading of the protocol), so new tokens not stored would mean authorizing again.
 */
describe('storing what TikTok answered, at the end of a budget', () => {
  let dynamo: LocalDynamoDb;
  let h: DomainHarness;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    h = await createDomainHarness(dynamo, [
      { openId: 'seller-1', name: 'One', shops: [authorizedShop('7494000000000000701')] },
    ]);
    await completeAuthorization({ code: h.world.authorize('seller-1', 365), accountId: 'acc-1' }, h.deps, {
      ticketTtlMs: 1_800_000,
    });
    h.clock.advance(6 * DAY);
  });

  it('retries a failed write of new tokens past the budget, within the invocation, and keeps the seller', async () => {
    // The budget ends 20 s from now; the invocation itself 5 s later. Both follow the harness's clock.
    const budgetEnd = h.clock.now().getTime() + 20_000;
    let finishingWork = false;
    const budget: TimeBudget = {
      remainingMs: () => (finishingWork ? budgetEnd + 5_000 : budgetEnd) - h.clock.now().getTime(),
      finishing: async (work) => {
        finishingWork = true;
        try {
          return await work();
        } finally {
          finishingWork = false;
        }
      },
    };
    // TikTok answers, having rotated the refresh token, with 100 ms of the budget left.
    const tiktok: TikTokAuthApi = {
      exchangeAuthCode: (code) => h.world.exchangeAuthCode(code),
      getAuthorizedShops: (token) => h.world.getAuthorizedShops(token),
      refreshTokens: async (refreshToken) => {
        h.clock.advance(budget.remainingMs() - 100);
        return h.world.refreshTokens(refreshToken);
      },
    };
    // The first write of the new tokens fails (a throttle, a dropped connection).
    let failedOnce = false;
    const store: GrantStore = Object.create(h.deps.store, {
      updateGrant: {
        value: async (...args: Parameters<GrantStore['updateGrant']>) => {
          if (!failedOnce && args[1]?.releaseLeaseOf) {
            failedOnce = true;
            throw new Error('ProvisionedThroughputExceededException');
          }
          return h.deps.store.updateGrant(...args);
        },
      },
    });
    const deps: Dependencies = { ...h.deps, tiktok, store, budget };

    expect(await refreshQueuedGrant('seller-1', 'worker-1', deps, REFRESH)).toBe('refreshed');

    expect(failedOnce).toBe(true);
    expect(await h.deps.store.getGrant('seller-1')).toMatchObject({ status: 'ACTIVE', refreshFailures: 0 });
    h.clock.advance(6 * DAY);
    expect(await refreshQueuedGrant('seller-1', 'worker-2', h.deps, REFRESH)).toBe('refreshed');
  });
});
