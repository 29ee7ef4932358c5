import * as z from 'zod/mini';
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
const optionalId = z.catch(
  z.optional(
    z.union([
      z.string().check(z.trim(), z.minLength(1), z.maxLength(256)),
      z.pipe(z.int().check(z.nonnegative()), z.transform(String)),
    ]),
  ),
  undefined,
);

/** Digits, spaces around them allowed, as a number. */
const numericString = (pattern: RegExp) => z.pipe(z.string().check(z.trim(), z.regex(pattern)), z.transform(Number));

/** 10^11 seconds is in the year 5138; as milliseconds it is 1973. */
const MILLISECONDS_FROM = 1e11;
/** The end of year 9999: past it, a time is not a date at all. */
const LATEST_SECONDS = 253_402_300_799;

/** Unix seconds as a number or a numeric string; a value in milliseconds is read as such. */
const unixSeconds = z.pipe(
  z.pipe(
    z.union([z.number().check(z.nonnegative()), numericString(/^\d+$/)]),
    z.transform((value: number) => Math.floor(value > MILLISECONDS_FROM ? value / 1000 : value)),
  ),
  z.number().check(z.lte(LATEST_SECONDS)),
);

/**
 * TikTok's envelope, read leniently once the signature has proved it is TikTok's: every signed JSON object with a
 * type is acted on and forwarded. `type` and `timestamp` may be numbers or numeric strings; `data` may be null or
 * missing (read as `{}`) or not an object (forwarded as sent); `tts_notification_id` is missing in older samples and
 * `shop_id` may be empty. A webhook without a readable timestamp is forwarded with its arrival time, and never
 * changes a grant.
 */
export const webhookSchema = z.object({
  type: z.union([z.int().check(z.nonnegative()), numericString(/^\d{1,9}$/)]),
  tts_notification_id: optionalId,
  shop_id: optionalId,
  timestamp: z.catch(z.optional(unixSeconds), undefined),
  data: z.pipe(
    z.optional(z.unknown()),
    z.transform((data) => data ?? {}),
  ),
});
export type Webhook = z.output<typeof webhookSchema>;
/** A webhook with the time it counts as sent, in Unix seconds. */
type DatedWebhook = Webhook & { readonly timestamp: number };

/** Type 7's `expiration_time`: Unix seconds, a string in TikTok's sample, a number elsewhere. */
const expirationTime = z.pipe(
  z.pipe(unixSeconds, z.number().check(z.positive())),
  z.transform((seconds: number) => new Date(seconds * 1000)),
);

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
 * 2. one that may change a grant (type 6 or 7, naming a shop, with its sending time) claims its delivery's receipt,
 *    so a duplicate has no second effect; any other is only forwarded, and keeps no receipt (see `forward`);
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
  if (!mayChangeAGrant(received)) {
    const shop = webhook.shop_id ? await deps.store.findShop(webhook.shop_id) : undefined;
    if (shop && (webhook.type === SELLER_DEAUTHORIZATION || webhook.type === UPCOMING_AUTHORIZATION_EXPIRATION)) {
      // It can never be shown to be sent after the authorization: taking its arrival instead would let a late retry
      // revoke a newer one.
      deps.log.warn('webhook without a readable timestamp: forwarded, not acted on', {
        deliveryId,
        type: webhook.type,
        shopId: shop.shopId,
      });
    }
    await forward(webhook, deliveryId, shop, deps, now);
    return 'processed';
  }
  const claim = await deps.receipts.claim(deliveryId, now, new Date(now.getTime() + settings.inProgressMs));
  if (claim === 'done-already') return 'duplicate';
  if (claim === 'in-progress') return 'in-progress';
  try {
    const shop = webhook.shop_id ? await deps.store.findShop(webhook.shop_id) : undefined;
    let applied: Written | 'stale' | undefined;
    if (shop && webhook.type === SELLER_DEAUTHORIZATION) applied = await deauthorize(shop, webhook, deliveryId, deps);
    if (shop && webhook.type === UPCOMING_AUTHORIZATION_EXPIRATION)
      applied = await recordUpcomingExpiration(shop, webhook, deps, settings);
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
    await forward(webhook, deliveryId, shop, deps, now);
    await deps.receipts.complete(deliveryId, new Date(now.getTime() + settings.keepReceiptsMs));
    return 'processed';
  } catch (error) {
    await deps.receipts.release(deliveryId);
    throw error;
  }
}

/**
 * Types 6 and 7 change a grant, and only when they name a shop and were sent after its authorization (which needs
 * their sending time). Every other webhook only passes through, and a receipt for each (a write to claim it and
 * another to complete it, most of the service's DynamoDB bill at scale) would buy no more than its event id does.
 */
function mayChangeAGrant(webhook: Webhook): boolean {
  return (
    (webhook.type === SELLER_DEAUTHORIZATION || webhook.type === UPCOMING_AUTHORIZATION_EXPIRATION) &&
    webhook.shop_id !== undefined &&
    webhook.timestamp !== undefined
  );
}

/**
 * Forwards a webhook to the bus as `TikTok Shop Webhook`. Not kept in the outbox: TikTok is its outbox. A bus failure
 * fails the delivery, TikTok retries it, and the retry forwards it with the same event id. A webhook that changes no
 * grant is forwarded at least once: a duplicate TikTok sends comes again with the same `eventId`, as consumers of
 * an EventBridge bus must expect of any event.
 */
async function forward(
  webhook: DatedWebhook,
  deliveryId: string,
  shop: Shop | undefined,
  deps: WebhookDependencies,
  now: Date,
) {
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
  await deps.events.publish([{ type: 'TikTok Shop Webhook', detail: forwarded }]);
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
