/**
 * The service's refusals as classes, one per stable error code of its JSON answers
 * (`{"error": {"code", "message"}}`), so callers branch with `instanceof` instead of comparing strings.
 */

/** What every refusal of the service carries. */
export interface ServiceErrorDetails {
  /** The stable machine code, e.g. `REAUTH_REQUIRED`; `HTTP_<status>` when the answer had none. */
  readonly code: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The service's explanation (generic from 500 on). */
  readonly message: string;
  /** From the `retry-after` header, when the service said when to try again. */
  readonly retryAfterSeconds?: number;
}

/**
 * Base of every refusal the service answered with. Subclasses name the codes; an unknown code (a newer service, or
 * API Gateway's own answers such as a 403 for a missing signature) arrives as {@link UnknownServiceError}.
 */
export class TikTokShopAuthError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryAfterSeconds?: number;

  constructor(details: ServiceErrorDetails, options?: { cause?: unknown }) {
    super(details.message, options);
    this.name = 'TikTokShopAuthError';
    this.code = details.code;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** 400: the request is not what the route takes (a field, a path parameter, a cursor). */
export class InvalidRequestError extends TikTokShopAuthError {
  declare readonly code: 'INVALID_REQUEST';
  override readonly name = 'InvalidRequestError';
}
/** 413: the body is larger than the service takes (16 KB). */
export class PayloadTooLargeError extends TikTokShopAuthError {
  declare readonly code: 'PAYLOAD_TOO_LARGE';
  override readonly name = 'PayloadTooLargeError';
}
/** 404: no seller has this open id. */
export class SellerNotFoundError extends TikTokShopAuthError {
  declare readonly code: 'SELLER_NOT_FOUND';
  override readonly name = 'SellerNotFoundError';
}
/** 404: no shop has this id. */
export class ShopNotFoundError extends TikTokShopAuthError {
  declare readonly code: 'SHOP_NOT_FOUND';
  override readonly name = 'ShopNotFoundError';
}
/** 404: the service has no such route (an older service than this client). */
export class RouteNotFoundError extends TikTokShopAuthError {
  declare readonly code: 'ROUTE_NOT_FOUND';
  override readonly name = 'RouteNotFoundError';
}
/** 404: the install ticket is unknown. */
export class TicketUnknownError extends TikTokShopAuthError {
  declare readonly code: 'TICKET_UNKNOWN';
  override readonly name = 'TicketUnknownError';
}
/** 410: the install ticket was claimed already. */
export class TicketUsedError extends TikTokShopAuthError {
  declare readonly code: 'TICKET_USED';
  override readonly name = 'TicketUsedError';
}
/** 410: the install ticket expired (30 minutes). */
export class TicketExpiredError extends TikTokShopAuthError {
  declare readonly code: 'TICKET_EXPIRED';
  override readonly name = 'TicketExpiredError';
}
/** 410: the seller authorized again since the install; the newer authorization stands. */
export class TicketSupersededError extends TikTokShopAuthError {
  declare readonly code: 'TICKET_SUPERSEDED';
  override readonly name = 'TicketSupersededError';
}
/** 410: the seller was disconnected, or must authorize again, since the install. */
export class SellerNotActiveError extends TikTokShopAuthError {
  declare readonly code: 'SELLER_NOT_ACTIVE';
  override readonly name = 'SellerNotActiveError';
}
/** 409: the seller must authorize the app again; send them an authorization link. */
export class ReauthRequiredError extends TikTokShopAuthError {
  declare readonly code: 'REAUTH_REQUIRED';
  override readonly name = 'ReauthRequiredError';
}
/** 410: the shop was deauthorized. */
export class ShopRevokedError extends TikTokShopAuthError {
  declare readonly code: 'SHOP_REVOKED';
  override readonly name = 'ShopRevokedError';
}
/** 410: the seller was disconnected or deauthorized every shop. */
export class SellerRevokedError extends TikTokShopAuthError {
  declare readonly code: 'SELLER_REVOKED';
  override readonly name = 'SellerRevokedError';
}
/** 503: TikTok is not answering; `retryAfterSeconds` says when to try again. */
export class TikTokUnavailableError extends TikTokShopAuthError {
  declare readonly code: 'TIKTOK_UNAVAILABLE';
  override readonly name = 'TikTokUnavailableError';
}
/** 503: another refresh of this seller is under way. */
export class RefreshInProgressError extends TikTokShopAuthError {
  declare readonly code: 'REFRESH_IN_PROGRESS';
  override readonly name = 'RefreshInProgressError';
}
/** 503: refreshes are paused while TikTok refuses them (the operator is alerted). */
export class RefreshPausedError extends TikTokShopAuthError {
  declare readonly code: 'REFRESH_PAUSED';
  override readonly name = 'RefreshPausedError';
}
/** 503: the request ran out of time in the service. */
export class TryAgainError extends TikTokShopAuthError {
  declare readonly code: 'TRY_AGAIN';
  override readonly name = 'TryAgainError';
}
/** 422: TikTok refused the authorization code (expired, used, or of another app). */
export class CodeRefusedError extends TikTokShopAuthError {
  declare readonly code: 'CODE_REFUSED';
  override readonly name = 'CodeRefusedError';
}
/** 422: the account is a creator's, not a seller's. */
export class NotASellerError extends TikTokShopAuthError {
  declare readonly code: 'NOT_A_SELLER';
  override readonly name = 'NotASellerError';
}
/** 422: TikTok lists no shop for the seller yet. */
export class NoShopsError extends TikTokShopAuthError {
  declare readonly code: 'NO_SHOPS';
  override readonly name = 'NoShopsError';
}
/** 400: a signed webhook body that is not a webhook (the webhook route only). */
export class NotAWebhookError extends TikTokShopAuthError {
  declare readonly code: 'NOT_A_WEBHOOK';
  override readonly name = 'NotAWebhookError';
}
/** 500: the service failed; the message is generic. */
export class InternalServiceError extends TikTokShopAuthError {
  declare readonly code: 'INTERNAL';
  override readonly name = 'InternalServiceError';
}
/** A code this client does not know, or an answer without one (`HTTP_<status>`). */
export class UnknownServiceError extends TikTokShopAuthError {
  override readonly name = 'UnknownServiceError';
}

/** Each stable error code of the service, and its class. */
export const ERROR_CLASSES = {
  INVALID_REQUEST: InvalidRequestError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  SELLER_NOT_FOUND: SellerNotFoundError,
  SHOP_NOT_FOUND: ShopNotFoundError,
  ROUTE_NOT_FOUND: RouteNotFoundError,
  TICKET_UNKNOWN: TicketUnknownError,
  TICKET_USED: TicketUsedError,
  TICKET_EXPIRED: TicketExpiredError,
  TICKET_SUPERSEDED: TicketSupersededError,
  SELLER_NOT_ACTIVE: SellerNotActiveError,
  REAUTH_REQUIRED: ReauthRequiredError,
  SHOP_REVOKED: ShopRevokedError,
  SELLER_REVOKED: SellerRevokedError,
  TIKTOK_UNAVAILABLE: TikTokUnavailableError,
  REFRESH_IN_PROGRESS: RefreshInProgressError,
  REFRESH_PAUSED: RefreshPausedError,
  TRY_AGAIN: TryAgainError,
  CODE_REFUSED: CodeRefusedError,
  NOT_A_SELLER: NotASellerError,
  NO_SHOPS: NoShopsError,
  NOT_A_WEBHOOK: NotAWebhookError,
  INTERNAL: InternalServiceError,
} as const satisfies Record<string, typeof TikTokShopAuthError>;

export type ErrorCode = keyof typeof ERROR_CLASSES;
export const ERROR_CODES = Object.keys(ERROR_CLASSES) as ErrorCode[];

const isKnownCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CLASSES, code);

/** The refusal of the class its code names. */
export function serviceError(details: ServiceErrorDetails): TikTokShopAuthError {
  const ErrorClass = isKnownCode(details.code) ? ERROR_CLASSES[details.code] : UnknownServiceError;
  return new ErrorClass(details);
}

/**
 * The service did not answer: refused connection, reset, DNS, or no answer within the timeout. Not a refusal: the
 * request may or may not have taken effect.
 */
export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
  constructor(
    /** What happened, e.g. `fetch failed: connect ECONNREFUSED 127.0.0.1:9`, `no answer within 30000 ms`. */
    readonly reason: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`${new URL(url).origin} did not answer (${reason})`, options);
  }
}

/** The service answered something this client does not understand (a body its schema refuses). */
export class UnexpectedResponseError extends Error {
  override readonly name = 'UnexpectedResponseError';
  constructor(
    message: string,
    readonly status: number,
    /** Which fields were wrong, as paths (never their values: the credentials route's body holds a token). */
    readonly fields: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
