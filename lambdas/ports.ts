/**
 * The ports: what the domain needs from the world. Adapters in `adapters/` implement them for AWS and for the
 * local mode; tests hand in the local ones or real local services.
 */
import type { OutgoingEvent } from './domain/events';
import type {
  AppKeyAndSecret,
  AuthorizationState,
  AuthorizedShop,
  Grant,
  GrantRef,
  GrantStatus,
  GrantSummary,
  InstallTicket,
  NewGrant,
  Page,
  SealedToken,
  Shop,
  TokenSet,
} from './domain/model';

/** TikTok Shop's authorization endpoints. Errors are the `TikTok...Error` classes of `domain/errors`. */
export interface TikTokAuthApi {
  /** `/api/v2/token/get`: trades a seller's one-time auth code for tokens. */
  exchangeAuthCode(authCode: string): Promise<TokenSet>;
  /** `/api/v2/token/refresh`. */
  refreshTokens(refreshToken: string): Promise<TokenSet>;
  /** `/authorization/202309/shops`: the shops this access token covers, with their ciphers. */
  getAuthorizedShops(accessToken: string): Promise<AuthorizedShop[]>;
}

/** The app's key and secret, cached by the adapter. */
export interface AppCredentials {
  get(): Promise<AppKeyAndSecret>;
  /** Reads the credentials again, bypassing the cache: TikTok said the cached ones are wrong. */
  reload(): Promise<AppKeyAndSecret>;
}

/** Who a sealed token belongs to; sealing binds the token to it. */
export interface SealingContext {
  readonly openId: string;
  readonly appKey: string;
}

/** Envelope encryption of tokens, bound to the seller and the app. */
export interface TokenSealer {
  seal(token: string, context: SealingContext): Promise<SealedToken>;
  /** Fails with `UnsealError` when the token was sealed for another context, or tampered with. */
  unseal(sealed: SealedToken, context: SealingContext): Promise<string>;
}

/** Publishes lifecycle events to the app's other services. */
export interface EventPublisher {
  publish(events: readonly OutgoingEvent[]): Promise<void>;
}

/**
 * The time the current invocation may still spend: every TikTok and AWS call fits in it, and no attempt starts
 * that cannot finish. Outside an invocation (tests, scripts) it is unlimited.
 */
export interface TimeBudget {
  remainingMs(): number;
  /**
   * Runs work that must not be abandoned (storing the tokens TikTok just gave) past the budget, until just before
   * the invocation must end.
   */
  finishing<T>(work: () => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** Unguessable one-time values (states, install tickets, lease holders). */
export interface SecretGenerator {
  /** 256 random bits, URL-safe. */
  oneTimeValue(): string;
}

/** Where grants due for refresh wait for a worker. */
export interface RefreshQueue {
  /** Enqueues one message per seller; fails when any could not be enqueued. */
  enqueue(openIds: readonly string[]): Promise<void>;
}

/** What the service remembers of TikTok's refusals across every function: the refresh circuit breaker's state. */
export interface RefusalRecord {
  /** The latest suspect refusal of each seller refused lately. */
  readonly refusals: ReadonlyArray<{ readonly openId: string; readonly at: Date }>;
  /** When a refresh last worked, for any seller (written at most every few minutes). */
  readonly lastSuccessAt?: Date;
  /** Refreshes are paused until then. */
  readonly pausedUntil?: Date;
}

/** The circuit breaker's shared memory (one item, read and written by every function that refreshes). */
export interface RefusalLedger {
  read(): Promise<RefusalRecord>;
  /** Notes a suspect refusal of `openId`, forgetting refusals older than `forgetBefore`; the record as it is now. */
  recordRefusal(openId: string, at: Date, forgetBefore: Date): Promise<RefusalRecord>;
  /** Notes that a refresh worked at `at` (a later success already noted stands). */
  recordSuccess(at: Date): Promise<void>;
  /** Pauses every refresh until `until` (a longer pause already in force stands). */
  pause(until: Date): Promise<void>;
}

/** Messages for people (the app's team), next to the events for machines. */
export interface Notifier {
  notify(subject: string, message: string): Promise<void>;
}

/** What became of an attempt to take a webhook delivery. */
export type ReceiptClaim = 'claimed' | 'done-already' | 'in-progress';

/**
 * Receipts of webhook deliveries, so each is acted on once. A delivery is claimed before its effects and marked
 * done after them; a failed one is released so TikTok's retry can take it again.
 */
export interface WebhookReceipts {
  /** Claims the delivery; an in-progress claim older than `inProgressUntil` of a dead caller can be taken over. */
  claim(deliveryId: string, now: Date, inProgressUntil: Date): Promise<ReceiptClaim>;
  /** The delivery's effects are done: duplicates until `keepUntil` are answered without effect. */
  complete(deliveryId: string, keepUntil: Date): Promise<void>;
  /** The effects failed: forget the claim so a retry is acted on. */
  release(deliveryId: string): Promise<void>;
}

/** Where grants, shops, states and install tickets live. */
export interface GrantStore {
  getGrant(openId: string): Promise<Grant | undefined>;
  /** Writes a first grant (version 1); `GrantAlreadyExistsError` when the seller has one. */
  createGrant(grant: NewGrant): Promise<Grant>;
  /**
   * Writes `grant` when the stored version is still `grant.version`, and returns it with the next version;
   * `StaleGrantError` otherwise. Leaves the lease alone unless `releaseLeaseOf` names its holder.
   */
  updateGrant(grant: Grant, options?: { releaseLeaseOf?: string }): Promise<Grant>;
  /**
   * Takes the grant's refresh lease for `holder` until `until`, when it is free, expired, or already `holder`'s,
   * and returns the grant as it is now (the re-read). `LeaseHeldError` when another holder has it.
   */
  acquireLease(openId: string, holder: string, until: Date, now: Date): Promise<Grant>;
  /** Gives the lease back; does nothing when `holder` no longer holds it. */
  releaseLease(openId: string, holder: string): Promise<void>;

  /** Writes the shops (insert or replace), each unless an authorization later than its `authorizedAt` wrote it. */
  putShops(shops: readonly Shop[]): Promise<void>;
  listShops(openId: string): Promise<Shop[]>;
  /**
   * Marks the shop REVOKED unless an authorization after `authorizedNoLaterThan` listed it; true when it is
   * revoked now (also when it was already), false when it belongs to a newer authorization or does not exist.
   */
  revokeShop(openId: string, shopId: string, authorizedNoLaterThan: Date): Promise<boolean>;
  /** The shop's current owner when several sellers listed it: the active copy, else the latest authorization. */
  findShop(shopId: string): Promise<Shop | undefined>;
  /** Every seller's copy of the shop (a shop authorized again under another open_id has several). */
  listShopCopies(shopId: string): Promise<Shop[]>;

  /** Stores a one-time state (hashed). */
  saveState(state: string, record: AuthorizationState): Promise<void>;
  /** Consumes a state exactly once; `OneTimeValueRejectedError` when unknown, expired or used. */
  consumeState(state: string, now: Date): Promise<AuthorizationState>;
  /** Stores a one-time install ticket (hashed). */
  saveTicket(ticket: string, record: InstallTicket): Promise<void>;
  /** Consumes a ticket exactly once; `OneTimeValueRejectedError` when unknown, expired or used. */
  consumeTicket(ticket: string, now: Date): Promise<InstallTicket>;

  /** Sellers, by status or all of them, a page at a time (at most `limit`). */
  listGrants(options: { status?: GrantStatus; cursor?: string; limit?: number }): Promise<Page<GrantSummary>>;
  /**
   * Marks an active grant's refresh as queued until `until`, unless it is already (queued, or waiting out a backoff
   * or a pause); true when this caller marked it, and so enqueues it.
   */
  claimRefresh(openId: string, now: Date, until: Date): Promise<boolean>;
  /** Keeps a grant's refresh marked as queued until `until`: its message waits out a backoff, or refreshes pause. */
  holdRefresh(openId: string, until: Date): Promise<void>;
  /** Active grants whose access token expires before `before`, soonest first within each page. */
  listDueForRefresh(before: Date, cursor?: string): Promise<Page<GrantRef>>;
  /** Active grants whose authorization ends before `before`. */
  listAuthorizationsEndingBefore(before: Date, cursor?: string): Promise<Page<GrantRef>>;
  /** Grants with outbox entries written before `before`, oldest first within each page. */
  listPendingEvents(before: Date, cursor?: string): Promise<Page<GrantRef>>;
}
