import { ScanCommand } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { createAuthorizationLink } from '../../../lambdas/domain/authorization-links';
import { completeAuthorization } from '../../../lambdas/domain/authorize-seller';
import { getShopCredentials } from '../../../lambdas/domain/credentials';
import type { Dependencies } from '../../../lambdas/domain/dependencies';
import { deliverPendingEvents } from '../../../lambdas/domain/outbox';
import { TOKENS_NOT_STORED_MESSAGE } from '../../../lambdas/domain/refresh-grant';
import { remindEndingAuthorizations } from '../../../lambdas/domain/reminders';
import { claimInstallation, disconnectSeller } from '../../../lambdas/domain/sellers';
import { refreshQueuedGrant } from '../../../lambdas/domain/token-refresh';
import { receiveWebhook } from '../../../lambdas/domain/webhooks';
import type { GrantStore, Notifier } from '../../../lambdas/ports';
import type { Log } from '../../../lambdas/shared/logger';
import { type LocalDynamoDb, startDynalite } from '../../../local/embedded-dynamodb';
import {
  beforeCall,
  createDomainHarness,
  type DomainHarness,
  REMINDERS,
  WEBHOOKS,
  webhookOf,
} from '../../support/domain-harness';
import { authorizedShop } from '../../support/tiktok-world';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const SHOP = '7494000000000000555';
const CALLBACK = { ticketTtlMs: 30 * MINUTE };
const REFRESH = { refreshAheadMs: 2 * DAY, leaseMs: MINUTE };
const OUTBOX = { graceMs: 2 * MINUTE, link: REMINDERS.link };

/**
 * The store as a function sees it when it dies right after `method`'s first write reached DynamoDB: that write
 * stands, and nothing the function tries after it happens.
 */
function diesAfter(store: GrantStore, method: 'createGrant' | 'updateGrant'): GrantStore {
  let died = false;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (died) throw new Error('the function died after its write');
        const result = await value.apply(target, args);
        if (key !== method) return result;
        died = true;
        throw new Error('the function died after its write');
      };
    },
  });
}

/** The store with `method` failing as DynamoDB would (throttled), `times` times. */
function failsFor(store: GrantStore, method: keyof GrantStore, times: number, when: (args: unknown[]) => boolean) {
  let failures = times;
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== method || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (failures > 0 && when(args)) {
          failures--;
          throw new Error('ProvisionedThroughputExceededException');
        }
        return value.apply(target, args);
      };
    },
  });
}

const eventIdOf = z.object({ eventId: z.string() });

describe('the outbox: every event and reminder delivered at least once, new tokens never dropped', () => {
  let dynamo: LocalDynamoDb;
  let h: DomainHarness;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  beforeEach(async () => {
    h = await createDomainHarness(dynamo, [{ openId: 'seller-1', name: 'One', shops: [authorizedShop(SHOP)] }]);
  });

  const authorize = async (deps: Dependencies = h.deps, days = 365) => {
    const link = await createAuthorizationLink({ accountId: 'acc-1' }, h.deps, REMINDERS.link);
    const state = new URL(link.url).searchParams.get('state') ?? '';
    return completeAuthorization({ code: h.world.authorize('seller-1', days), state }, deps, CALLBACK);
  };
  const types = () => h.events.list().map((event) => event['detail-type']);
  const eventIds = () => h.events.list().map((event) => eventIdOf.parse(event.detail).eventId);
  const pending = async () => (await h.deps.store.getGrant('seller-1'))?.outbox ?? [];
  const recover = async () => {
    h.clock.advance(OUTBOX.graceMs + MINUTE);
    return deliverPendingEvents(h.deps, OUTBOX);
  };

  it('keeps an event with its change when the bus is down, and the recovery delivers it once', async () => {
    h.events.failNext(1);

    await authorize();

    expect(types()).toEqual([]);
    expect((await pending()).map((entry) => entry.kind === 'event' && entry.event.type)).toEqual(['Seller Authorized']);
    expect(await deliverPendingEvents(h.deps, OUTBOX)).toEqual({ found: 0, delivered: 0, failed: 0 });
    expect(await recover()).toEqual({ found: 1, delivered: 1, failed: 0 });
    expect(types()).toEqual(['Seller Authorized']);
    expect(await pending()).toEqual([]);
    expect(await recover()).toEqual({ found: 0, delivered: 0, failed: 0 });
    expect(types()).toEqual(['Seller Authorized']);
  });

  it('keeps the events of a grant whose bus stays down through several runs, and counts them', async () => {
    h.events.failNext(3);
    await authorize();

    expect(await recover()).toEqual({ found: 1, delivered: 0, failed: 1 });
    expect(await recover()).toEqual({ found: 1, delivered: 0, failed: 1 });
    expect(await recover()).toEqual({ found: 1, delivered: 1, failed: 0 });
    expect(types()).toEqual(['Seller Authorized']);
  });

  describe('a function that dies between its write and its delivery', () => {
    it.each([
      [
        'a first authorization',
        'createGrant',
        async () => authorize({ ...h.deps, store: diesAfter(h.deps.store, 'createGrant') }),
        [],
      ],
      [
        'a re-authorization',
        'updateGrant',
        async () => {
          await authorize();
          h.clock.advance(MINUTE);
          await authorize({ ...h.deps, store: diesAfter(h.deps.store, 'updateGrant') });
        },
        ['Seller Authorized'],
      ],
      [
        'a disconnection',
        'updateGrant',
        async () => {
          await authorize();
          await disconnectSeller('seller-1', { ...h.deps, store: diesAfter(h.deps.store, 'updateGrant') });
        },
        ['Seller Authorized'],
      ],
      [
        'a claim',
        'updateGrant',
        async () => {
          const outcome = await completeAuthorization({ code: h.world.authorize('seller-1', 365) }, h.deps, CALLBACK);
          if (outcome.kind !== 'pending-claim') throw new Error('expected a ticket');
          const dying = { ...h.deps, store: diesAfter(h.deps.store, 'updateGrant') };
          await claimInstallation({ ticket: outcome.ticket, accountId: 'acc-9' }, dying);
        },
        ['Installation Pending Claim'],
      ],
    ] as const)('delivers the event of %s later, exactly once', async (_, __, act, before) => {
      await expect(act()).rejects.toThrow('the function died after its write');
      expect(types()).toEqual(before);

      const summary = await recover();

      expect(summary).toEqual({ found: 1, delivered: 1, failed: 0 });
      expect(types()).toHaveLength(before.length + 1);
      expect(new Set(eventIds()).size).toBe(eventIds().length);
      expect(await pending()).toEqual([]);
    });

    it('delivers Tokens Refreshed after a worker died, and the tokens it wrote work', async () => {
      await authorize();
      h.clock.advance(6 * DAY);
      const dying = { ...h.deps, store: diesAfter(h.deps.store, 'updateGrant') };

      expect(await refreshQueuedGrant('seller-1', 'worker-1', dying, REFRESH)).toBe('retry');
      await recover();

      expect(types()).toEqual(['Seller Authorized', 'Tokens Refreshed']);
      const credentials = await getShopCredentials(SHOP, h.deps, { refreshWithinMs: 0, leaseMs: MINUTE, waitMs: 0 });
      expect(h.world.acceptsAccessToken('seller-1', credentials.accessToken)).toBe(true);
    });
  });

  it('sends the reminder for people once when SNS fails, while its event goes out at once', async () => {
    const sent: string[] = [];
    let snsFailures = 1;
    const notifier: Notifier = {
      notify: async (subject) => {
        if (snsFailures-- > 0) throw new Error('SNS refused the message');
        sent.push(subject);
      },
    };
    const deps = { ...h.deps, notifier };
    await authorize(deps, 20);

    expect(await remindEndingAuthorizations(deps, REMINDERS)).toEqual({ found: 1, reminded: 1, failed: 0 });
    expect(types()).toEqual(['Seller Authorized', 'Authorization Expiring']);
    expect(sent).toEqual([]);
    h.clock.advance(OUTBOX.graceMs + MINUTE);
    expect(await deliverPendingEvents(deps, OUTBOX)).toEqual({ found: 1, delivered: 1, failed: 0 });
    expect(await deliverPendingEvents(deps, OUTBOX)).toEqual({ found: 0, delivered: 0, failed: 0 });
    expect(await remindEndingAuthorizations(deps, REMINDERS)).toEqual({ found: 1, reminded: 0, failed: 0 });

    expect(sent).toEqual(['TikTok Shop authorization ends in 20 days: One']);
    expect(types()).toEqual(['Seller Authorized', 'Authorization Expiring']);
  });

  it('drops an undelivered reminder once the seller has authorized again: it would name an end that moved on', async () => {
    await authorize(h.deps, 20);
    h.events.failNext(1);
    expect(await remindEndingAuthorizations(h.deps, REMINDERS)).toEqual({ found: 1, reminded: 1, failed: 0 });
    expect((await pending()).map((entry) => entry.kind)).toEqual(['event']);
    h.clock.advance(MINUTE);
    await authorize(h.deps, 365);

    expect(await recover()).toEqual({ found: 1, delivered: 0, failed: 0 });

    expect(types()).toEqual(['Seller Authorized', 'Seller Authorized']);
    expect(await pending()).toEqual([]);
  });

  it('keeps no renewal link in clear while a reminder waits: its state is made when the reminder goes out', async () => {
    await authorize(h.deps, 20);
    h.events.failNext(1);
    await remindEndingAuthorizations(h.deps, REMINDERS);
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: h.tableName }));
    expect(JSON.stringify(Items)).not.toContain('state=');

    await recover();

    const reminder = h.events.list().find((event) => event['detail-type'] === 'Authorization Expiring');
    const url = new URL(z.object({ reauthorizeUrl: z.string() }).parse(reminder?.detail).reauthorizeUrl);
    const state = url.searchParams.get('state') ?? '';
    const renewed = completeAuthorization({ code: h.world.authorize('seller-1', 365), state }, h.deps, CALLBACK);
    await expect(renewed).resolves.toMatchObject({ kind: 'authorized', openId: 'seller-1', accountId: 'acc-1' });
  });

  it('records a reminder whose renewal link cannot be made yet, and delivers it with the recovery', async () => {
    await authorize(h.deps, 20);
    const flaky = { ...h.deps, store: failsFor(h.deps.store, 'saveState', 1, () => true) };

    expect(await remindEndingAuthorizations(flaky, REMINDERS)).toEqual({ found: 1, reminded: 1, failed: 0 });
    expect(types()).toEqual(['Seller Authorized']);
    expect(await recover()).toEqual({ found: 1, delivered: 2, failed: 0 });

    expect(types()).toEqual(['Seller Authorized', 'Authorization Expiring']);
    expect(h.notifications.list()).toHaveLength(1);
  });

  it('goes on with the other sellers when one cannot be reminded, and reminds that one on the next run', async () => {
    const two = await createDomainHarness(dynamo, [
      { openId: 'seller-1', name: 'One', shops: [authorizedShop(SHOP)] },
      { openId: 'seller-2', name: 'Two', shops: [authorizedShop('7494000000000000556')] },
    ]);
    for (const openId of ['seller-1', 'seller-2']) {
      const link = await createAuthorizationLink({ accountId: 'acc-1' }, two.deps, REMINDERS.link);
      const state = new URL(link.url).searchParams.get('state') ?? '';
      await completeAuthorization({ code: two.world.authorize(openId, 20), state }, two.deps, CALLBACK);
    }
    const failing = { ...two.deps, store: failsFor(two.deps.store, 'listShops', 1, ([id]) => id === 'seller-1') };

    expect(await remindEndingAuthorizations(failing, REMINDERS)).toEqual({ found: 2, reminded: 1, failed: 1 });
    expect(await remindEndingAuthorizations(two.deps, REMINDERS)).toEqual({ found: 2, reminded: 1, failed: 0 });
    expect(
      two.events
        .list()
        .filter((event) => event['detail-type'] === 'Authorization Expiring')
        .map((event) => z.object({ openId: z.string() }).parse(event.detail).openId)
        .sort(),
    ).toEqual(['seller-1', 'seller-2']);
  });

  describe('new tokens from TikTok', () => {
    const releasing = ([, options]: unknown[]) => z.object({ releaseLeaseOf: z.string() }).safeParse(options).success;

    it('are written again when the first write fails, and kept', async () => {
      await authorize();
      h.clock.advance(6 * DAY);
      const flaky = { ...h.deps, store: failsFor(h.deps.store, 'updateGrant', 1, releasing) };

      expect(await refreshQueuedGrant('seller-1', 'worker-1', flaky, REFRESH)).toBe('refreshed');

      const credentials = await getShopCredentials(SHOP, h.deps, { refreshWithinMs: 0, leaseMs: MINUTE, waitMs: 0 });
      expect(h.world.acceptsAccessToken('seller-1', credentials.accessToken)).toBe(true);
      expect(types()).toEqual(['Seller Authorized', 'Tokens Refreshed']);
    });

    it('refused by TikTok are recorded even when an outbox clean-up moved the grant on during the call', async () => {
      await authorize();
      h.clock.advance(6 * DAY);
      h.world.cancel('seller-1');
      const meanwhile = beforeCall(h.world, 'refreshTokens', async () => {
        const current = await h.deps.store.getGrant('seller-1');
        if (current) await h.deps.store.updateGrant({ ...current, outbox: [] });
      });

      const outcome = refreshQueuedGrant('seller-1', 'worker-1', { ...h.deps, tiktok: meanwhile }, REFRESH);

      expect(await outcome).toBe('reauthorization-required');
      expect((await h.deps.store.getGrant('seller-1'))?.status).toBe('REAUTH_REQUIRED');
      expect(types()).toEqual(['Seller Authorized', 'Reauthorization Required']);
    });

    it('that still cannot be written are reported as an error line, for the alarm', async () => {
      await authorize();
      h.clock.advance(6 * DAY);
      const errors: string[] = [];
      const log: Log = { ...h.deps.log, error: (message) => errors.push(message) };
      const broken = { ...h.deps, log, store: failsFor(h.deps.store, 'updateGrant', 99, releasing) };

      expect(await refreshQueuedGrant('seller-1', 'worker-1', broken, REFRESH)).toBe('retry');

      expect(errors).toEqual([TOKENS_NOT_STORED_MESSAGE]);
    });
  });

  describe('webhooks', () => {
    it('adds nothing for a duplicate, and the retry of a failed delivery brings the same event ids', async () => {
      await authorize();
      h.clock.advance(MINUTE);
      const deauthorization = webhookOf(6, SHOP, h.clock.now());
      const deliver = () =>
        receiveWebhook(deauthorization, deauthorization.tts_notification_id, h.webhookDeps, WEBHOOKS);
      h.events.failNext(2);

      await expect(deliver()).rejects.toThrow();
      expect(await deliver()).toBe('processed');
      expect(await deliver()).toBe('duplicate');
      await recover();

      expect(types()).toEqual(['Seller Authorized', 'Seller Deauthorized', 'TikTok Shop Webhook']);
      expect(eventIds().slice(1)).toEqual([
        `webhook:${deauthorization.tts_notification_id}:deauthorized`,
        `webhook:${deauthorization.tts_notification_id}`,
      ]);
      expect(await pending()).toEqual([]);
    });
  });
});
