import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import type { Dependencies } from '../../../lambdas/domain/dependencies';
import { TikTokSuspectRefusalError } from '../../../lambdas/domain/errors';
import {
  type RefreshMessage,
  type RefreshWorkerSettings,
  refreshQueuedGrants,
  TikTokSlots,
} from '../../../lambdas/domain/token-refresh';
import type { GrantStore, TikTokAuthApi } from '../../../lambdas/ports';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import { createDomainHarness, type DomainHarness } from '../../support/domain-harness';
import { authorizedShop } from '../../support/tiktok-world';

const DAY = 86_400_000;
const SELLERS = Array.from({ length: 6 }, (_, i) => ({
  openId: `seller-${i}`,
  name: `Seller ${i}`,
  shops: [authorizedShop(`749400000000000090${i}`)],
}));
const settings = (concurrency: number): RefreshWorkerSettings => ({
  refreshAheadMs: 2 * DAY,
  leaseMs: 60_000,
  concurrency,
  refreshNeedsMs: 12_000,
});
const messages = (count: number, from = 0): RefreshMessage[] =>
  Array.from({ length: count }, (_, i) => ({ id: `m-${from + i}`, openId: `seller-${from + i}`, receiveCount: 1 }));

/** Lets I/O and callbacks run until `ready()`, or until it looks like it never will (the test's counts then tell). */
async function until(ready: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !ready(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * The slots the worker's refreshes take turns in (TikTok's rate limits), through the real refresh path on dynalite
 * against an in-memory TikTok: what a slot covers, and who shares it.
 */
describe('the refresh worker’s slots', () => {
  let dynamo: LocalDynamoDb;
  let h: DomainHarness;
  /** Refreshes started, TikTok calls started and answered, and in flight. */
  let started: number;
  let calls: number;
  let answered: number;
  let inFlight: number;
  let mostInFlight: number;
  let deps: Dependencies;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    h = await createDomainHarness(dynamo, SELLERS);
    for (const seller of SELLERS) {
      const code = h.world.authorize(seller.openId, 365);
      await completeAuthorization({ code, accountId: `acc-${seller.openId}` }, h.deps, { ticketTtlMs: 1_800_000 });
    }
    h.clock.advance(6 * DAY);
    started = 0;
    calls = 0;
    answered = 0;
    inFlight = 0;
    mostInFlight = 0;
    const { world, deps: base } = h;
    // Each refresh takes its grant's lease first: that counts the refreshes started.
    const store: GrantStore = Object.create(base.store, {
      acquireLease: {
        value: (...args: Parameters<GrantStore['acquireLease']>) => {
          started++;
          return base.store.acquireLease(...args);
        },
      },
    });
    const tiktok: TikTokAuthApi = {
      exchangeAuthCode: (code) => world.exchangeAuthCode(code),
      getAuthorizedShops: (token) => world.getAuthorizedShops(token),
      refreshTokens: async (refreshToken) => {
        calls++;
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          // TikTok answers once every refresh that has started and not been answered is calling it: as many calls
          // in flight at once as the slots let through, however fast the store is.
          await until(() => started - answered === inFlight);
          return await world.refreshTokens(refreshToken);
        } finally {
          inFlight--;
          answered++;
        }
      },
    };
    deps = { ...base, store, tiktok };
  });

  it('gives a slot back once TikTok has answered: the next call does not wait for the tokens to be stored', async () => {
    // The first refresh's write of its new tokens waits until the second refresh has called TikTok, one slot for
    // both: a refresh holding its slot until its tokens were stored would wait here for ever.
    let secondCalled: () => void = () => {};
    const secondCall = new Promise<void>((resolve) => {
      secondCalled = resolve;
    });
    const tiktok: TikTokAuthApi = {
      ...deps.tiktok,
      refreshTokens: (refreshToken) => {
        if (calls === 1) secondCalled();
        return deps.tiktok.refreshTokens(refreshToken);
      },
    };
    let tokenWrites = 0;
    const store: GrantStore = Object.create(deps.store, {
      updateGrant: {
        value: async (...args: Parameters<GrantStore['updateGrant']>) => {
          if (args[1]?.releaseLeaseOf && ++tokenWrites === 1) await secondCall;
          return deps.store.updateGrant(...args);
        },
      },
    });

    const result = await refreshQueuedGrants(messages(2), { ...deps, tiktok, store }, settings(1));

    expect(result.outcomes.map(({ outcome }) => outcome)).toEqual(['refreshed', 'refreshed']);
    expect(calls).toBe(2);
    expect(mostInFlight).toBe(1);
  }, 5_000);

  it('keeps at most `concurrency` TikTok calls in flight', async () => {
    const result = await refreshQueuedGrants(messages(6), deps, settings(2));

    expect(result.outcomes.filter(({ outcome }) => outcome === 'refreshed')).toHaveLength(6);
    expect(mostInFlight).toBe(2);
  });

  it('shares one limit between batches given the same slots', async () => {
    const slots = new TikTokSlots(2, deps.clock.now().getTime());

    const results = await Promise.all([
      refreshQueuedGrants(messages(3), deps, settings(2), slots),
      refreshQueuedGrants(messages(3, 3), deps, settings(2), slots),
    ]);

    expect(results.flatMap(({ outcomes }) => outcomes.map(({ outcome }) => outcome))).toEqual(
      Array(6).fill('refreshed'),
    );
    expect(mostInFlight).toBe(2);
  });

  it('keeps a refused call’s slot until the refusal is noted: one at a time, the refreshes after the pause see it', async () => {
    const tiktok: TikTokAuthApi = {
      ...deps.tiktok,
      refreshTokens: async () => {
        calls++;
        throw new TikTokSuspectRefusalError('TikTok refused /api/v2/token/refresh (code 36004999: no reason)', {
          code: 36004999,
        });
      },
    };

    const result = await refreshQueuedGrants(messages(5), { ...deps, tiktok }, settings(1));

    // The third seller refused pauses refreshes (REFUSAL_RULES); the last two do not call TikTok.
    expect(result.outcomes.map(({ outcome }) => outcome)).toEqual([
      'suspect-refusal',
      'suspect-refusal',
      'suspect-refusal',
      'paused',
      'paused',
    ]);
    expect(calls).toBe(3);
    // Stopped before calling TikTok: no failure counted on them.
    const stopped = await Promise.all(['seller-3', 'seller-4'].map((openId) => h.deps.store.getGrant(openId)));
    expect(stopped.map((grant) => grant?.refreshFailures)).toEqual([0, 0]);
  });

  it('defers a refresh whose turn at TikTok comes after the budget is spent: no call, no failure, its lease given back', async () => {
    let remainingMs = 20_000;
    const tiktok: TikTokAuthApi = {
      ...deps.tiktok,
      refreshTokens: async (refreshToken) => {
        // The first call takes most of what the invocation had left.
        remainingMs = 5_000;
        return deps.tiktok.refreshTokens(refreshToken);
      },
    };
    const budget = { remainingMs: () => remainingMs, finishing: <T>(work: () => Promise<T>) => work() };

    const result = await refreshQueuedGrants(messages(2), { ...deps, tiktok, budget }, settings(1));

    expect(result.outcomes.map(({ outcome }) => outcome)).toEqual(['refreshed', 'deferred']);
    expect(calls).toBe(1);
    const waited = await h.deps.store.getGrant('seller-1');
    expect(waited?.refreshFailures).toBe(0);
    expect(waited?.lease).toBeUndefined();
  });

  it('lets no refresh call TikTok once a pause is written, with several turns at once', async () => {
    let pausedAt: number | undefined;
    let callsAfterPause = 0;
    const tiktok: TikTokAuthApi = {
      ...deps.tiktok,
      refreshTokens: async () => {
        calls++;
        if (pausedAt !== undefined) callsAfterPause++;
        // The calls after the first three are slow: they are still out when the pause is written.
        if (calls > 3) await new Promise((resolve) => setTimeout(resolve, 100));
        throw new TikTokSuspectRefusalError('TikTok refused /api/v2/token/refresh (code 36004999: no reason)', {
          code: 36004999,
        });
      },
    };
    // The pause is written late, while other refreshes' failures are being noted and turns change hands.
    const refusals = Object.create(deps.refusals, {
      pause: {
        value: async (until: Date) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          await deps.refusals.pause(until);
          pausedAt = Date.now();
        },
      },
    });

    const result = await refreshQueuedGrants(messages(6), { ...deps, tiktok, refusals }, settings(3));

    expect(pausedAt).toBeDefined();
    expect(callsAfterPause).toBe(0);
    expect(result.outcomes.filter(({ outcome }) => outcome === 'paused').length).toBeGreaterThan(0);
  });

  it('does not count a failure when the breaker cannot be read at its turn', async () => {
    let failedOnce = false;
    const tiktok: TikTokAuthApi = {
      ...deps.tiktok,
      refreshTokens: async (refreshToken) => {
        if (failedOnce) return deps.tiktok.refreshTokens(refreshToken);
        failedOnce = true;
        throw new Error('TikTok is unavailable');
      },
    };
    let reads = 0;
    // The first look (before the lease) works; the look at the turn after the failure does not.
    const refusals = Object.create(deps.refusals, {
      read: {
        value: async () => {
          if (++reads === 3) throw new Error('DynamoDB throttled the read');
          return deps.refusals.read();
        },
      },
    });

    const result = await refreshQueuedGrants(messages(2), { ...deps, tiktok, refusals }, settings(1));

    expect(result.outcomes.map(({ outcome }) => outcome)).toEqual(['retry', 'deferred']);
    expect((await h.deps.store.getGrant('seller-1'))?.refreshFailures).toBe(0);
  });

  it('stops a refresh waiting for its turn when the other worker called a pause meanwhile', async () => {
    const tiktok: TikTokAuthApi = {
      ...deps.tiktok,
      refreshTokens: async (refreshToken) => {
        if (calls === 0) {
          // While this call is out, the other worker's refreshes pause TikTok's calls, and seconds pass.
          await deps.refusals.pause(new Date(h.clock.now().getTime() + 3_600_000));
          h.clock.advance(2_000);
        }
        return deps.tiktok.refreshTokens(refreshToken);
      },
    };

    const result = await refreshQueuedGrants(messages(2), { ...deps, tiktok }, settings(1));

    expect(result.outcomes.map(({ outcome }) => outcome)).toEqual(['refreshed', 'paused']);
    expect(calls).toBe(1);
    expect((await h.deps.store.getGrant('seller-1'))?.refreshFailures).toBe(0);
  });
});
