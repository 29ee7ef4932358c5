import { EventPublishError } from '../../domain/errors';
import { findSecretKeys, type OutgoingEvent } from '../../domain/events';

/** An event as EventBridge delivers it to a rule's target (the fields consumers read). */
export interface DeliveredEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: unknown;
}

/** Refuses, before anything is sent, events whose detail names a secret. */
export function assertNoSecrets(events: readonly OutgoingEvent[]): void {
  const found = events.flatMap((event) => findSecretKeys(ownDetail(event)).map((path) => `${event.type}: ${path}`));
  if (found.length > 0) {
    throw new EventPublishError(`events must not carry secrets (${found.join(', ')})`, events.length);
  }
}

/** What the service wrote of a detail: a forwarded webhook's `data` is TikTok's, with its own names, and no tokens. */
function ownDetail(event: OutgoingEvent): unknown {
  return event.type === 'TikTok Shop Webhook' ? { ...event.detail, data: undefined } : event.detail;
}
