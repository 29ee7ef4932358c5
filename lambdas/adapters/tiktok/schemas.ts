import * as z from 'zod';

/** Every TikTok answer: errors come as HTTP 200 with `code != 0`. */
export const envelopeSchema = z.object({
  code: z.number().int(),
  message: z.string().default(''),
  request_id: z.string().optional(),
  data: z.unknown().optional(),
});

/** Tokens' expiries before this are not absolute timestamps: a sign that the answer is not what we think. */
const EARLIEST_PLAUSIBLE_EXPIRY = Date.UTC(2020, 0, 1) / 1000;

/** An absolute Unix time in seconds (the protocol's `*_expire_in`), as a number or a numeric string. */
const unixSeconds = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int().min(EARLIEST_PLAUSIBLE_EXPIRY, 'an absolute Unix time in seconds'))
  .transform((seconds) => new Date(seconds * 1000));

export const tokenDataSchema = z
  .object({
    access_token: z.string().min(1),
    access_token_expire_in: unixSeconds,
    refresh_token: z.string().min(1),
    refresh_token_expire_in: unixSeconds,
    open_id: z.string().min(1),
    seller_name: z.string().default(''),
    seller_base_region: z.string().default(''),
    // Documented as always present; a missing one is read as a seller rather than losing a single-use code.
    user_type: z.number().int().default(0),
    granted_scopes: z.array(z.string()).optional(),
    granted_permissions: z.array(z.string()).optional(),
  })
  .transform((data) => ({
    accessToken: data.access_token,
    accessTokenExpiresAt: data.access_token_expire_in,
    refreshToken: data.refresh_token,
    refreshTokenExpiresAt: data.refresh_token_expire_in,
    openId: data.open_id,
    sellerName: data.seller_name,
    sellerBaseRegion: data.seller_base_region,
    userType: data.user_type,
    grantedScopes: data.granted_scopes ?? data.granted_permissions ?? [],
  }));

export const shopsDataSchema = z
  .object({
    shops: z.array(
      z.object({
        id: z.union([z.string().min(1), z.number().int().transform(String)]),
        name: z.string(),
        region: z.string(),
        seller_type: z.string(),
        cipher: z.string().min(1),
        code: z.string(),
      }),
    ),
  })
  .transform((data) =>
    data.shops.map((shop) => ({
      id: shop.id,
      name: shop.name,
      region: shop.region,
      sellerType: shop.seller_type,
      cipher: shop.cipher,
      code: shop.code,
    })),
  );

/** The paths of the fields that failed, and never the values: they may be tokens. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
}
