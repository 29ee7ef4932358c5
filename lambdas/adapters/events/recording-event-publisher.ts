import { randomUUID } from 'node:crypto';
import { EventPublishError } from '../../domain/errors';
import { EVENT_SOURCE, type OutgoingEvent } from '../../domain/events';
import type { Clock, EventPublisher } from '../../ports';
import { systemClock } from '../../shared/clock';
import { assertNoSecrets, type DeliveredEvent } from './event-envelope';

/** The local mode's bus: keeps every event, shaped as EventBridge delivers it, for `GET /_local/events`. */
export class RecordingEventPublisher implements EventPublisher {
  private readonly events: DeliveredEvent[] = [];
  private failures = 0;

  constructor(private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  /** Makes the next publishes fail, as PutEvents does when the bus refuses entries. */
  failNext(count = 1): void {
    this.failures += count;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    assertNoSecrets(events);
    if (this.failures > 0) {
      this.failures--;
      throw new EventPublishError(
        `the local bus refused ${events.length} events (a failure was asked for)`,
        events.length,
      );
    }
    const time = this.clock.now().toISOString();
    for (const event of events) {
      this.events.push({
        id: randomUUID(),
        source: EVENT_SOURCE,
        'detail-type': event.type,
        time,
        detail: event.detail,
      });
    }
  }

  /** Every event so far, oldest first. */
  list(): readonly DeliveredEvent[] {
    return [...this.events];
  }
}
