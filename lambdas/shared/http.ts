import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import {
  AccessRevokedError,
  GrantNotFoundError,
  InstallationNotClaimableError,
  InvalidCursorError,
  LeaseHeldError,
  NoAuthorizedShopsError,
  OneTimeValueRejectedError,
  ReauthorizationRequiredError,
  RefreshPausedError,
  ShopNotFoundError,
  TikTokAppCredentialsError,
  TikTokReauthorizationRequiredError,
  TikTokRetryLaterError,
  TikTokSuspectRefusalError,
  TimeBudgetExhaustedError,
  UnsupportedUserTypeError,
} from '../domain/errors';
import type { Log } from './logger';

export type HttpResult = APIGatewayProxyStructuredResultV2;

// zod/mini loads no locale: without one, every issue's message is "Invalid input", and these messages reach 400
// answers and configuration errors (`describeInvalid`). Registered here, where every handler that reports them loads.
z.config(en());

/** Bodies of the internal JSON routes are small; anything larger is refused before parsing. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...SECURITY_HEADERS, ...headers },
  body: JSON.stringify(body),
});

export const empty = (statusCode: number): HttpResult => ({ statusCode, headers: SECURITY_HEADERS, body: '' });

/** The request is not what the route takes; `message` says what is wrong, never quoting a value. */
export class RequestValidationError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
    this.name = 'RequestValidationError';
  }
}

/** The raw bytes of a request body, decoded when the gateway says it is base64. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Parses a JSON body of bounded size against a schema. */
export function parseJsonBody<S extends z.ZodMiniType>(event: APIGatewayProxyEventV2, schema: S): z.output<S> {
  const bytes = rawBody(event);
  if (bytes.length > MAX_JSON_BODY_BYTES) {
    throw new RequestValidationError(`the body is larger than ${MAX_JSON_BODY_BYTES} bytes`, 413);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RequestValidationError('the body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequestValidationError(describeInvalid(parsed.error));
  return parsed.data;
}

/** Which fields are wrong and how, without quoting what was sent. */
export function describeInvalid(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

interface Mapped {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

/**
 * The one place domain errors become HTTP answers, with stable machine codes. Below 500 the message explains;
 * from 500 on it is generic, and nothing internal reaches the body.
 */
export function mapError(error: unknown): Mapped {
  if (error instanceof RequestValidationError) {
    return {
      status: error.status,
      code: error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_REQUEST',
      message: error.message,
    };
  }
  if (error instanceof OneTimeValueRejectedError && error.kind === 'ticket') {
    return error.reason === 'unknown'
      ? { status: 404, code: 'TICKET_UNKNOWN', message: 'the ticket is unknown' }
      : { status: 410, code: error.reason === 'used' ? 'TICKET_USED' : 'TICKET_EXPIRED', message: error.message };
  }
  if (error instanceof InstallationNotClaimableError) {
    return error.reason === 'seller-not-active'
      ? {
          status: 410,
          code: 'SELLER_NOT_ACTIVE',
          message: 'the seller was disconnected or must authorize again since this install; start a new authorization',
        }
      : {
          status: 410,
          code: 'TICKET_SUPERSEDED',
          message: 'the seller authorized again since this install; the newer authorization stands',
        };
  }
  if (error instanceof InvalidCursorError)
    return { status: 400, code: 'INVALID_REQUEST', message: 'cursor: not one this API handed out' };
  if (error instanceof GrantNotFoundError) return { status: 404, code: 'SELLER_NOT_FOUND', message: 'no such seller' };
  if (error instanceof ShopNotFoundError) return { status: 404, code: 'SHOP_NOT_FOUND', message: 'no such shop' };
  if (error instanceof ReauthorizationRequiredError) {
    return { status: 409, code: 'REAUTH_REQUIRED', message: 'the seller must authorize the app again' };
  }
  if (error instanceof AccessRevokedError) {
    return {
      status: 410,
      code: error.subject === 'shop' ? 'SHOP_REVOKED' : 'SELLER_REVOKED',
      message: `the ${error.subject} is no longer authorized`,
    };
  }
  if (error instanceof TikTokReauthorizationRequiredError) {
    return {
      status: 422,
      code: 'CODE_REFUSED',
      message: 'TikTok refused the authorization code (expired, used, or of another app)',
    };
  }
  if (error instanceof UnsupportedUserTypeError) {
    return { status: 422, code: 'NOT_A_SELLER', message: 'only seller accounts can be connected' };
  }
  if (error instanceof NoAuthorizedShopsError) {
    return { status: 422, code: 'NO_SHOPS', message: 'TikTok lists no shop for this seller: nothing was connected' };
  }
  if (error instanceof LeaseHeldError) {
    return {
      status: 503,
      code: 'REFRESH_IN_PROGRESS',
      message: 'a refresh is in progress; try again shortly',
      headers: { 'retry-after': '1' },
    };
  }
  if (error instanceof RefreshPausedError) {
    return {
      status: 503,
      code: 'REFRESH_PAUSED',
      message: 'refreshes are paused while TikTok refuses them; the operator is alerted',
      headers: { 'retry-after': String(Math.max(1, Math.ceil((error.until.getTime() - Date.now()) / 1000))) },
    };
  }
  if (error instanceof TimeBudgetExhaustedError) {
    return {
      status: 503,
      code: 'TRY_AGAIN',
      message: 'the request ran out of time; try again shortly',
      headers: { 'retry-after': '1' },
    };
  }
  if (
    error instanceof TikTokRetryLaterError ||
    error instanceof TikTokSuspectRefusalError ||
    error instanceof TikTokAppCredentialsError
  ) {
    return {
      status: 503,
      code: 'TIKTOK_UNAVAILABLE',
      message: 'TikTok is not answering; try again shortly',
      headers: { 'retry-after': '5' },
    };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}

export function errorResponse(error: unknown): HttpResult {
  const mapped = mapError(error);
  return json(mapped.status, { error: { code: mapped.code, message: mapped.message } }, mapped.headers);
}

/** middy: turns any error into the JSON error answer, logging server faults as errors. */
export function jsonErrors(log: Log): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    onError: async (request) => {
      const response = errorResponse(request.error);
      const details = { status: response.statusCode, error: request.error?.name, reason: request.error?.message };
      if ((response.statusCode ?? 500) >= 500) log.error('request failed', details);
      else log.info('request refused', details);
      request.response = response;
    },
  };
}
