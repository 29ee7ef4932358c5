import type {
  AppCredentials,
  Clock,
  EventPublisher,
  GrantStore,
  Notifier,
  RefusalLedger,
  SecretGenerator,
  TikTokAuthApi,
  TimeBudget,
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
  /** TikTok's suspect refusals across every function: the refresh circuit breaker. */
  readonly refusals: RefusalLedger;
  readonly clock: Clock;
  readonly secrets: SecretGenerator;
  readonly log: Log;
  /** The invocation's time left; unlimited when absent. */
  readonly budget?: TimeBudget;
  /** Reminders for people; absent where nobody subscribed. */
  readonly notifier?: Notifier;
}

/** What the invocation may still spend, in ms (unlimited without a budget). */
export const timeLeft = (deps: Pick<Dependencies, 'budget'>): number =>
  deps.budget?.remainingMs() ?? Number.POSITIVE_INFINITY;

/** Runs work that must not be abandoned past the budget (see `TimeBudget.finishing`). */
export const finishing = <T>(deps: Pick<Dependencies, 'budget'>, work: () => Promise<T>): Promise<T> =>
  deps.budget ? deps.budget.finishing(work) : work();
