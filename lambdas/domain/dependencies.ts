import type {
  AppCredentials,
  Clock,
  EventPublisher,
  GrantStore,
  Notifier,
  SecretGenerator,
  TikTokAuthApi,
  TokenSealer,
} from '../ports';
import type { Log } from '../shared/logger';
import type { LifecycleEvent } from './events';

/** Everything a use case may need; each takes only the part it uses. */
export interface Dependencies {
  readonly store: GrantStore;
  readonly tiktok: TikTokAuthApi;
  readonly credentials: AppCredentials;
  readonly sealer: TokenSealer;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly secrets: SecretGenerator;
  readonly log: Log;
  /** Reminders for people; absent where nobody subscribed. */
  readonly notifier?: Notifier;
}

/**
 * Publishes events about a change that is already stored. A failure is logged as an error, not thrown: the change
 * happened, and a seller must not see an error page because the bus hiccuped.
 */
export async function publishAfterCommit(
  deps: Pick<Dependencies, 'events' | 'log'>,
  events: readonly LifecycleEvent[],
): Promise<void> {
  try {
    await deps.events.publish(events);
  } catch (error) {
    deps.log.error('lifecycle events were not published', {
      types: events.map((event) => event.type),
      error: error instanceof Error ? error.message : 'unknown',
    });
  }
}
