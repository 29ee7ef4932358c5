/**
 * The lifecycle events this service publishes on its bus (design section 5). No detail carries a token, a secret
 * or a ticket; the only state that leaves the service is inside `reauthorizeUrl`, which is meant for the seller.
 */

export const EVENT_SOURCE = 'tiktok-shop-auth';

type DetailBase = {
  /** Stable across every delivery of the same event: consumers deduplicate on it (delivery is at least once). */
  readonly eventId: string;
  readonly openId: string;
  /** ISO 8601. */
  readonly occurredAt: string;
};

export interface ShopSummary {
  readonly id: string;
  readonly name: string;
  readonly region: string;
}

export interface EventDetails {
  'Seller Authorized': DetailBase & {
    readonly accountId?: string;
    /** Present when this authorization moved the seller from another account. */
    readonly previousAccountId?: string;
    readonly sellerName: string;
    readonly shops: readonly ShopSummary[];
    readonly scopes: readonly string[];
    readonly authorizationExpiresAt: string;
    readonly reauthorization: boolean;
  };
  'Installation Pending Claim': DetailBase & { readonly sellerName: string; readonly shops: readonly ShopSummary[] };
  /**
   * The seller went through TikTok's page, but nothing was connected: a creator's account (`NOT_A_SELLER`), or a
   * seller TikTok lists no shop for (`NO_SHOPS`, e.g. before their first shop opens). Nothing is stored.
   */
  'Authorization Rejected': DetailBase & {
    /** The account of the link the seller followed, when there was one. */
    readonly accountId?: string;
    readonly reason: 'NOT_A_SELLER' | 'NO_SHOPS';
    readonly userType: number;
  };
  'Installation Claimed': DetailBase & {
    readonly accountId: string;
    /** Present when the claim moved the seller from another account. */
    readonly previousAccountId?: string;
  };
  'Tokens Refreshed': DetailBase & { readonly accessTokenExpiresAt: string; readonly authorizationExpiresAt: string };
  'Token Refresh Failed': DetailBase & {
    readonly reason: string;
    readonly failures: number;
    readonly retrying: boolean;
  };
  'Reauthorization Required': DetailBase & { readonly accountId?: string; readonly reason: string };
  'Authorization Expiring': DetailBase & {
    readonly accountId?: string;
    readonly expiresAt: string;
    readonly daysLeft: number;
    readonly milestone: number;
    readonly shops: readonly ShopSummary[];
    readonly reauthorizeUrl: string;
  };
  'Seller Deauthorized': DetailBase & { readonly shopId: string; readonly grantRevoked: boolean };
  'Seller Disconnected': DetailBase & { readonly accountId?: string };
  'TikTok Shop Webhook': {
    readonly eventId: string;
    readonly openId?: string;
    readonly occurredAt: string;
    readonly type: number;
    readonly typeName?: string;
    readonly shopId?: string;
    readonly notificationId?: string;
    readonly timestamp: number;
    readonly data: unknown;
  };
}

export type LifecycleEventType = keyof EventDetails;

export const LIFECYCLE_EVENT_TYPES = [
  'Seller Authorized',
  'Installation Pending Claim',
  'Authorization Rejected',
  'Installation Claimed',
  'Tokens Refreshed',
  'Token Refresh Failed',
  'Reauthorization Required',
  'Authorization Expiring',
  'Seller Deauthorized',
  'Seller Disconnected',
  'TikTok Shop Webhook',
] as const satisfies readonly LifecycleEventType[];
/** Fails to compile when an event type is missing from the list above. */
const everyTypeListed: Exclude<LifecycleEventType, (typeof LIFECYCLE_EVENT_TYPES)[number]> extends never
  ? true
  : false = true;
void everyTypeListed;

/** An event as it is sent and as it is kept until it is: its type, and a detail of that type's shape. */
export interface OutgoingEvent {
  readonly type: LifecycleEventType;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One event, typed by its detail-type. */
export type LifecycleEvent = {
  [T in LifecycleEventType]: { readonly type: T; readonly detail: EventDetails[T] };
}[LifecycleEventType];

const SECRET_KEY = /^(access_?token|refresh_?token|app_?secret|secret|auth_?code|code|state|ticket|password)$/i;

/**
 * The paths of keys in an event detail that name a secret. Publishers refuse such events: a second line of
 * defence behind the types above, since `data` of a forwarded webhook is TikTok's and untyped.
 */
export function findSecretKeys(value: unknown, path = 'detail'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => findSecretKeys(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(SECRET_KEY.test(key) ? [`${path}.${key}`] : []),
    ...findSecretKeys(inner, `${path}.${key}`),
  ]);
}
