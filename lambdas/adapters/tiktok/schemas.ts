import * as z from 'zod/mini';
import { type AuthorizedShop, USER_TYPE_SELLER } from '../../domain/model';

/** Every TikTok answer: errors come as HTTP 200 with `code != 0`. */
export const envelopeSchema = z.object({
  code: z.int(),
  message: z._default(z.string(), ''),
  request_id: z.optional(z.string()),
  data: z.optional(z.unknown()),
});

/** Tokens' expiries before this are not absolute timestamps: a sign that the answer is not what we think. */
const EARLIEST_PLAUSIBLE_EXPIRY = Date.UTC(2020, 0, 1) / 1000;

/** A whole number sent as a string of digits, read as the number. */
const digits = z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number));

/** An absolute Unix time in seconds (the protocol's `*_expire_in`), as a number or a numeric string. */
const unixSeconds = z.pipe(
  z.pipe(
    z.union([z.number(), digits]),
    z.int().check(z.minimum(EARLIEST_PLAUSIBLE_EXPIRY, 'an absolute Unix time in seconds')),
  ),
  z.transform((seconds) => new Date(seconds * 1000)),
);

/**
 * A field the service does not need in order to act: TikTok sends it null, leaves it out, or changes its type (real
 * creators' answers carry `"seller_name": null` and no `seller_base_region`). Any of those reads as the default:
 * the code is single use, and failing on a detail would cost the seller a new authorization.
 */
const optionalText = z.catch(z.string(), '');
const lenientList = z.catch(z.nullish(z.array(z.unknown())), undefined);
const optionalList = z.pipe(
  lenientList,
  z.transform((items) => items?.filter((item): item is string => typeof item === 'string')),
);

/** What a `/token/get` or `/token/refresh` answer must carry; everything else is optional and nullable. */
export const tokenDataSchema = z.pipe(
  z.object({
    access_token: z.string().check(z.minLength(1)),
    access_token_expire_in: unixSeconds,
    refresh_token: z.string().check(z.minLength(1)),
    refresh_token_expire_in: unixSeconds,
    open_id: z.string().check(z.minLength(1)),
    seller_name: optionalText,
    seller_base_region: optionalText,
    // Documented as always present; a missing one is read as a seller: the shops call that follows tells.
    user_type: z.catch(z.union([z.int(), digits]), USER_TYPE_SELLER),
    granted_scopes: optionalList,
    granted_permissions: optionalList,
  }),
  z.transform((data) => ({
    accessToken: data.access_token,
    accessTokenExpiresAt: data.access_token_expire_in,
    refreshToken: data.refresh_token,
    refreshTokenExpiresAt: data.refresh_token_expire_in,
    openId: data.open_id,
    sellerName: data.seller_name,
    sellerBaseRegion: data.seller_base_region,
    userType: data.user_type,
    grantedScopes: data.granted_scopes ?? data.granted_permissions ?? [],
  })),
);

/**
 * A shop the service can serve needs its id (webhooks name it) and its cipher (callers pass it to TikTok). An id sent
 * as a number past 2^53 has lost digits in JSON: it is left out rather than stored wrong.
 */
const shopSchema = z.pipe(
  z.object({
    id: z.union([
      z.string().check(z.trim(), z.minLength(1)),
      z.pipe(z.int().check(z.nonnegative()), z.transform(String)),
    ]),
    cipher: z.string().check(z.minLength(1)),
    name: optionalText,
    region: optionalText,
    seller_type: optionalText,
    code: optionalText,
  }),
  z.transform(
    (shop): AuthorizedShop => ({
      id: shop.id,
      name: shop.name,
      region: shop.region,
      sellerType: shop.seller_type,
      cipher: shop.cipher,
      code: shop.code,
    }),
  ),
);

/**
 * Get Authorized Shops' data, read after the code is spent: it never fails on a shop. A shop without an id or a
 * cipher cannot be served and is left out, counted in `unusable`; a list that is null or absent is no shop. A
 * `shops` of another type is not read as none: that would be TikTok's answer changing shape, and taking it for "no
 * shop" would turn every seller away; it fails, as an answer not understood.
 */
export const shopsDataSchema = z.pipe(
  z.nullish(z.object({ shops: z.nullish(z.array(z.unknown())) })),
  z.transform((data) => {
    const shops: AuthorizedShop[] = [];
    let unusable = 0;
    for (const entry of data?.shops ?? []) {
      const shop = shopSchema.safeParse(entry);
      if (shop.success) shops.push(shop.data);
      else unusable++;
    }
    return { shops, unusable };
  }),
);

/** The paths of the fields that failed, and never the values: they may be tokens. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
}
