/**
 * Redaction of secrets from anything that is logged. A second line of defence: the code never hands a secret to
 * the logger on purpose, and this makes an accident harmless.
 */

export const REDACTED = '[redacted]';

const SECRET_KEYS = new Set(
  [
    'accesstoken',
    'refreshtoken',
    'appsecret',
    'secret',
    'authcode',
    'state',
    'ticket',
    'authorization',
    'xttsaccesstoken',
    'sign',
    'password',
    'plaintext',
    'secretstring',
    'cookie',
  ].map(normalize),
);

/** Query parameters whose values are secrets wherever a URL appears in a string. */
const SECRET_QUERY = /([?&](?:app_secret|access_token|refresh_token|auth_code|code|state|ticket|sign)=)[^&#\s"']*/gi;

function normalize(key: string): string {
  return key.toLowerCase().replace(/[^a-z]/g, '');
}

/** Whether a value under this key must never be logged. `code` counts when it is a string (an auth code). */
export function isSecretKey(key: string, value: unknown): boolean {
  const normalized = normalize(key);
  return SECRET_KEYS.has(normalized) || (normalized === 'code' && typeof value === 'string');
}

export function redactString(text: string): string {
  return text.replace(SECRET_QUERY, `$1${REDACTED}`);
}

/** A `JSON.stringify` replacer that redacts secret keys and secret query parameters inside strings. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSecretKey(key, value) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  return value;
}
