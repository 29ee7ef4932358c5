import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { RefusalLedger, RefusalRecord } from '../../ports';

/** The one item every refreshing function shares. */
export const REFUSALS_KEY = { pk: 'APP#TOKEN_REFRESH', sk: 'REFUSALS' } as const;

const epochMs = z.pipe(
  z.int(),
  z.transform((ms) => new Date(ms)),
);

const ledgerItem = z.object({
  refusals: z._default(z.record(z.string(), epochMs), {}),
  lastSuccessAt: z.optional(epochMs),
  pausedUntil: z.optional(epochMs),
});

function recordOf(item: Record<string, unknown> | undefined): RefusalRecord {
  const parsed = ledgerItem.parse(item ?? {});
  return {
    refusals: Object.entries(parsed.refusals).map(([openId, at]) => ({ openId, at })),
    lastSuccessAt: parsed.lastSuccessAt,
    pausedUntil: parsed.pausedUntil,
  };
}

/** The circuit breaker's memory on the service's table: one item, a map of sellers to their latest refusal. */
export class DynamoDbRefusalLedger implements RefusalLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<RefusalRecord> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: REFUSALS_KEY, ConsistentRead: true }),
    );
    return recordOf(Item);
  }

  async recordRefusal(openId: string, at: Date, forgetBefore: Date): Promise<RefusalRecord> {
    const record = recordOf(await this.setRefusal(openId, at));
    const forgotten = record.refusals.filter((refusal) => refusal.at < forgetBefore).slice(0, 50);
    if (forgotten.length === 0) return record;
    // Old refusals go, so the item stays small; a seller refused again meanwhile keeps its newer time.
    const names = Object.fromEntries(forgotten.map((refusal, index) => [`#s${index}`, refusal.openId]));
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: REFUSALS_KEY,
          UpdateExpression: `REMOVE ${forgotten.map((_, index) => `#r.#s${index}`).join(', ')}`,
          ConditionExpression: forgotten.map((_, index) => `#r.#s${index} < :before`).join(' AND '),
          ExpressionAttributeNames: { '#r': 'refusals', ...names },
          ExpressionAttributeValues: { ':before': forgetBefore.getTime() },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    return { ...record, refusals: record.refusals.filter((refusal) => !forgotten.includes(refusal)) };
  }

  async recordSuccess(at: Date): Promise<void> {
    await this.setLater('lastSuccessAt', at);
  }

  async pause(until: Date): Promise<void> {
    await this.setLater('pausedUntil', until);
  }

  /** Sets the seller's entry in the map; the map is made on the first refusal ever. */
  private async setRefusal(openId: string, at: Date): Promise<Record<string, unknown> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { Attributes } = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: REFUSALS_KEY,
            UpdateExpression: 'SET #r.#seller = :at',
            ConditionExpression: 'attribute_exists(#r)',
            ExpressionAttributeNames: { '#r': 'refusals', '#seller': openId },
            ExpressionAttributeValues: { ':at': at.getTime() },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt > 1) throw error;
      }
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: REFUSALS_KEY,
          UpdateExpression: 'SET #r = if_not_exists(#r, :empty)',
          ExpressionAttributeNames: { '#r': 'refusals' },
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
    }
  }

  /** Sets a time attribute unless it already holds a later one. */
  private async setLater(attribute: 'lastSuccessAt' | 'pausedUntil', at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: REFUSALS_KEY,
          UpdateExpression: 'SET #a = :at',
          ConditionExpression: 'attribute_not_exists(#a) OR #a < :at',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':at': at.getTime() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
