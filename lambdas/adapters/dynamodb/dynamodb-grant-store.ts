import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  GrantAlreadyExistsError,
  GrantNotFoundError,
  InvalidCursorError,
  LeaseHeldError,
  type OneTimeRejection,
  OneTimeValueRejectedError,
  StaleGrantError,
} from '../../domain/errors';
import {
  type AuthorizationState,
  GRANT_STATUSES,
  type Grant,
  type GrantRef,
  type GrantStatus,
  type GrantSummary,
  type InstallTicket,
  type NewGrant,
  type Page,
  type Shop,
} from '../../domain/model';
import type { GrantStore } from '../../ports';
import {
  grantAttributes,
  grantFromItem,
  grantKey,
  grantSummarySchema,
  SHOP_SORT_PREFIX,
  shopFromItem,
  shopItem,
  shopKey,
  stateFromItem,
  stateKey,
  ticketFromItem,
  ticketKey,
  ttlFor,
} from './items';
import {
  AUTHORIZATION_EXPIRY_INDEX,
  INDEX_SHARDS,
  PENDING_EVENTS_INDEX,
  REFRESH_DUE_INDEX,
  SHOP_ID_INDEX,
  STATUS_INDEX,
} from './table-design';
import { buildUpdate } from './update-expression';

/** An index's key as DynamoDB hands it back, to start the next page from. */
const indexKeySchema = z.record(z.string(), z.union([z.string(), z.number()]));
const cursorSchema = z.object({
  shard: z.int().check(z.minimum(0), z.maximum(INDEX_SHARDS - 1)),
  key: z.optional(indexKeySchema),
});
type Cursor = z.infer<typeof cursorSchema>;
const statusCursorSchema = z.extend(cursorSchema, { status: z.int().check(z.minimum(0)) });
type StatusCursor = z.infer<typeof statusCursorSchema>;

interface IndexSpec {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly shardPrefix: string;
}

const REFRESH_DUE: IndexSpec = { ...REFRESH_DUE_INDEX, shardPrefix: 'DUE#' };
const AUTHORIZATION_EXPIRY: IndexSpec = { ...AUTHORIZATION_EXPIRY_INDEX, shardPrefix: 'EXP#' };
const PENDING_EVENTS: IndexSpec = { ...PENDING_EVENTS_INDEX, shardPrefix: 'OUTBOX#' };

export interface DynamoDbGrantStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Most grants one page of an index listing returns. */
  readonly pageSize?: number;
}

/**
 * The grant store on one DynamoDB table (design section 3). Every write that can race is conditional: grants on
 * their version, leases on their holder and expiry, one-time values on not having been consumed. No transactions.
 */
export class DynamoDbGrantStore implements GrantStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize: number;

  constructor(options: DynamoDbGrantStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.pageSize = options.pageSize ?? 500;
  }

  async getGrant(openId: string): Promise<Grant | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: grantKey(openId), ConsistentRead: true }),
    );
    return Item ? grantFromItem(Item) : undefined;
  }

  async createGrant(grant: NewGrant): Promise<Grant> {
    const item = withoutUndefined({ ...grantKey(grant.openId), ...grantAttributes(grant), version: 1 });
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new GrantAlreadyExistsError(grant.openId);
      throw error;
    }
    return { ...grant, version: 1 };
  }

  async updateGrant(grant: Grant, options: { releaseLeaseOf?: string } = {}): Promise<Grant> {
    const releasing = options.releaseLeaseOf !== undefined;
    const update = buildUpdate(
      {
        ...grantAttributes(grant),
        version: grant.version + 1,
        ...(releasing ? { leaseHolder: undefined, leaseUntil: undefined } : {}),
      },
      { ':expectedVersion': grant.version },
    );
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(grant.openId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#version': 'version' },
          ConditionExpression: 'attribute_exists(pk) AND #version = :expectedVersion',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleGrantError(grant.openId);
      throw error;
    }
    const { lease, ...rest } = grant;
    return { ...rest, version: grant.version + 1, ...(lease && !releasing ? { lease } : {}) };
  }

  async acquireLease(openId: string, holder: string, until: Date, now: Date): Promise<Grant> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(openId),
          UpdateExpression: 'SET leaseHolder = :holder, leaseUntil = :until',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now OR leaseHolder = :holder)',
          ExpressionAttributeValues: { ':holder': holder, ':until': until.getTime(), ':now': now.getTime() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes) throw new GrantNotFoundError(openId);
      return grantFromItem(Attributes);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.getGrant(openId);
      if (!current) throw new GrantNotFoundError(openId);
      throw new LeaseHeldError(openId, current.lease?.until ?? now);
    }
  }

  async releaseLease(openId: string, holder: string): Promise<void> {
    // When the condition fails, someone else holds it now (ours expired), or nobody does: no longer ours to give back.
    await this.updateIf({
      Key: grantKey(openId),
      UpdateExpression: 'REMOVE leaseHolder, leaseUntil',
      ConditionExpression: 'leaseHolder = :holder',
      ExpressionAttributeValues: { ':holder': holder },
    });
  }

  async putShops(shops: readonly Shop[]): Promise<void> {
    // One conditional write per shop (a seller has a few): a batch write cannot be conditional, and a slower,
    // older authorization must not overwrite a shop that a newer one has written.
    for (const shop of shops) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: shopItem(shop),
            ConditionExpression:
              'attribute_not_exists(pk) OR attribute_not_exists(authorizedAt) OR authorizedAt <= :mine',
            ExpressionAttributeValues: { ':mine': shop.authorizedAt.getTime() },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }

  listShops(openId: string): Promise<Shop[]> {
    return this.queryShops({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': grantKey(openId).pk, ':prefix': SHOP_SORT_PREFIX },
      ConsistentRead: true,
    });
  }

  async revokeShop(openId: string, shopId: string, authorizedNoLaterThan: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: shopKey(openId, shopId),
          UpdateExpression: 'SET #status = :revoked',
          // The rule that makes a late message harmless, held by the write itself: a shop listed by a newer
          // authorization is not this message's to revoke.
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(authorizedAt) OR authorizedAt <= :notAfter)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'REVOKED', ':notAfter': authorizedNoLaterThan.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async findShop(shopId: string): Promise<Shop | undefined> {
    return currentOwner(await this.listShopCopies(shopId));
  }

  listShopCopies(shopId: string): Promise<Shop[]> {
    return this.queryShops({
      IndexName: SHOP_ID_INDEX.indexName,
      KeyConditionExpression: '#shopId = :shopId',
      ExpressionAttributeNames: { '#shopId': SHOP_ID_INDEX.partitionKey },
      ExpressionAttributeValues: { ':shopId': shopId },
    });
  }

  /** Every shop a query finds, page after page. */
  private async queryShops(query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Shop[]> {
    const shops: Shop[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...query, TableName: this.tableName, ExclusiveStartKey: startKey }),
      );
      shops.push(...(page.Items ?? []).map(shopFromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return shops;
  }

  async saveState(state: string, record: AuthorizationState): Promise<void> {
    await this.saveOneTime(stateKey(state), {
      accountId: record.accountId,
      returnTo: record.returnTo,
      openId: record.openId,
      expiresAt: record.expiresAt,
    });
  }

  async consumeState(state: string, now: Date): Promise<AuthorizationState> {
    return stateFromItem(await this.consumeOneTime('state', stateKey(state), now));
  }

  async saveTicket(ticket: string, record: InstallTicket): Promise<void> {
    await this.saveOneTime(ticketKey(ticket), {
      openId: record.openId,
      authorizedAt: record.authorizedAt?.getTime(),
      expiresAt: record.expiresAt,
    });
  }

  async consumeTicket(ticket: string, now: Date): Promise<InstallTicket> {
    return ticketFromItem(await this.consumeOneTime('ticket', ticketKey(ticket), now));
  }

  async listGrants(options: { status?: GrantStatus; cursor?: string; limit?: number }): Promise<Page<GrantSummary>> {
    const statuses = options.status ? [options.status] : [...GRANT_STATUSES];
    const limit = Math.min(options.limit ?? this.pageSize, this.pageSize);
    const items: GrantSummary[] = [];
    let cursor: StatusCursor | undefined = options.cursor
      ? decodeStatusCursor(options.cursor, statuses.length)
      : { status: 0, shard: 0 };
    while (cursor && items.length < limit) {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: STATUS_INDEX.indexName,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': STATUS_INDEX.partitionKey },
          ExpressionAttributeValues: { ':shard': `${statuses[cursor.status]}#${cursor.shard}` },
          ExclusiveStartKey: cursor.key,
          Limit: limit - items.length,
        }),
      );
      for (const item of page.Items ?? []) items.push(grantSummarySchema.parse(item));
      if (page.LastEvaluatedKey) {
        cursor = { ...cursor, key: indexKey(page.LastEvaluatedKey) };
      } else if (cursor.shard + 1 < INDEX_SHARDS) {
        cursor = { status: cursor.status, shard: cursor.shard + 1 };
      } else {
        cursor = cursor.status + 1 < statuses.length ? { status: cursor.status + 1, shard: 0 } : undefined;
      }
    }
    return cursor ? { items, cursor: encodeCursor(cursor) } : { items };
  }

  claimRefresh(openId: string, now: Date, until: Date): Promise<boolean> {
    return this.updateIf({
      Key: grantKey(openId),
      // Not a change of the grant: its version stays, so no refresh or webhook in flight is made stale by it.
      UpdateExpression: 'SET refreshHeldUntil = :until',
      ConditionExpression:
        // The same mark already there is this call's own, written by an attempt the SDK retried.
        'attribute_exists(pk) AND #status = :active AND (attribute_not_exists(refreshHeldUntil) OR refreshHeldUntil <= :now OR refreshHeldUntil = :until)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':until': until.getTime(), ':now': now.getTime(), ':active': 'ACTIVE' },
    });
  }

  async holdRefresh(openId: string, until: Date): Promise<void> {
    await this.updateIf({
      Key: grantKey(openId),
      UpdateExpression: 'SET refreshHeldUntil = :until',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':until': until.getTime() },
    });
  }

  /** A conditional update: false when its condition does not hold. */
  private async updateIf(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  listDueForRefresh(before: Date, cursor?: string): Promise<Page<GrantRef>> {
    return this.listIndex(REFRESH_DUE, before, cursor);
  }

  listAuthorizationsEndingBefore(before: Date, cursor?: string): Promise<Page<GrantRef>> {
    return this.listIndex(AUTHORIZATION_EXPIRY, before, cursor);
  }

  listPendingEvents(before: Date, cursor?: string): Promise<Page<GrantRef>> {
    return this.listIndex(PENDING_EVENTS, before, cursor);
  }

  private async saveOneTime(key: { pk: string; sk: string }, record: Record<string, unknown> & { expiresAt: Date }) {
    await this.client
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: withoutUndefined({
            ...key,
            ...record,
            expiresAt: record.expiresAt.getTime(),
            ttl: ttlFor(record.expiresAt),
          }),
          // A collision of 256-bit random values is not expected; refusing it keeps a consumed value consumed.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error: unknown) => {
        // The value is this call's own (it is not handed out before this returns): an attempt the SDK retried.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /**
   * Marks a one-time value consumed, once: the condition admits only the first caller, and only before expiry.
   * The item stays until TTL so that a second use is told "used", not "unknown".
   */
  private async consumeOneTime(
    kind: 'state' | 'ticket',
    key: { pk: string; sk: string },
    now: Date,
  ): Promise<Record<string, unknown>> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET consumedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(consumedAt) AND expiresAt > :now',
          ExpressionAttributeValues: { ':now': now.getTime() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes) throw new OneTimeValueRejectedError(kind, 'unknown');
      return Attributes;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      const reason: OneTimeRejection = !Item ? 'unknown' : Item.consumedAt !== undefined ? 'used' : 'expired';
      throw new OneTimeValueRejectedError(kind, reason);
    }
  }

  /** One page of a sharded sparse index: shard after shard, until the page is full or the shards run out. */
  private async listIndex(index: IndexSpec, before: Date, cursorText?: string): Promise<Page<GrantRef>> {
    const items: GrantRef[] = [];
    let cursor: Cursor | undefined = cursorText ? decodeCursor(cursorText) : { shard: 0 };
    while (cursor && items.length < this.pageSize) {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#shard = :shard AND #at < :before',
          ExpressionAttributeNames: { '#shard': index.partitionKey, '#at': index.sortKey },
          ExpressionAttributeValues: { ':shard': `${index.shardPrefix}${cursor.shard}`, ':before': before.getTime() },
          ExclusiveStartKey: cursor.key,
          Limit: this.pageSize - items.length,
        }),
      );
      for (const item of page.Items ?? []) items.push(grantRefFromIndexItem(item, index.sortKey));
      if (page.LastEvaluatedKey) {
        cursor = { shard: cursor.shard, key: indexKey(page.LastEvaluatedKey) };
      } else {
        cursor = cursor.shard + 1 < INDEX_SHARDS ? { shard: cursor.shard + 1 } : undefined;
      }
    }
    return cursor ? { items, cursor: encodeCursor(cursor) } : { items };
  }
}

/**
 * The copy of a shop that speaks for it when several sellers listed it (a shop authorized again under another
 * open_id): an active one before a revoked one, then the latest authorization; the open id breaks a tie, so the
 * answer never depends on the order the index returns.
 */
function currentOwner(copies: readonly Shop[]): Shop | undefined {
  const rank = (shop: Shop) => [shop.status === 'ACTIVE' ? 1 : 0, shop.authorizedAt.getTime()] as const;
  return [...copies].sort((a, b) => {
    const [activeA, authorizedA] = rank(a);
    const [activeB, authorizedB] = rank(b);
    return activeB - activeA || authorizedB - authorizedA || a.openId.localeCompare(b.openId);
  })[0];
}

const indexItemSchema = z.object({ pk: z.string().check(z.startsWith('SELLER#')) });
const indexSortValueSchema = z.int();

function grantRefFromIndexItem(item: Record<string, unknown>, sortKey: string): GrantRef {
  const { pk } = indexItemSchema.parse(item);
  const at = indexSortValueSchema.parse(item[sortKey]);
  return { openId: pk.slice('SELLER#'.length), at: new Date(at) };
}

function indexKey(key: Record<string, unknown>): Record<string, string | number> {
  return indexKeySchema.parse(key);
}

function decodeStatusCursor(text: string, statuses: number): StatusCursor {
  const cursor = decodeWith(statusCursorSchema, text);
  if (cursor.status >= statuses) throw new InvalidCursorError();
  return cursor;
}

function encodeCursor(cursor: Cursor | StatusCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

const decodeCursor = (text: string): Cursor => decodeWith(cursorSchema, text);

function decodeWith<S extends z.ZodMiniType>(schema: S, text: string): z.output<S> {
  try {
    return schema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new InvalidCursorError({ cause });
  }
}

function withoutUndefined(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
}
