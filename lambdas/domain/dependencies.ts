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
