import type * as z from 'zod/mini';
import {
  TikTokAccessTokenRejectedError,
  TikTokAppCredentialsError,
  type TikTokError,
  TikTokMissingScopeError,
  TikTokReauthorizationRequiredError,
  TikTokRequestRejectedError,
  TikTokRetryLaterError,
  TikTokSuspectRefusalError,
} from '../../domain/errors';
import type { AppKeyAndSecret, AuthorizedShop, TokenSet } from '../../domain/model';
import type { AppCredentials, Clock, TikTokAuthApi, TimeBudget } from '../../ports';
import { type Log, silentLog } from '../../shared/logger';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryTools, withRetry } from '../../shared/retry';
import { TIKTOK_RESERVE_MS } from '../../shared/timings';
import { signOpenApiRequest } from './open-api-signature';
import { describeIssues, envelopeSchema, shopsDataSchema, tokenDataSchema } from './schemas';

export const DEFAULT_AUTH_BASE_URL = 'https://auth.tiktok-shops.com';
export const DEFAULT_API_BASE_URL = 'https://open-api.tiktokglobalshop.com';

/** Codes TikTok documents as transient: too many requests, internal error, timeout. */
const TRANSIENT_CODES = new Set([36009002, 36009003, 36009007]);
/**
 * Refusals known to be about the one seller (protocol section 3): the refresh token expired (36004001), no
 * authorization record (36004005); for an auth code, also an invalid code (36004004). Any other refusal is suspect.
 */
const SELLER_REFRESH_CODES: ReadonlySet<number> = new Set([36004001, 36004005]);
const SELLER_CODE_CODES: ReadonlySet<number> = new Set([36004001, 36004004, 36004005]);
const MISSING_SCOPE = 105005;
const ACCESS_TOKEN_CODES = new Set([105002, 101000]);
/** Invalid sign: the signature is made with our app secret, so the secret is wrong. */
const APP_CREDENTIAL_CODES = new Set([106001]);
/** Undocumented codes for a wrong key or secret on the token endpoints: read from the message instead. */
const APP_CREDENTIAL_MESSAGE = /app[ _]?(key|secret)/i;

export interface HttpTikTokAuthApiOptions {
  readonly credentials: AppCredentials;
  readonly authBaseUrl?: string;
  readonly apiBaseUrl?: string;
  /** Per attempt on the Open API, from sending the request to the last byte of the answer. @default 5000 */
  readonly timeoutMs?: number;
  /**
   * Per attempt on the token endpoints. Each call there spends something single-use (the code; the refresh token,
   * should TikTok rotate it): an answer given up on may carry the only copy of the seller's new tokens, so these
   * attempts wait longer. @default `timeoutMs` when set, else 15000
   */
  readonly tokenTimeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly retryTools?: Omit<RetryTools, 'onRetry' | 'hasTimeFor'>;
  /** The invocation's time left: attempts are cut to it, and none starts that cannot finish. @default unlimited */
  readonly budget?: Pick<TimeBudget, 'remainingMs'>;
  /** How much of the budget TikTok calls leave for storing what TikTok answered. @default 3000 */
  readonly reserveMs?: number;
  readonly clock?: Pick<Clock, 'now'>;
  readonly log?: Log;
  readonly fetch?: typeof fetch;
}

/** The token endpoints, with the codes that are about the seller; or the Open API. */
type Endpoint =
  | { readonly kind: 'token'; readonly sellerCodes: ReadonlySet<number>; readonly leaveMs: number }
  | { readonly kind: 'open-api' };

/** An attempt is not started with less time than this: it could not get an answer. */
const MIN_ATTEMPT_MS = 1000;

/** One failed attempt, classified; `retryable` says whether another attempt may help. */
class AttemptError extends Error {
  constructor(
    readonly error: TikTokError,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

/**
 * TikTok Shop's token endpoints and Get Authorized Shops over HTTPS (protocol sections 3 to 6). Each attempt has
 * a timeout; transient failures are retried with jittered backoff; a rejection of the app's key or secret makes
 * it read the credentials again once. URLs with their secrets in the query never reach a log or an error.
 */
export class HttpTikTokAuthApi implements TikTokAuthApi {
  private readonly authBaseUrl: string;
  private readonly apiBaseUrl: string;
  private readonly timeoutMs: number;
  private readonly tokenTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly log: Log;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpTikTokAuthApiOptions) {
    this.authBaseUrl = options.authBaseUrl ?? DEFAULT_AUTH_BASE_URL;
    this.apiBaseUrl = options.apiBaseUrl ?? DEFAULT_API_BASE_URL;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.tokenTimeoutMs = options.tokenTimeoutMs ?? options.timeoutMs ?? 15_000;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.log = options.log ?? silentLog;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Leaves, besides the reserve, time for one whole attempt at Get Authorized Shops, which always follows it. */
  exchangeAuthCode(authCode: string): Promise<TokenSet> {
    return this.callTokenEndpoint(
      '/api/v2/token/get',
      { auth_code: authCode, grant_type: 'authorized_code' },
      [authCode],
      SELLER_CODE_CODES,
      this.timeoutMs,
    );
  }

  refreshTokens(refreshToken: string): Promise<TokenSet> {
    return this.callTokenEndpoint(
      '/api/v2/token/refresh',
      { refresh_token: refreshToken, grant_type: 'refresh_token' },
      [refreshToken],
      SELLER_REFRESH_CODES,
    );
  }

  async getAuthorizedShops(accessToken: string): Promise<AuthorizedShop[]> {
    const path = '/authorization/202309/shops';
    const { shops, unusable } = await this.withCredentials((credentials) => {
      const url = endpointUrl(this.apiBaseUrl, path);
      const build = () => {
        const query = {
          app_key: credentials.appKey,
          timestamp: String(Math.floor(this.now().getTime() / 1000)),
        };
        const sign = signOpenApiRequest({ path, query }, credentials.appSecret);
        url.search = new URLSearchParams({ ...query, sign }).toString();
        return url;
      };
      return this.call({ kind: 'open-api' }, path, build, shopsDataSchema, [accessToken, credentials.appSecret], {
        'x-tts-access-token': accessToken,
        'content-type': 'application/json',
      });
    });
    // Not one usable shop among several listed: TikTok changed the answer's shape, which is not "no shop yet".
    if (shops.length === 0 && unusable > 0) {
      throw new TikTokRetryLaterError(
        `TikTok's data for ${path} lists ${unusable} shops, none with an id and a cipher`,
      );
    }
    if (unusable > 0) this.log.warn('TikTok listed shops without an id or a cipher; they are left out', { unusable });
    return shops;
  }

  private callTokenEndpoint(
    path: string,
    parameters: Record<string, string>,
    secrets: string[],
    sellerCodes: ReadonlySet<number>,
    leaveMs = 0,
  ): Promise<TokenSet> {
    return this.withCredentials((credentials) => {
      const build = () => {
        const url = endpointUrl(this.authBaseUrl, path);
        url.search = new URLSearchParams({
          app_key: credentials.appKey,
          app_secret: credentials.appSecret,
          ...parameters,
        }).toString();
        return url;
      };
      return this.call({ kind: 'token', sellerCodes, leaveMs }, path, build, tokenDataSchema, [
        ...secrets,
        credentials.appSecret,
      ]);
    });
  }

  /**
   * Runs `call` with the cached credentials, and once more with fresh ones when TikTok refuses them, or refuses in
   * a way that might be about them (a suspect refusal): a warm function may hold a secret the operator just fixed.
   */
  private async withCredentials<T>(call: (credentials: AppKeyAndSecret) => Promise<T>): Promise<T> {
    try {
      return await call(await this.options.credentials.get());
    } catch (error) {
      if (!(error instanceof TikTokAppCredentialsError || error instanceof TikTokSuspectRefusalError)) throw error;
      this.log.warn('TikTok refused a call in a way that may be about the app credentials; reading them again', {
        code: error.code,
      });
      return call(await this.options.credentials.reload());
    }
  }

  private async call<S extends z.ZodMiniType>(
    endpoint: Endpoint,
    path: string,
    buildUrl: () => URL,
    dataSchema: S,
    secrets: string[],
    headers: Record<string, string> = {},
  ): Promise<z.output<S>> {
    try {
      return await withRetry(
        () => this.attempt(endpoint, path, buildUrl(), dataSchema, secrets, headers),
        (error) => error instanceof AttemptError && error.retryable,
        this.retry,
        {
          ...this.options.retryTools,
          hasTimeFor: (delayMs) => this.timeLeft(endpoint) - delayMs >= MIN_ATTEMPT_MS,
          onRetry: (error, attempt, delayMs) =>
            this.log.warn('TikTok call failed; retrying', {
              path,
              attempt,
              delayMs,
              reason: error instanceof AttemptError ? error.error.message : 'unknown',
            }),
        },
      );
    } catch (error) {
      if (error instanceof AttemptError) throw error.error;
      throw error;
    }
  }

  private async attempt<S extends z.ZodMiniType>(
    endpoint: Endpoint,
    path: string,
    url: URL,
    dataSchema: S,
    secrets: string[],
    headers: Record<string, string>,
  ): Promise<z.output<S>> {
    const scrub = (text: string) => secrets.reduce((clean, secret) => clean.split(secret).join('[redacted]'), text);
    let status: number;
    let text: string;
    const left = this.timeLeft(endpoint);
    if (left < MIN_ATTEMPT_MS) {
      throw new AttemptError(
        new TikTokRetryLaterError(`no time left in this invocation to call TikTok's ${path}`),
        false,
      );
    }
    const timeoutMs = Math.floor(Math.min(endpoint.kind === 'token' ? this.tokenTimeoutMs : this.timeoutMs, left));
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.fetch(url, { method: 'GET', headers, signal });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      // The cause is kept by name only: a network error can quote the URL, and the URL carries secrets.
      const message = signal.aborted
        ? `TikTok did not answer ${path} within ${timeoutMs} ms`
        : `TikTok could not be reached for ${path}`;
      throw new AttemptError(new TikTokRetryLaterError(message, { cause: describeCause(cause) }), true);
    }

    if (status === 429 || status >= 500) {
      throw new AttemptError(new TikTokRetryLaterError(`TikTok answered ${path} with HTTP ${status}`), true);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AttemptError(
        new TikTokRetryLaterError(`TikTok answered ${path} with HTTP ${status} and a body that is not JSON`),
        false,
      );
    }
    const envelope = envelopeSchema.safeParse(json);
    if (!envelope.success) {
      throw new AttemptError(
        new TikTokRetryLaterError(
          `TikTok's answer to ${path} is not an API response (${describeIssues(envelope.error)})`,
        ),
        false,
      );
    }
    const { code, request_id: requestId } = envelope.data;
    if (code !== 0) {
      throw classifyRefusal(endpoint, path, code, scrub(envelope.data.message), requestId);
    }
    if (status !== 200) {
      throw new AttemptError(new TikTokRequestRejectedError(`TikTok answered ${path} with HTTP ${status}`), false);
    }
    const data = dataSchema.safeParse(envelope.data.data);
    if (!data.success) {
      throw new AttemptError(
        new TikTokRetryLaterError(`TikTok's data for ${path} is malformed at ${describeIssues(data.error)}`, {
          requestId,
        }),
        false,
      );
    }
    return data.data;
  }

  /** What a call may still spend: the budget, less what storing the answer needs and what the caller asks to keep. */
  private timeLeft(endpoint: Endpoint): number {
    const leave = (this.options.reserveMs ?? TIKTOK_RESERVE_MS) + (endpoint.kind === 'token' ? endpoint.leaveMs : 0);
    return (this.options.budget?.remainingMs() ?? Number.POSITIVE_INFINITY) - leave;
  }

  private now(): Date {
    return this.options.clock?.now() ?? new Date();
  }
}

/** The base URL may carry a path of its own (a proxy, the local sandbox): the endpoint's path goes after it. */
function endpointUrl(baseUrl: string, path: string): URL {
  return new URL(`${baseUrl.replace(/\/+$/, '')}${path}`);
}

function classifyRefusal(
  endpoint: Endpoint,
  path: string,
  code: number,
  message: string,
  requestId: string | undefined,
): AttemptError {
  const details = { code, requestId };
  const text = `TikTok refused ${path} (code ${code}: ${message})`;
  if (TRANSIENT_CODES.has(code)) return new AttemptError(new TikTokRetryLaterError(text, details), true);
  if (APP_CREDENTIAL_CODES.has(code) || (endpoint.kind === 'token' && APP_CREDENTIAL_MESSAGE.test(message))) {
    return new AttemptError(new TikTokAppCredentialsError(text, details), false);
  }
  if (endpoint.kind === 'token') {
    // Only a refusal known to be about this seller means they must authorize again. Anything else may be the app's
    // credentials worded in a way no document lists: believing it would send every seller through authorization.
    return endpoint.sellerCodes.has(code)
      ? new AttemptError(new TikTokReauthorizationRequiredError(text, details), false)
      : new AttemptError(new TikTokSuspectRefusalError(`${text} (not known to be about the seller)`, details), false);
  }
  if (code === MISSING_SCOPE) return new AttemptError(new TikTokMissingScopeError(text, details), false);
  if (ACCESS_TOKEN_CODES.has(code)) return new AttemptError(new TikTokAccessTokenRejectedError(text, details), false);
  return new AttemptError(new TikTokRequestRejectedError(text, details), false);
}

/** A cause reduced to its name and code: enough to diagnose, nothing that could quote a URL. */
function describeCause(cause: unknown): Error {
  const name = stringField(cause, 'name') ?? 'Error';
  const code = stringField(
    typeof cause === 'object' && cause !== null && 'cause' in cause ? cause.cause : undefined,
    'code',
  );
  const described = new Error(code ? `${name}: ${code}` : name);
  described.name = name;
  return described;
}

/** Reads a string field of a value of any realm (fetch's errors are not always this realm's `Error`). */
function stringField(value: unknown, field: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(field in value)) return undefined;
  const found: unknown = Reflect.get(value, field);
  return typeof found === 'string' ? found : undefined;
}
