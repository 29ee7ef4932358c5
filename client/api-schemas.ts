import * as z from 'zod';

/**
 * The internal API's answers, as schemas: the client validates every answer against them, and the types the client
 * returns are derived from them. Times arrive as ISO strings and leave as `Date`s.
 */

export const GRANT_STATUSES = ['ACTIVE', 'REAUTH_REQUIRED', 'REVOKED'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const SHOP_STATUSES = ['ACTIVE', 'REVOKED'] as const;
export type ShopStatus = (typeof SHOP_STATUSES)[number];

/** Which TikTok authorize page a link opens: the US market's, or the rest of the world's. */
export const MARKETS = ['ROW', 'US'] as const;
export type Market = (typeof MARKETS)[number];

const isoTime = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export const sellerSummarySchema = z.object({
  openId: z.string(),
  sellerName: z.string(),
  status: z.enum(GRANT_STATUSES),
  accountId: z.string().optional(),
  accessTokenExpiresAt: isoTime,
  authorizationExpiresAt: isoTime,
});
/** A seller in a listing: never a token. */
export type SellerSummary = z.output<typeof sellerSummarySchema>;

export const sellersPageSchema = z.object({
  sellers: z.array(sellerSummarySchema),
  /** Absent on the last page. */
  cursor: z.string().optional(),
});
export type SellersPage = z.output<typeof sellersPageSchema>;

export const shopViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  sellerType: z.string(),
  code: z.string(),
  status: z.enum(SHOP_STATUSES),
});
export type ShopView = z.output<typeof shopViewSchema>;

export const sellerViewSchema = sellerSummarySchema.extend({
  scopes: z.array(z.string()),
  shops: z.array(shopViewSchema),
});
/** One seller and its shops: never a token. */
export type SellerView = z.output<typeof sellerViewSchema>;

export const authorizationLinkSchema = z.object({ url: z.string(), expiresAt: isoTime });
/** A one-hour, one-use link to TikTok's authorize page. */
export type AuthorizationLink = z.output<typeof authorizationLinkSchema>;

export const claimedInstallationSchema = z.object({ openId: z.string(), shops: z.array(shopViewSchema) });
export type ClaimedInstallation = z.output<typeof claimedInstallationSchema>;

export const sellerRefreshSchema = z.object({
  openId: z.string(),
  accessTokenExpiresAt: isoTime,
  authorizationExpiresAt: isoTime,
  /** False when another refresh had just renewed the tokens. */
  refreshed: z.boolean(),
});
export type SellerRefresh = z.output<typeof sellerRefreshSchema>;

export const exchangedAuthorizationSchema = z.object({
  openId: z.string(),
  accountId: z.string(),
  /** True when the seller had authorized before. */
  reauthorization: z.boolean(),
});
export type ExchangedAuthorization = z.output<typeof exchangedAuthorizationSchema>;

export const shopCredentialsSchema = z.object({
  shopId: z.string(),
  shopCipher: z.string(),
  openId: z.string(),
  accessToken: z.string(),
  accessTokenExpiresAt: isoTime,
});
/** What a call to TikTok Shop's Open API for one shop needs. */
export type ShopCredentials = z.output<typeof shopCredentialsSchema>;

/** The body of every JSON refusal. */
export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
