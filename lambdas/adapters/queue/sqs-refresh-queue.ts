import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { RefreshQueue } from '../../ports';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy, sleep } from '../../shared/retry';

const ENTRIES_PER_CALL = 10;

/** The refresh queue on SQS: one message `{"openId"}` per grant due. */
export class SqsRefreshQueue implements RefreshQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  async enqueue(openIds: readonly string[]): Promise<void> {
    for (let start = 0; start < openIds.length; start += ENTRIES_PER_CALL) {
      const entries = openIds
        .slice(start, start + ENTRIES_PER_CALL)
        .map((openId, index) => ({ Id: String(start + index), MessageBody: JSON.stringify({ openId }) }));
      await this.send(entries);
    }
  }

  private async send(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      const { Failed = [] } = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
      );
      if (Failed.length === 0) return;
      const failedIds = new Set(Failed.map((failure) => failure.Id));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
      if (attempt >= this.retry.attempts) {
        throw new Error(`${pending.length} refresh messages were not enqueued (${Failed[0]?.Code ?? 'unknown'})`);
      }
      await sleep(backoffDelay(this.retry, attempt, Math.random));
    }
  }
}

/**
 * Brings a refresh message back after `delaySeconds` instead of the queue's visibility timeout: a growing delay. A
 * class of its own: the worker needs only this of SQS, and its bundle then carries no other SQS command.
 */
export class SqsMessageDelays {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async retryLater(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
    );
  }
}
