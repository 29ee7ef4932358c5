/**
 * Errors the ports raise and the use cases react to. They know nothing of HTTP: one mapping at the edge turns
 * them into status codes. Messages never carry a token, a secret, an auth code, a state or a ticket.
 */

/** Base of every error TikTok's answers lead to. */
export abstract class TikTokError extends Error {
  /** TikTok's numeric `code`, when the answer had one. */
  readonly code?: number;
  readonly requestId?: string;

  constructor(message: string, details: { code?: number; requestId?: string; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.requestId = details.requestId;
  }
}

/** TikTok did not answer usefully (network, timeout, 5xx, throttling, a malformed answer): try again later. */
export class TikTokRetryLaterError extends TikTokError {}

/** TikTok refused the auth code or refresh token: only the seller can fix this, by authorizing again. */
export class TikTokReauthorizationRequiredError extends TikTokError {}

/**
 * TikTok refused a refresh token or an auth code with a code not known to be about that seller: it may be the app's
 * key or secret, or something on TikTok's side. Never believed at once: counted, retried later, and behind the
 * circuit breaker.
 */
export class TikTokSuspectRefusalError extends TikTokError {}

/** The seller did not grant a permission the call needs (105005): not a token problem. */
export class TikTokMissingScopeError extends TikTokError {}

/** TikTok says our app key or secret is wrong: an operator must fix the app secret. */
export class TikTokAppCredentialsError extends TikTokError {}

/** The access token was refused (expired or invalid): refresh, then try once more. */
export class TikTokAccessTokenRejectedError extends TikTokError {}

/** TikTok refused a request for another reason; the code says which. */
export class TikTokRequestRejectedError extends TikTokError {}

/** The invocation's time budget ran out before a call could be made: try again in another invocation. */
export class TimeBudgetExhaustedError extends Error {
  constructor(what: string) {
    super(`no time left in this invocation for ${what}`);
    this.name = 'TimeBudgetExhaustedError';
  }
}

/** Refreshes are paused: TikTok refused several sellers for reasons not about one seller (the circuit breaker). */
export class RefreshPausedError extends Error {
  constructor(readonly until: Date) {
    super(`refreshes are paused until ${until.toISOString()}: TikTok refused several sellers; check the app secret`);
    this.name = 'RefreshPausedError';
  }
}

/**
 * A refresh that waited for its turn at TikTok and did not call: too little of the invocation's budget was left, or
 * the circuit breaker it had to look at could not be read. No failure (the queue brings it back soon).
 */
export class RefreshNotStartedError extends Error {
  constructor() {
    super('the refresh did not call TikTok: its turn came too late for the invocation, or the breaker was unreadable');
    this.name = 'RefreshNotStartedError';
  }
}

/** The grant changed since it was read (its version moved on). */
export class StaleGrantError extends Error {
  constructor(readonly openId: string) {
    super(`grant ${openId} changed since it was read`);
    this.name = 'StaleGrantError';
  }
}

export class GrantNotFoundError extends Error {
  constructor(readonly openId: string) {
    super(`no grant for seller ${openId}`);
    this.name = 'GrantNotFoundError';
  }
}

export class GrantAlreadyExistsError extends Error {
  constructor(readonly openId: string) {
    super(`a grant for seller ${openId} exists already`);
    this.name = 'GrantAlreadyExistsError';
  }
}

/** Another caller holds the grant's refresh lease. */
export class LeaseHeldError extends Error {
  constructor(
    readonly openId: string,
    readonly until: Date,
  ) {
    super(`the refresh lease of seller ${openId} is held until ${until.toISOString()}`);
    this.name = 'LeaseHeldError';
  }
}

export type OneTimeRejection = 'unknown' | 'expired' | 'used';

/** A one-time value (state or install ticket) that cannot be consumed. Its value never appears in the message. */
export class OneTimeValueRejectedError extends Error {
  constructor(
    readonly kind: 'state' | 'ticket',
    readonly reason: OneTimeRejection,
  ) {
    super(`the ${kind} is ${reason === 'unknown' ? 'unknown' : reason === 'expired' ? 'expired' : 'already used'}`);
    this.name = 'OneTimeValueRejectedError';
  }
}

/** A sealed token that does not open with this key and context (tampered, or copied from another seller). */
export class UnsealError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('a sealed token could not be opened for this seller', options);
    this.name = 'UnsealError';
  }
}

/** TikTok's new tokens could not be sealed and stored: if the refresh token rotated, the seller must authorize again. */
export class NewTokensNotStoredError extends Error {
  constructor(
    readonly openId: string,
    options?: { cause?: unknown },
  ) {
    super(`new tokens of seller ${openId} could not be stored`, options);
    this.name = 'NewTokensNotStoredError';
  }
}

/** Events could not be delivered to the bus. */
export class EventPublishError extends Error {
  constructor(
    message: string,
    readonly failedCount: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EventPublishError';
  }
}

/** A listing cursor that this store did not hand out. */
export class InvalidCursorError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the cursor is not one this store handed out', options);
    this.name = 'InvalidCursorError';
  }
}

/** The seller denied the authorization, or TikTok sent no usable code. */
export class AuthorizationDeniedError extends Error {
  constructor(readonly reason: string) {
    super(`the authorization was not granted (${reason})`);
    this.name = 'AuthorizationDeniedError';
  }
}

/** A renewal link's state was used by another seller than the one it was made for. */
export class WrongSellerError extends Error {
  constructor() {
    super('the authorization link was made for another seller');
    this.name = 'WrongSellerError';
  }
}

export type ClaimRefusal = 'seller-not-active' | 'superseded';

/** An install ticket that was valid, but whose installation can no longer be claimed. */
export class InstallationNotClaimableError extends Error {
  constructor(
    readonly openId: string,
    readonly reason: ClaimRefusal,
  ) {
    super(
      reason === 'seller-not-active'
        ? `seller ${openId} was disconnected or must authorize again since the install`
        : `seller ${openId} authorized again since the install; the newer authorization stands`,
    );
    this.name = 'InstallationNotClaimableError';
  }
}

/** The account that authorized is not a seller (creators and partners cannot use the seller APIs). */
export class UnsupportedUserTypeError extends Error {
  constructor(readonly userType: number) {
    super(`only seller accounts can be connected (user type ${userType})`);
    this.name = 'UnsupportedUserTypeError';
  }
}

/** The seller authorized, but TikTok lists no shop of theirs: nothing to act for, so nothing is stored. */
export class NoAuthorizedShopsError extends Error {
  constructor(readonly openId: string) {
    super(`TikTok lists no shop for seller ${openId}`);
    this.name = 'NoAuthorizedShopsError';
  }
}

export class ShopNotFoundError extends Error {
  constructor(readonly shopId: string) {
    super(`no shop ${shopId}`);
    this.name = 'ShopNotFoundError';
  }
}

/** The shop or the whole seller was deauthorized or disconnected. */
export class AccessRevokedError extends Error {
  constructor(
    readonly subject: 'shop' | 'seller',
    id: string,
  ) {
    super(`the ${subject} ${id} is no longer authorized`);
    this.name = 'AccessRevokedError';
  }
}

/** The seller must authorize again before the app can act for them. */
export class ReauthorizationRequiredError extends Error {
  constructor(
    readonly openId: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`seller ${openId} must authorize again (${reason})`, options);
    this.name = 'ReauthorizationRequiredError';
  }
}
