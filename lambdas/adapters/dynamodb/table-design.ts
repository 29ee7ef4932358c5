/**
 * The single table's keys and indexes (design section 3), shared by the CDK construct and the local mode's
 * CreateTable so the two cannot drift apart.
 */

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const TTL_ATTRIBUTE = 'ttl';

/**
 * The partition keys of webhook receipts start with this: the webhook function's role may delete these items and
 * no others (`dynamodb:LeadingKeys`).
 */
export const WEBHOOK_RECEIPT_KEY_PREFIX = 'WEBHOOK#';

/**
 * Grants due for refresh. Sparse: only ACTIVE grants carry `refreshShard`. The partition key is sharded so that
 * a million grants never meet in one hot partition; the sort key is the access token's expiry (epoch ms).
 */
export const REFRESH_DUE_INDEX = {
  indexName: 'ByRefreshDue',
  partitionKey: 'refreshShard',
  sortKey: 'accessExpiresAt',
} as const;

/** Grants by the end of their authorization (the refresh token's expiry), for renewal reminders. Sparse too. */
export const AUTHORIZATION_EXPIRY_INDEX = {
  indexName: 'ByAuthorizationExpiry',
  partitionKey: 'expiryShard',
  sortKey: 'authorizationExpiresAt',
} as const;

/**
 * Grants with events or messages not yet delivered (the outbox), oldest first, for the recovery sweep. Sparse: only
 * a grant whose outbox is not empty carries `outboxShard`; the sort key is when its oldest entry was written.
 */
export const PENDING_EVENTS_INDEX = {
  indexName: 'ByPendingEvents',
  partitionKey: 'outboxShard',
  sortKey: 'outboxSince',
} as const;

/** Shops by TikTok's shop id, for webhooks and credential look-ups. Only shop items carry `shopId`. */
export const SHOP_ID_INDEX = { indexName: 'ByShopId', partitionKey: 'shopId' } as const;

/**
 * Grants by status, for operators' listings: every grant carries the key, sharded like the others; the projection
 * holds what a listing shows, never a token.
 */
export const STATUS_INDEX = {
  indexName: 'ByStatus',
  partitionKey: 'statusShard',
  sortKey: 'openId',
  projected: ['sellerName', 'status', 'accountId', 'accessExpiresAt', 'authorizationExpiresAt'],
} as const;

/** How many partitions the sharded indexes spread grants over. */
export const INDEX_SHARDS = 8;

export type KeyType = 'S' | 'N';

/** Every attribute a key of the table or an index uses, with its type. */
export const KEY_ATTRIBUTES: Readonly<Record<string, KeyType>> = {
  [TABLE_KEYS.partitionKey]: 'S',
  [TABLE_KEYS.sortKey]: 'S',
  [REFRESH_DUE_INDEX.partitionKey]: 'S',
  [REFRESH_DUE_INDEX.sortKey]: 'N',
  [AUTHORIZATION_EXPIRY_INDEX.partitionKey]: 'S',
  [AUTHORIZATION_EXPIRY_INDEX.sortKey]: 'N',
  [PENDING_EVENTS_INDEX.partitionKey]: 'S',
  [PENDING_EVENTS_INDEX.sortKey]: 'N',
  [SHOP_ID_INDEX.partitionKey]: 'S',
  [STATUS_INDEX.partitionKey]: 'S',
  [STATUS_INDEX.sortKey]: 'S',
};

/** The indexes as CreateTable wants them (local mode and tests); the CDK construct declares the same. */
export const GLOBAL_SECONDARY_INDEXES = [
  {
    IndexName: REFRESH_DUE_INDEX.indexName,
    KeySchema: [
      { AttributeName: REFRESH_DUE_INDEX.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: REFRESH_DUE_INDEX.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' as const },
  },
  {
    IndexName: AUTHORIZATION_EXPIRY_INDEX.indexName,
    KeySchema: [
      { AttributeName: AUTHORIZATION_EXPIRY_INDEX.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: AUTHORIZATION_EXPIRY_INDEX.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' as const },
  },
  {
    IndexName: STATUS_INDEX.indexName,
    KeySchema: [
      { AttributeName: STATUS_INDEX.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: STATUS_INDEX.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...STATUS_INDEX.projected] },
  },
  {
    IndexName: PENDING_EVENTS_INDEX.indexName,
    KeySchema: [
      { AttributeName: PENDING_EVENTS_INDEX.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: PENDING_EVENTS_INDEX.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' as const },
  },
  {
    IndexName: SHOP_ID_INDEX.indexName,
    KeySchema: [{ AttributeName: SHOP_ID_INDEX.partitionKey, KeyType: 'HASH' as const }],
    Projection: { ProjectionType: 'ALL' as const },
  },
];
