import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * TikTok's two signatures, written again from the protocol (sections 6 and 7) for the sandbox alone. The sandbox
 * must not share the service's signing code: a mistake made there would then sign and verify the same way on both
 * sides, and every test would pass.
 */

/** Query parameters TikTok leaves out of the Open API signature. */
const UNSIGNED_QUERY_PARAMETERS: ReadonlySet<string> = new Set(['sign', 'access_token']);

/** The only form TikTok accepts for either signature: 64 lowercase hex digits (an uppercase `sign` is refused). */
const LOWERCASE_HEX_SHA256 = /^[0-9a-f]{64}$/;

export interface OpenApiRequest {
  /** The path alone: no host, no `?`, no trailing slash (`/authorization/202309/shops`). */
  readonly path: string;
  /** Every query parameter as sent, repeated keys included, in any order. */
  readonly query: Iterable<readonly [string, string]>;
  /** The body exactly as sent; an empty body counts as none. */
  readonly body?: string;
  /** The request's `content-type`: a multipart body is not signed. */
  readonly contentType?: string;
}

/**
 * The text TikTok signs: `app_secret + path + key1value1key2value2... + body + app_secret`, the keys in ordinal
 * byte order (not locale order: `Z` sorts before `a`), without `sign` and `access_token`.
 */
export function openApiStringToSign(request: OpenApiRequest, appSecret: string): string {
  const signed = [...request.query]
    .filter(([key]) => !UNSIGNED_QUERY_PARAMETERS.has(key))
    // A stable sort, so that a repeated key keeps the order it was sent in.
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
    .map(([key, value]) => `${key}${value}`)
    .join('');
  const multipart = request.contentType?.trim().toLowerCase().startsWith('multipart/form-data') ?? false;
  const body = request.body && !multipart ? request.body : '';
  return `${appSecret}${request.path}${signed}${body}${appSecret}`;
}

/** `sign` for an Open API request: lowercase hex HMAC-SHA256 of the string to sign, keyed by the app secret. */
export function signOpenApi(request: OpenApiRequest, appSecret: string): string {
  return createHmac('sha256', appSecret).update(openApiStringToSign(request, appSecret), 'utf8').digest('hex');
}

/** Whether `sign` is exactly the request's signature, in lowercase hex; compared in constant time. */
export function isOpenApiSignValid(sign: string, request: OpenApiRequest, appSecret: string): boolean {
  return LOWERCASE_HEX_SHA256.test(sign) && sameSecret(sign, signOpenApi(request, appSecret));
}

/** The `Authorization` header of a webhook: lowercase hex HMAC-SHA256(key = app_secret, app_key + raw body). */
export function signWebhook(appKey: string, appSecret: string, rawBody: Uint8Array): string {
  return createHmac('sha256', appSecret).update(Buffer.from(appKey, 'utf8')).update(rawBody).digest('hex');
}

/** Whether `header` signs exactly these bytes: bare lowercase hex only, compared in constant time. */
export function isWebhookSignatureValid(
  header: string | undefined,
  appKey: string,
  appSecret: string,
  rawBody: Uint8Array,
): boolean {
  return (
    header !== undefined &&
    LOWERCASE_HEX_SHA256.test(header) &&
    sameSecret(header, signWebhook(appKey, appSecret, rawBody))
  );
}

/**
 * Whether two secrets are equal, in a time that does not depend on where they first differ. Lengths are compared
 * first, as `timingSafeEqual` needs equal lengths: that leaks only the length, which every caller here tolerates.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const left = Buffer.from(presented, 'utf8');
  const right = Buffer.from(expected, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
