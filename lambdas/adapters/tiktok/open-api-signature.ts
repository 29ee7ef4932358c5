import { createHmac } from 'node:crypto';

/** Query parameters that never take part in the signature. */
const UNSIGNED_PARAMETERS = new Set(['sign', 'access_token']);

export interface SignableRequest {
  /** The request path, without host, query or trailing slash: `/authorization/202309/shops`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The body exactly as sent, when there is one. */
  readonly body?: string;
  readonly contentType?: string;
}

/**
 * The string TikTok signs (protocol section 6): the path, then every signed parameter as `keyvalue` in ordinal
 * byte order of the keys, then the body unless it is multipart, wrapped in the app secret.
 */
export function openApiStringToSign(request: SignableRequest, appSecret: string): string {
  const parameters = Object.keys(request.query)
    .filter((key) => !UNSIGNED_PARAMETERS.has(key))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((key) => `${key}${request.query[key]}`)
    .join('');
  const isMultipart = request.contentType?.toLowerCase().startsWith('multipart/form-data') ?? false;
  const body = request.body !== undefined && !isMultipart ? request.body : '';
  return `${appSecret}${request.path}${parameters}${body}${appSecret}`;
}

/** `sign` for an Open API request: lowercase hex HMAC-SHA256 keyed with the app secret. */
export function signOpenApiRequest(request: SignableRequest, appSecret: string): string {
  return createHmac('sha256', appSecret).update(openApiStringToSign(request, appSecret)).digest('hex');
}
