import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_FORMAT = /^[0-9a-f]{64}$/;

/** The `Authorization` header TikTok sends with a webhook: lowercase hex HMAC-SHA256(app_secret, app_key + body). */
export function webhookSignature(appKey: string, appSecret: string, rawBody: Uint8Array): string {
  return createHmac('sha256', appSecret).update(appKey).update(rawBody).digest('hex');
}

/**
 * Whether `header` is the signature of exactly these bytes. Only the bare lowercase hex form is accepted (no
 * `sha256=` prefix, no uppercase), and the comparison takes the same time wherever the first difference is.
 */
export function verifyWebhookSignature(
  header: string | undefined,
  appKey: string,
  appSecret: string,
  rawBody: Uint8Array,
): boolean {
  if (header === undefined || !SIGNATURE_FORMAT.test(header)) return false;
  const expected = Buffer.from(webhookSignature(appKey, appSecret, rawBody), 'utf8');
  return timingSafeEqual(Buffer.from(header, 'utf8'), expected);
}
