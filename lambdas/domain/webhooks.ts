import * as z from 'zod';
import type { WebhookReceipts } from '../ports';
import type { Dependencies } from './dependencies';
import type { EventDetails } from './events';
import { revoked, updateGrantWithRetry } from './grant-updates';
import type { Grant, Shop } from './model';
import { deliverAfterCommit, eventEntry, withOutbox } from './outbox';
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

/** An id TikTok sends as a string or a number; empty, null or anything else reads as absent. */
const optionalId = z
  .union([z.string().trim().min(1).max(256), z.number().int().nonnegative().transform(String)])
  .optional()
  .catch(undefined);

/** 10^11 seconds is in the year 5138; as milliseconds it is 1973. */
const MILLISECONDS_FROM = 1e11;
/** The end of year 9999: past it, a time is not a date at all. */
const LATEST_SECONDS = 253_402_300_799;

/** Unix seconds as a number or a numeric string; a value in milliseconds is read as such. */
const unixSeconds = z
  .union([z.number().nonnegative(), z.string().trim().regex(/^\d+$/).transform(Number)])
  .transform((value) => Math.floor(value > MILLISECONDS_FROM ? value / 1000 : value))
  .pipe(z.number().max(LATEST_SECONDS));

/**
 * TikTok's envelope, read leniently once the signature has proved it is TikTok's: every signed JSON object with a
 * type is acted on and forwarded. `type` and `timestamp` may be numbers or numeric strings; `data` may be null or
 * missing (read as `{}`) or not an object (forwarded as sent); `tts_notification_id` is missing in older samples and
 * `shop_id` may be empty. A webhook without a readable timestamp is forwarded with its arrival time, and never
 * changes a grant.
 */
export const webhookSchema = z.object({
  type: z.union([
    z.number().int().nonnegative(),
    z
      .string()
      .trim()
      .regex(/^\d{1,9}$/)
      .transform(Number),
  ]),
  tts_notification_id: optionalId,
  shop_id: optionalId,
  timestamp: unixSeconds.optional().catch(undefined),
  data: z
    .unknown()
    .optional()
    .transform((data) => data ?? {}),
});
export type Webhook = z.output<typeof webhookSchema>;
/** A webhook with the time it counts as sent, in Unix seconds. */
type DatedWebhook = Webhook & { readonly timestamp: number };

/** Type 7's `expiration_time`: Unix seconds, a string in TikTok's sample, a number elsewhere. */
const expirationTime = unixSeconds.pipe(z.number().positive()).transform((seconds) => new Date(seconds * 1000));

export interface WebhookSettings {
  readonly reminders: ReminderSettings;
  /** How long a claim lasts before another delivery may take over from a caller that died. */
  readonly inProgressMs: number;
  /** How long duplicates are recognised (TikTok retries for about 15 hours). */
  readonly keepReceiptsMs: number;
}

/** `stale`: older than what it would change (a newer authorization), or than any retry TikTok makes: ignored. */
export type WebhookOutcome = 'processed' | 'duplicate' | 'in-progress' | 'stale';

/** What acting on a webhook needs: no TikTok call, no token opened. */
export type WebhookDependencies = Pick<Dependencies, 'store' | 'clock' | 'events' | 'log' | 'secrets' | 'notifier'> & {
  readonly receipts: WebhookReceipts;
};

/**
 * A verified webhook (design flow 8):
 * 1. one older than receipts are kept is a replay (TikTok stops retrying within a day): ignored before any write;
 * 2. claim the delivery's receipt, so a duplicate has no second effect;
 * 3. act on it: type 6 revokes the shop (and the grant, with its tokens, when no active shop is left); type 7
 *    records the end of the authorization and goes through the renewal reminders. Either is stale, and changes
 *    nothing, when the seller authorized after it was sent: that rule sits in the conditional writes themselves;
 * 4. forward it to the bus as `TikTok Shop Webhook`, whatever its type, unless it was stale;
 * 5. mark the receipt done. Any failure releases the receipt and is thrown, so TikTok's retry is acted on.
 */
export async function receiveWebhook(
  received: Webhook,
  deliveryId: string,
  deps: WebhookDependencies,
  settings: WebhookSettings,
): Promise<WebhookOutcome> {
  const now = deps.clock.now();
  const webhook: DatedWebhook = { ...received, timestamp: received.timestamp ?? Math.floor(now.getTime() / 1000) };
  if (webhook.timestamp * 1000 < now.getTime() - settings.keepReceiptsMs) {
    deps.log.info('ignoring a webhook older than its receipt would be kept: a replay', { deliveryId });
    return 'stale';
  }
  const claim = await deps.receipts.claim(deliveryId, now, new Date(now.getTime() + settings.inProgressMs));
  if (claim === 'done-already') return 'duplicate';
  if (claim === 'in-progress') return 'in-progress';
  try {
    const shop = webhook.shop_id ? await deps.store.findShop(webhook.shop_id) : undefined;
    // Types 6 and 7 change a grant only if sent after its authorization: one whose sending time is unknown can never
    // be shown to be, and taking its arrival instead would let a late retry revoke a newer authorization.
    const actOn = shop && received.timestamp !== undefined ? shop : undefined;
    if (
      shop &&
      !actOn &&
      (webhook.type === SELLER_DEAUTHORIZATION || webhook.type === UPCOMING_AUTHORIZATION_EXPIRATION)
    ) {
      deps.log.warn('webhook without a readable timestamp: forwarded, not acted on', {
        deliveryId,
        type: webhook.type,
        shopId: shop.shopId,
      });
    }
    let applied: Written | 'stale' | undefined;
    if (webhook.type === SELLER_DEAUTHORIZATION && actOn) applied = await deauthorize(actOn, webhook, deliveryId, deps);
    if (webhook.type === UPCOMING_AUTHORIZATION_EXPIRATION && actOn)
      applied = await recordUpcomingExpiration(actOn, webhook, deps, settings);
    if (applied === 'stale') {
      deps.log.info('ignoring a webhook sent before the seller authorized again', {
        deliveryId,
        type: webhook.type,
        shopId: shop?.shopId,
        openId: shop?.openId,
      });
      await deps.receipts.complete(deliveryId, new Date(now.getTime() + settings.keepReceiptsMs));
      return 'stale';
    }
    if (applied) await deliverAfterCommit(deps, applied.grant, applied.eventIds);
    const forwarded: EventDetails['TikTok Shop Webhook'] = {
      eventId: `webhook:${deliveryId}`,
      occurredAt: now.toISOString(),
      type: webhook.type,
      typeName: WEBHOOK_TYPE_NAMES[webhook.type],
      shopId: webhook.shop_id,
      openId: shop?.openId,
      notificationId: webhook.tts_notification_id,
      timestamp: webhook.timestamp,
      data: webhook.data,
    };
    // Forwarding is not kept in the outbox: TikTok is its outbox. A bus failure fails the delivery, TikTok retries
    // it, and the retry forwards it with the same event id.
    await deps.events.publish([{ type: 'TikTok Shop Webhook', detail: forwarded }]);
    await deps.receipts.complete(deliveryId, new Date(now.getTime() + settings.keepReceiptsMs));
    return 'processed';
  } catch (error) {
    await deps.receipts.release(deliveryId);
    throw error;
  }
}

/**
 * Revokes the shop, and the grant with its tokens when no active shop is left: each write only if what it revokes
 * was authorized no later than the webhook's second (TikTok's timestamps have whole seconds, so a deauthorization
 * in the same second as an authorization wins). Every write is idempotent, and the event goes with every delivery
 * processed, not with the first change: a retry after the bus failed must still tell the app's services.
 */
async function deauthorize(
  shop: Shop,
  webhook: DatedWebhook,
  deliveryId: string,
  deps: WebhookDependencies,
): Promise<Written | 'stale' | undefined> {
  const notAfter = new Date(webhook.timestamp * 1000 + 999);
  if (!(await deps.store.revokeShop(shop.openId, shop.shopId, notAfter))) return 'stale';
  const stillActive = (await deps.store.listShops(shop.openId)).some((other) => other.status === 'ACTIVE');
  // The grant is written even when a shop is left: it carries the event (the outbox). An authorization that landed
  // meanwhile makes the whole message stale, and its event must not follow that authorization's.
  const now = deps.clock.now();
  const eventId = `webhook:${deliveryId}:deauthorized`;
  let stale = false;
  const grant = await updateGrantWithRetry(deps, shop.openId, (current) => {
    stale = !!current && current.authorizedAt.getTime() > notAfter.getTime();
    if (!current || stale) return undefined;
    const after = !stillActive && current.status !== 'REVOKED' ? revoked(current) : current;
    const detail = {
      eventId,
      openId: shop.openId,
      shopId: shop.shopId,
      // When the seller cancelled, as TikTok says: consumers ordering events per seller compare this.
      occurredAt: new Date(webhook.timestamp * 1000).toISOString(),
      grantRevoked: after.status === 'REVOKED',
    };
    return withOutbox(after, eventEntry('Seller Deauthorized', detail, now));
  });
  if (stale) return 'stale';
  return grant ? { grant, eventIds: [eventId] } : undefined;
}

/** A grant as just written, and the outbox entries of that write to deliver. */
interface Written {
  readonly grant: Grant;
  readonly eventIds: readonly string[];
}

/**
 * Records the end TikTok announces and reminds the seller if a milestone is due. Only a webhook sent after the
 * seller's latest authorization speaks of it: TikTok sends type 7 daily until the seller authorizes again, so a
 * late or retried one names the end of the authorization that was replaced. The rule is checked on the grant the
 * conditional write applies to, and a same-second webhook counts as older (an end moved back would end a valid
 * authorization; a missed type 7 comes again the next day).
 */
async function recordUpcomingExpiration(
  shop: Shop,
  webhook: DatedWebhook,
  deps: WebhookDependencies,
  settings: WebhookSettings,
): Promise<'stale' | undefined> {
  const parsed = expirationTime.safeParse(field(webhook.data, 'expiration_time'));
  if (!parsed.success) deps.log.warn('upcoming expiration without a readable expiration_time', { shopId: shop.shopId });
  let stale = false;
  await updateGrantWithRetry(deps, shop.openId, (current) => {
    stale = !!current && current.authorizedAt.getTime() >= webhook.timestamp * 1000;
    if (!current || stale || !parsed.success) return undefined;
    return current.authorizationExpiresAt.getTime() !== parsed.data.getTime()
      ? { ...current, authorizationExpiresAt: parsed.data, remindersSent: [] }
      : undefined;
  });
  if (stale) return 'stale';
  await remindIfDue(shop.openId, deps, settings.reminders);
  return undefined;
}

/** A field of TikTok's `data`, when it is an object. */
function field(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? Reflect.get(data, name) : undefined;
}
