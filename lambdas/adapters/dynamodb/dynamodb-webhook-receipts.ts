import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ReceiptClaim, WebhookReceipts } from '../../ports';
import { ttlFor } from './items';
import { WEBHOOK_RECEIPT_KEY_PREFIX } from './table-design';

/** A delivery's receipt item. */
export const receiptKey = (deliveryId: string) => ({ pk: `${WEBHOOK_RECEIPT_KEY_PREFIX}${deliveryId}`, sk: 'RECEIPT' });

/** Webhook receipts on the service's table: one item per delivery, claimed and completed by conditional writes. */
export class DynamoDbWebhookReceipts implements WebhookReceipts {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(deliveryId: string, now: Date, inProgressUntil: Date): Promise<ReceiptClaim> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...receiptKey(deliveryId),
            status: 'IN_PROGRESS',
            until: inProgressUntil.getTime(),
            ttl: ttlFor(inProgressUntil),
          },
          // A new delivery, or one whose claimant died mid-way (its claim lapsed and was never completed).
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND #until <= :now)',
          ExpressionAttributeNames: { '#status': 'status', '#until': 'until' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': now.getTime() },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: receiptKey(deliveryId), ConsistentRead: true }),
    );
    return Item?.status === 'DONE' ? 'done-already' : 'in-progress';
  }

  async complete(deliveryId: string, keepUntil: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: receiptKey(deliveryId),
        UpdateExpression: 'SET #status = :done, #until = :until, #ttl = :ttl',
        ExpressionAttributeNames: { '#status': 'status', '#until': 'until', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':done': 'DONE', ':until': keepUntil.getTime(), ':ttl': ttlFor(keepUntil) },
      }),
    );
  }

  async release(deliveryId: string): Promise<void> {
    await this.client
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: receiptKey(deliveryId),
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS' },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}
