import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { LIFECYCLE_EVENT_TYPES } from '../../domain/events';
import {
  type AuthorizationState,
  GRANT_STATUSES,
  type Grant,
  type InstallTicket,
  type OutboxEntry,
  SHOP_STATUSES,
  type Shop,
  sealedTokenSchema,
} from '../../domain/model';
import { INDEX_SHARDS } from './table-design';

/** How items are keyed and what they hold. Times are epoch milliseconds, except `ttl` (seconds, as DynamoDB wants). */

export const grantKey = (openId: string) => ({ pk: `SELLER#${openId}`, sk: 'GRANT' });
export const shopKey = (openId: string, shopId: string) => ({ pk: `SELLER#${openId}`, sk: `SHOP#${shopId}` });
export const SHOP_SORT_PREFIX = 'SHOP#';

/** One-time values are stored under their SHA-256, never as they are. */
export const hashOneTimeValue = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
export const stateKey = (state: string) => ({ pk: `STATE#${hashOneTimeValue(state)}`, sk: 'STATE' });
export const ticketKey = (ticket: string) => ({ pk: `TICKET#${hashOneTimeValue(ticket)}`, sk: 'TICKET' });

/** Which index shard a seller's grant lives in: stable, and spread evenly. */
export function indexShard(openId: string): number {
  return (createHash('sha256').update(openId, 'utf8').digest()[0] ?? 0) % INDEX_SHARDS;
}

const epochMs = z.pipe(
  z.int(),
  z.transform((ms) => new Date(ms)),
);
const nonEmptyText = z.string().check(z.minLength(1));

const outboxItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    id: nonEmptyText,
    at: epochMs,
    type: z.enum(LIFECYCLE_EVENT_TYPES),
    detail: z.record(z.string(), z.unknown()),
    reminderFor: z.optional(epochMs),
  }),
  z.object({
    kind: z.literal('notification'),
    id: nonEmptyText,
    at: epochMs,
    subject: z.string(),
    message: z.string(),
    reminderFor: z.optional(epochMs),
  }),
]);

const outboxEntryFromItem = (item: z.output<typeof outboxItemSchema>): OutboxEntry => {
  if (item.kind === 'notification') return item;
  const { type, detail, ...entry } = item;
  return { ...entry, event: { type, detail } };
};

const outboxEntryItem = (entry: OutboxEntry) => {
  const times = { at: entry.at.getTime(), reminderFor: entry.reminderFor?.getTime() };
  if (entry.kind === 'notification') return { ...entry, ...times };
  const { event, ...rest } = entry;
  return { ...rest, ...times, type: event.type, detail: event.detail };
};

export const grantItemSchema = z.object({
  openId: nonEmptyText,
  sellerName: z.string(),
  baseRegion: z.string(),
  userType: z.int(),
  scopes: z.array(z.string()),
  accountId: z.optional(z.string()),
  status: z.enum(GRANT_STATUSES),
  accessToken: z.optional(sealedTokenSchema),
  refreshToken: z.optional(sealedTokenSchema),
  accessExpiresAt: epochMs,
  authorizationExpiresAt: epochMs,
  authorizedAt: epochMs,
  version: z.int().check(z.positive()),
  leaseHolder: z.optional(z.string()),
  leaseUntil: z.optional(epochMs),
  refreshFailures: z.int().check(z.nonnegative()),
  lastError: z.optional(z.string()),
  suspectRefusalSince: z.optional(epochMs),
  remindersSent: z.array(z.int()),
  // Grants written before the outbox existed have none.
  outbox: z._default(z.array(outboxItemSchema), []),
});

export function grantFromItem(item: Record<string, unknown>): Grant {
  const { accessExpiresAt, leaseHolder, leaseUntil, outbox, ...rest } = grantItemSchema.parse(item);
  return {
    ...rest,
    outbox: outbox.map(outboxEntryFromItem),
    accessTokenExpiresAt: accessExpiresAt,
    ...(leaseHolder !== undefined && leaseUntil !== undefined
      ? { lease: { holder: leaseHolder, until: leaseUntil } }
      : {}),
  };
}

/** The grant's attributes as stored, without keys, version and lease; `undefined` marks one to remove. */
export function grantAttributes(grant: Omit<Grant, 'version' | 'lease'>): Record<string, unknown> {
  const active = grant.status === 'ACTIVE';
  const shard = indexShard(grant.openId);
  return {
    type: 'GRANT',
    openId: grant.openId,
    sellerName: grant.sellerName,
    baseRegion: grant.baseRegion,
    userType: grant.userType,
    scopes: [...grant.scopes],
    accountId: grant.accountId,
    status: grant.status,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    accessExpiresAt: grant.accessTokenExpiresAt.getTime(),
    authorizationExpiresAt: grant.authorizationExpiresAt.getTime(),
    authorizedAt: grant.authorizedAt.getTime(),
    refreshFailures: grant.refreshFailures,
    lastError: grant.lastError,
    suspectRefusalSince: grant.suspectRefusalSince?.getTime(),
    remindersSent: [...grant.remindersSent],
    outbox: grant.outbox.map(outboxEntryItem),
    // Only grants with something to deliver are in the outbox index, by their oldest entry.
    outboxShard: grant.outbox.length ? `OUTBOX#${shard}` : undefined,
    outboxSince: grant.outbox.length ? Math.min(...grant.outbox.map((entry) => entry.at.getTime())) : undefined,
    // Only active grants are in the sparse indexes: nothing else is refreshed or reminded.
    refreshShard: active ? `DUE#${shard}` : undefined,
    expiryShard: active ? `EXP#${shard}` : undefined,
    statusShard: `${grant.status}#${shard}`,
  };
}

export const shopItemSchema = z.object({
  shopId: nonEmptyText,
  openId: nonEmptyText,
  name: z.string(),
  region: z.string(),
  sellerType: z.string(),
  cipher: z.string(),
  code: z.string(),
  status: z.enum(SHOP_STATUSES),
  // Shops written before this attribute existed count as authorized at the epoch: any later message applies.
  authorizedAt: z._default(epochMs, new Date(0)),
});

export const shopFromItem = (item: Record<string, unknown>): Shop => shopItemSchema.parse(item);

export const shopItem = (shop: Shop) => ({
  ...shopKey(shop.openId, shop.shopId),
  type: 'SHOP',
  ...shop,
  authorizedAt: shop.authorizedAt.getTime(),
});

const oneTimeBase = { expiresAt: epochMs, consumedAt: z.optional(epochMs) };

export const stateItemSchema = z.object({
  accountId: nonEmptyText,
  returnTo: z.optional(z.string()),
  openId: z.optional(nonEmptyText),
  ...oneTimeBase,
});
export const ticketItemSchema = z.object({
  openId: nonEmptyText,
  authorizedAt: z.optional(epochMs),
  ...oneTimeBase,
});

export const stateFromItem = (item: Record<string, unknown>): AuthorizationState => {
  const { consumedAt: _, ...state } = stateItemSchema.parse(item);
  return state;
};

export const ticketFromItem = (item: Record<string, unknown>): InstallTicket => {
  const { consumedAt: _, ...ticket } = ticketItemSchema.parse(item);
  return ticket;
};

/** DynamoDB's TTL wants seconds; TTL deletion is lazy, so reads check `expiresAt` themselves. */
export const ttlFor = (expiresAt: Date) => Math.ceil(expiresAt.getTime() / 1000);

export const grantSummarySchema = z.pipe(
  z.object({
    openId: nonEmptyText,
    sellerName: z.string(),
    status: z.enum(GRANT_STATUSES),
    accountId: z.optional(z.string()),
    accessExpiresAt: epochMs,
    authorizationExpiresAt: epochMs,
  }),
  z.transform(({ accessExpiresAt, ...rest }) => ({ ...rest, accessTokenExpiresAt: accessExpiresAt })),
);
