import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventPublishError } from '../../domain/errors';
import { EVENT_SOURCE, type OutgoingEvent } from '../../domain/events';
import type { EventPublisher } from '../../ports';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryTools, sleep } from '../../shared/retry';
import { assertNoSecrets } from './event-envelope';

/** PutEvents takes at most ten entries a call. */
const ENTRIES_PER_CALL = 10;

/**
 * Publishes to the service's EventBridge bus. PutEvents can fail for some entries while succeeding for others
 * (`FailedEntryCount`); those entries are sent again with backoff, and what still fails is an error.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly tools: Pick<RetryTools, 'sleep' | 'random'> = {},
  ) {}

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    assertNoSecrets(events);
    const entries: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.eventBusName,
      Source: EVENT_SOURCE,
      DetailType: event.type,
      Detail: JSON.stringify(event.detail),
    }));
    for (let start = 0; start < entries.length; start += ENTRIES_PER_CALL) {
      await this.send(entries.slice(start, start + ENTRIES_PER_CALL));
    }
  }

  private async send(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    let lastError = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      const result = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return;
      // Result entries line up with request entries; the failed ones carry an ErrorCode.
      const failed = pending.filter((_, index) => result.Entries?.[index]?.ErrorCode !== undefined);
      lastError = result.Entries?.find((entry) => entry.ErrorCode)?.ErrorCode ?? 'unknown';
      pending = failed.length > 0 ? failed : pending;
      if (attempt < this.retry.attempts) {
        await (this.tools.sleep ?? sleep)(backoffDelay(this.retry, attempt, this.tools.random ?? Math.random));
      }
    }
    throw new EventPublishError(
      `${pending.length} of ${entries.length} events were not accepted by the bus (${lastError})`,
      pending.length,
    );
  }
}
