import { randomBytes } from 'node:crypto';
import { cryptoSecrets } from '../../lambdas/adapters/crypto-secrets';
import { createGrantTable } from '../../lambdas/adapters/dynamodb/create-table';
import { DynamoDbGrantStore } from '../../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { DynamoDbRefusalLedger } from '../../lambdas/adapters/dynamodb/dynamodb-refusal-ledger';
import { DynamoDbWebhookReceipts } from '../../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import { RecordingEventPublisher } from '../../lambdas/adapters/events/recording-event-publisher';
import { RecordingNotifier } from '../../lambdas/adapters/notify/recording-notifier';
import { EnvelopeTokenSealer } from '../../lambdas/adapters/sealing/envelope-token-sealer';
import { LocalDataKeys } from '../../lambdas/adapters/sealing/local-data-keys';
import { StaticAppCredentials } from '../../lambdas/adapters/secrets/static-app-credentials';
import type { Dependencies } from '../../lambdas/domain/dependencies';
import type { ReminderSettings } from '../../lambdas/domain/reminders';
import type { WebhookDependencies, WebhookSettings } from '../../lambdas/domain/webhooks';
import { silentLog } from '../../lambdas/shared/logger';
import type { LocalDynamoDb } from '../../local/embedded-dynamodb';
import { ManualClock, TikTokWorld, type WorldSellerSpec } from './tiktok-world';

const DAY = 86_400_000;

export const REMINDERS: ReminderSettings = {
  milestones: [30, 7, 1],
  link: {
    authorizeUrls: {
      ROW: 'https://services.tiktokshop.com/open/authorize',
      US: 'https://services.us.tiktokshop.com/open/authorize',
    },
    defaultMarket: 'ROW',
    serviceId: 'svc-1',
    stateTtlMs: 3_600_000,
  },
};
export const WEBHOOKS: WebhookSettings = { reminders: REMINDERS, inProgressMs: 60_000, keepReceiptsMs: 14 * DAY };

/** The use cases' dependencies on a fresh table of a running DynamoDB, with TikTok's side in memory. */
export interface DomainHarness {
  readonly tableName: string;
  readonly clock: ManualClock;
  readonly world: TikTokWorld;
  readonly events: RecordingEventPublisher;
  readonly notifications: RecordingNotifier;
  readonly deps: Dependencies;
  readonly webhookDeps: WebhookDependencies;
}

let tables = 0;

export async function createDomainHarness(
  dynamo: LocalDynamoDb,
  sellers: readonly WorldSellerSpec[],
  start = new Date('2026-03-01T00:00:00.000Z'),
): Promise<DomainHarness> {
  const tableName = `model-${process.pid}-${++tables}`;
  await createGrantTable(dynamo.client, tableName);
  const clock = new ManualClock(start);
  const world = new TikTokWorld(clock, sellers);
  const events = new RecordingEventPublisher(clock);
  const notifications = new RecordingNotifier(clock);
  const deps: Dependencies = {
    store: new DynamoDbGrantStore({ client: dynamo.documentClient, tableName, pageSize: 7 }),
    tiktok: world,
    credentials: new StaticAppCredentials({ appKey: 'app-key', appSecret: 'app-secret' }),
    sealer: new EnvelopeTokenSealer(new LocalDataKeys(randomBytes(32))),
    events,
    refusals: new DynamoDbRefusalLedger(dynamo.documentClient, tableName),
    clock,
    secrets: cryptoSecrets,
    log: silentLog,
    notifier: notifications,
  };
  const receipts = new DynamoDbWebhookReceipts(dynamo.documentClient, tableName);
  return { tableName, clock, world, events, notifications, deps, webhookDeps: { ...deps, receipts } };
}

/**
 * The port with `action` run once, right after the `nth` call of `method` returns and before its caller sees the
 * answer: a race put at one exact place, through the port, without touching the code under test.
 */
export function afterCall<T extends object>(port: T, method: keyof T, action: () => Promise<unknown>, nth = 1): T {
  return aroundCall(port, method, action, nth, 'after');
}

/** The same, with `action` run right before the call (for a call that fails, such as a refusal). */
export function beforeCall<T extends object>(port: T, method: keyof T, action: () => Promise<unknown>, nth = 1): T {
  return aroundCall(port, method, action, nth, 'before');
}

function aroundCall<T extends object>(
  port: T,
  method: keyof T,
  action: () => Promise<unknown>,
  nth: number,
  when: 'before' | 'after',
): T {
  let calls = 0;
  return new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== method || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const now = ++calls === nth;
        if (now && when === 'before') await action();
        const result = await value.apply(target, args);
        if (now && when === 'after') await action();
        return result;
      };
    },
  });
}

/** A signed-and-verified webhook as the domain receives it. */
export function webhookOf(
  type: number,
  shopId: string,
  at: Date,
  data: Record<string, unknown> = {},
  id = `n-${randomBytes(6).toString('hex')}`,
) {
  return { type, tts_notification_id: id, shop_id: shopId, timestamp: Math.floor(at.getTime() / 1000), data };
}
