import * as z from 'zod';
import type { WebhookReceipts } from '../ports';
import type { Dependencies } from './dependencies';
import type { LifecycleEvent } from './events';
import { revoked, updateGrantWithRetry } from './grant-updates';
import type { Shop } from './model';
import { type ReminderSettings, remindIfDue } from './reminders';

/** TikTok's webhook types (protocol section 7); unknown numbers are accepted all the same. */
export const WEBHOOK_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'ORDER_STATUS_CHANGE',
  2: 'REVERSE_STATUS_UPDATE',
  3: 'RECIPIENT_ADDRESS_UPDATE',
  4: 'PACKAGE_UPDATE',
  5: 'PRODUCT_STATUS_CHANGE',
  6: 'SELLER_DEAUTHORIZATION',
  7: 'UPCOMING_AUTHORIZATION_EXPIRATION',
  11: 'CANCELLATION_STATUS_CHANGE',
  12: 'RETURN_STATUS_CHANGE',
  13: 'NEW_CONVERSATION',
  14: 'NEW_MESSAGE',
  15: 'PRODUCT_INFORMATION_CHANGE',
  16: 'PRODUCT_CREATION',
  18: 'PRODUCT_CATEGORY_CHANGE',
  19: 'SIZE_CHART_CHANGE',
  20: 'CREATOR_DEAUTHORIZATION',
  21: 'INBOUND_FBT_ORDER_STATUS_CHANGE',
  23: 'GOODS_MATCH',
  24: 'FBT_INVENTORY_UPDATE',
  27: 'INVENTORY_STATUS_CHANGE',
  36: 'INVOICE_STATUS_CHANGE',
  37: 'PRODUCT_AUDIT_STATUS_CHANGE',
};

const SELLER_DEAUTHORIZATION = 6;
const UPCOMING_AUTHORIZATION_EXPIRATION = 7;

const id = z.union([z.string().trim().min(1).max(64), z.number().int().nonnegative().transform(String)]);

/** TikTok's envelope. `tts_notification_id` is missing in older samples. */
export const webhookSchema = z.object({
  type: z.number().int().nonnegative(),
  tts_notification_id: id.optional(),
  shop_id: id.optional(),
  timestamp: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type Webhook = z.output<typeof webhookSchema>;

/** Type 7's `expiration_time`: Unix seconds, a string in TikTok's sample, a number elsewhere. */
const expirationTime = z
  .union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)])
  .transform((seconds) => new Date(seconds * 1000));

export interface WebhookSettings {
  readonly reminders: ReminderSettings;
  /** How long a claim lasts before another delivery may take over from a caller that died. */
  readonly inProgressMs: number;
  /** How long duplicates are recognised (TikTok retries for about 15 hours). */
  readonly keepReceiptsMs: number;
}

export type WebhookOutcome = 'processed' | 'duplicate' | 'in-progress';

/** What acting on a webhook needs: no TikTok call, no token opened. */
export type WebhookDependencies = Pick<Dependencies, 'store' | 'clock' | 'events' | 'log' | 'secrets' | 'notifier'> & {
  readonly receipts: WebhookReceipts;
};

/**
 * A verified webhook (design flow 8):
 * 1. claim the delivery's receipt, so a duplicate has no second effect;
 * 2. act on it: type 6 revokes the shop (and the grant, with its tokens, when no active shop is left) unless it is
 *    older than the grant's latest authorization; type 7 records the end of the authorization and goes through
 *    the renewal reminders;
 * 3. forward it to the bus as `TikTok Shop Webhook`, whatever its type;
 * 4. mark the receipt done. Any failure releases the receipt and is thrown, so TikTok's retry is acted on.
 */
export async function receiveWebhook(
  webhook: Webhook,
  deliveryId: string,
  deps: WebhookDependencies,
  settings: WebhookSettings,
): Promise<WebhookOutcome> {
  const now = deps.clock.now();
  const claim = await deps.receipts.claim(deliveryId, now, new Date(now.getTime() + settings.inProgressMs));
  if (claim === 'done-already') return 'duplicate';
  if (claim === 'in-progress') return 'in-progress';
  try {
    const shop = webhook.shop_id ? await deps.store.findShop(webhook.shop_id) : undefined;
    const events: LifecycleEvent[] = [];
    if (webhook.type === SELLER_DEAUTHORIZATION && shop) events.push(...(await deauthorize(shop, webhook, deps)));
    if (webhook.type === UPCOMING_AUTHORIZATION_EXPIRATION && shop)
      await recordUpcomingExpiration(shop, webhook, deps, settings);
    events.push({
      type: 'TikTok Shop Webhook',
      detail: {
        occurredAt: now.toISOString(),
        type: webhook.type,
        typeName: WEBHOOK_TYPE_NAMES[webhook.type],
        shopId: webhook.shop_id,
        openId: shop?.openId,
        notificationId: webhook.tts_notification_id,
        timestamp: webhook.timestamp,
        data: webhook.data,
      },
    });
    // Unlike elsewhere, a bus failure here fails the delivery: forwarding is the point, and TikTok will retry.
    await deps.events.publish(events);
    await deps.receipts.complete(deliveryId, new Date(now.getTime() + settings.keepReceiptsMs));
    return 'processed';
  } catch (error) {
    await deps.receipts.release(deliveryId);
    throw error;
  }
}

/**
 * Revokes the shop, and the grant with its tokens when no active shop is left. Every write is idempotent, and the
 * event goes with every delivery processed, not with the first change: a retry after the bus failed must still
 * tell the app's services.
 */
async function deauthorize(shop: Shop, webhook: Webhook, deps: WebhookDependencies): Promise<LifecycleEvent[]> {
  const grant = await deps.store.getGrant(shop.openId);
  // TikTok's timestamp has whole seconds: only a deauthorization from an earlier second predates the grant.
  if (grant && webhook.timestamp < Math.floor(grant.authorizedAt.getTime() / 1000)) {
    deps.log.info('ignoring a deauthorization older than the latest authorization', {
      shopId: shop.shopId,
      openId: shop.openId,
    });
    return [];
  }
  if (shop.status !== 'REVOKED') await deps.store.putShops([{ ...shop, status: 'REVOKED' }]);
  const stillActive = (await deps.store.listShops(shop.openId)).some((other) => other.status === 'ACTIVE');
  const after = stillActive
    ? grant
    : await updateGrantWithRetry(deps, shop.openId, (current) =>
        current && current.status !== 'REVOKED' ? revoked(current) : undefined,
      );
  return [
    {
      type: 'Seller Deauthorized',
      detail: {
        openId: shop.openId,
        shopId: shop.shopId,
        occurredAt: deps.clock.now().toISOString(),
        grantRevoked: after?.status === 'REVOKED',
      },
    },
  ];
}

async function recordUpcomingExpiration(
  shop: Shop,
  webhook: Webhook,
  deps: WebhookDependencies,
  settings: WebhookSettings,
): Promise<void> {
  const parsed = expirationTime.safeParse(webhook.data.expiration_time);
  if (parsed.success) {
    const end = parsed.data;
    await updateGrantWithRetry(deps, shop.openId, (current) =>
      current && current.authorizationExpiresAt.getTime() !== end.getTime()
        ? { ...current, authorizationExpiresAt: end, remindersSent: [] }
        : undefined,
    );
  } else {
    deps.log.warn('upcoming expiration without a readable expiration_time', { shopId: shop.shopId });
  }
  await remindIfDue(shop.openId, deps, settings.reminders);
}
