import * as z from 'zod/mini';
import type { OutgoingEvent } from './events';

/**
 * A token sealed by a {@link TokenSealer}: the only form in which tokens are stored. The brand makes it a type
 * error to hand a plain token to the store.
 */
export const sealedTokenSchema = z
  .string()
  .check(z.regex(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'not a sealed token'))
  .brand<'SealedToken'>();
export type SealedToken = z.infer<typeof sealedTokenSchema>;

export const GRANT_STATUSES = ['ACTIVE', 'REAUTH_REQUIRED', 'REVOKED'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const SHOP_STATUSES = ['ACTIVE', 'REVOKED'] as const;
export type ShopStatus = (typeof SHOP_STATUSES)[number];

/** TikTok's `user_type`: only sellers (0) can call the seller APIs this service holds tokens for. */
export const USER_TYPE_SELLER = 0;

/** What a seller's authorization holds. One per `open_id`; it can cover several shops. */
export interface Grant {
  readonly openId: string;
  readonly sellerName: string;
  readonly baseRegion: string;
  readonly userType: number;
  readonly scopes: readonly string[];
  readonly accountId?: string;
  readonly status: GrantStatus;
  /** Absent once the grant is revoked: revoking deletes the tokens. */
  readonly accessToken?: SealedToken;
  readonly refreshToken?: SealedToken;
  readonly accessTokenExpiresAt: Date;
  /** The refresh token's expiry: when the seller must have authorized again. */
  readonly authorizationExpiresAt: Date;
  readonly authorizedAt: Date;
  /** Incremented by every write; writes are conditional on the version they read. */
  readonly version: number;
  readonly lease?: Lease;
  readonly refreshFailures: number;
  readonly lastError?: string;
  /**
   * Since when TikTok refuses this seller's refresh with a code not known to be about the seller (it may be the
   * app's credentials); cleared by a refresh that works.
   */
  readonly suspectRefusalSince?: Date;
  /** Reminder milestones (days before the end) already sent for the current `authorizationExpiresAt`. */
  readonly remindersSent: readonly number[];
  /**
   * Events and messages about this grant's changes, written in the same conditional write as the change and
   * removed once delivered: the transactional outbox. Whatever is left here is delivered by the recovery sweep.
   */
  readonly outbox: readonly OutboxEntry[];
}

/** Something to deliver at least once: an event for the bus, or a readable message for people (SNS). */
export type OutboxEntry = OutboxEntryBase &
  (
    | { readonly kind: 'event'; readonly event: OutgoingEvent }
    | { readonly kind: 'notification'; readonly subject: string; readonly message: string }
  );

interface OutboxEntryBase {
  readonly id: string;
  readonly at: Date;
  /**
   * For a renewal reminder, the end of the authorization it is about: a call to act that is dropped undelivered
   * once that end has moved (the seller authorized again) or the seller is no longer active.
   */
  readonly reminderFor?: Date;
}

/** A grant as first written; the store assigns the version. */
export type NewGrant = Omit<Grant, 'version' | 'lease'>;

/** Who may refresh a grant right now, and until when. */
export interface Lease {
  readonly holder: string;
  readonly until: Date;
}

export interface Shop {
  readonly shopId: string;
  readonly openId: string;
  readonly name: string;
  readonly region: string;
  readonly sellerType: string;
  readonly cipher: string;
  readonly code: string;
  readonly status: ShopStatus;
  /**
   * When the authorization that last listed this shop happened (its grant's `authorizedAt`). A late
   * deauthorization or disconnection revokes only what was authorized before it.
   */
  readonly authorizedAt: Date;
}

/** What a one-time authorization `state` is bound to. */
export interface AuthorizationState {
  readonly accountId: string;
  readonly returnTo?: string;
  /** The seller the link was made for (a renewal link): a callback by another seller is refused. */
  readonly openId?: string;
  readonly expiresAt: Date;
}

/** A one-time ticket that lets the app bind an App Store install to one of its accounts. */
export interface InstallTicket {
  readonly openId: string;
  /** The authorization it was issued for: a claim after the seller authorized again is refused. */
  readonly authorizedAt?: Date;
  readonly expiresAt: Date;
}

/** Tokens and seller facts as TikTok returns them from `/token/get` and `/token/refresh`. */
export interface TokenSet {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly openId: string;
  readonly sellerName: string;
  readonly sellerBaseRegion: string;
  readonly userType: number;
  readonly grantedScopes: readonly string[];
}

/** A shop as Get Authorized Shops returns it. */
export interface AuthorizedShop {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly sellerType: string;
  readonly cipher: string;
  readonly code: string;
}

/** The app's Partner Center credentials. */
export interface AppKeyAndSecret {
  readonly appKey: string;
  readonly appSecret: string;
}

/** One page of a listing; `cursor` is absent on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor?: string;
}

/** The key of a grant found by an index, with the index's sort value. */
export interface GrantRef {
  readonly openId: string;
  readonly at: Date;
}

/** What a listing of sellers shows: never a token. */
export interface GrantSummary {
  readonly openId: string;
  readonly sellerName: string;
  readonly status: GrantStatus;
  readonly accountId?: string;
  readonly accessTokenExpiresAt: Date;
  readonly authorizationExpiresAt: Date;
}
