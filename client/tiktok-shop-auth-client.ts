import type * as z from 'zod';
import {
  type AuthorizationLink,
  authorizationLinkSchema,
  type ClaimedInstallation,
  claimedInstallationSchema,
  type ExchangedAuthorization,
  errorBodySchema,
  exchangedAuthorizationSchema,
  type GrantStatus,
  type Market,
  type SellerRefresh,
  type SellerSummary,
  type SellersPage,
  type SellerView,
  type ShopCredentials,
  sellerRefreshSchema,
  sellersPageSchema,
  sellerViewSchema,
  shopCredentialsSchema,
} from './api-schemas';
import { ServiceUnreachableError, serviceError, TikTokShopAuthError, UnexpectedResponseError } from './errors';
import { parseRetryAfter, type RetryOptions, type RetryPolicy, retryDelayMs, retryPolicy } from './retry';
import { type AwsCredentials, type RequestSigner, regionOfApiUrl, sigV4Signer, unsigned } from './sigv4';

export interface TikTokShopAuthClientOptions {
  /**
   * The internal API: the stack's `InternalApiUrl` output (`https://abc123.execute-api.eu-west-1.amazonaws.com`),
   * or local mode's `http://127.0.0.1:3000`.
   */
  readonly baseUrl: string | URL;
  /**
   * How requests are authenticated: `'sigv4'` signs them for `execute-api` (the internal routes' IAM authorizer);
   * `'none'` sends them unsigned, for local mode; or a signer of your own.
   * @default 'sigv4'
   */
  readonly signing?: 'sigv4' | 'none' | RequestSigner;
  /**
   * The API's region, for SigV4.
   * @default the region of an `execute-api` base URL, else `AWS_REGION`, else `AWS_DEFAULT_REGION`
   */
  readonly region?: string;
  /**
   * Credentials for SigV4.
   * @default the AWS SDK's default chain (`fromNodeProviderChain`): environment, SSO, profile, container or instance role
   */
  readonly credentials?: AwsCredentials;
  /**
   * A shop's credentials are kept until this long before their `accessTokenExpiresAt`, then asked for again (the
   * service refreshes a token that close to its end before handing it out).
   * @default 300_000 (5 minutes)
   */
  readonly credentialsMarginMs?: number;
  /**
   * How long before a token's end the service refreshes it (its `REFRESH_AHEAD_HOURS`). A token is kept no later
   * than that: once the service has refreshed, TikTok may refuse the old one. Fetched later than that (the refresh
   * is failing), a token is kept 5 minutes at most. @default 172_800_000 (48 hours)
   */
  readonly serviceRefreshAheadMs?: number;
  /** Most shops whose credentials are kept; the longest kept go first. @default 10_000 */
  readonly maxCachedShops?: number;
  /** Each try's limit, answer included. @default 30_000 (API Gateway's own limit) */
  readonly timeoutMs?: number;
  /** Tries again on 503 and 429, and on network failures of idempotent requests (GET, DELETE). */
  readonly retry?: RetryOptions;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** The clock the credentials cache reads. @default the system clock */
  readonly now?: () => Date;
  /** How the client waits between tries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The jitter's source, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export interface AuthorizationLinkRequest {
  /** The app's account the seller will be bound to. */
  readonly accountId: string;
  /** A path of the app where the seller lands after authorizing, e.g. `/settings`. */
  readonly returnTo?: string;
  /** Binds the link to this seller (a renewal): another seller following it is refused. */
  readonly openId?: string;
  /** Which authorize page the link opens. @default the named seller's market, else the deployment's */
  readonly market?: Market;
}

export interface SellersQuery {
  readonly status?: GrantStatus;
}

export interface SellersPageQuery extends SellersQuery {
  /** From the previous page; absent for the first. */
  readonly cursor?: string;
  /** 1 to 100. @default 50 (the service's) */
  readonly limit?: number;
}

/** Refusals saying the shop or seller is gone, or must authorize again: what was kept is forgotten. */
const DROPS_CACHED_CREDENTIALS = new Set([404, 409, 410]);
/** A cached token is still handed out, when asking again fails for a passing reason, while it lasts this long. */
const STALE_USABLE_MS = 30_000;

interface CachedCredentials {
  readonly credentials: ShopCredentials;
  /** When to ask again: the margin before the token's end. */
  readonly keepUntil: number;
}

interface Call<S extends z.ZodType | undefined> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string | number | undefined>;
  readonly body?: unknown;
  readonly schema: S;
}

const encode = encodeURIComponent;

/** How long a token fetched after the service's refresh point is kept: a landed refresh is seen this soon. */
const PAST_REFRESH_KEEP_MS = 5 * 60_000;

/**
 * A client for tiktok-shop-auth's internal API, for the app's services: every internal route as a method, requests
 * signed with SigV4, answers validated, refusals as error classes (see `errors.ts`), tries again on 503 honouring
 * `retry-after`, and shop credentials kept until shortly before their token ends, one request in flight per shop.
 *
 * ```ts
 * const auth = new TikTokShopAuthClient({ baseUrl: process.env.TIKTOK_SHOP_AUTH_URL });
 * const { accessToken, shopCipher } = await auth.getShopCredentials(shopId);
 * ```
 *
 * Keep one client per process: its cache is what keeps the credential reads (and the service's KMS bill) down.
 */
export class TikTokShopAuthClient {
  readonly baseUrl: URL;
  private readonly signer: RequestSigner;
  private readonly fetch: typeof fetch;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly marginMs: number;
  private readonly refreshAheadMs: number;
  private readonly maxCachedShops: number;
  private readonly cached = new Map<string, CachedCredentials>();
  private readonly inFlight = new Map<string, Promise<ShopCredentials>>();
  /** Moves on at each invalidation: an answer to a request sent before it is handed out, not kept. */
  private generation = 0;

  constructor(options: TikTokShopAuthClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.signer = signerFor(options, this.baseUrl);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.retry = retryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.marginMs = options.credentialsMarginMs ?? 5 * 60_000;
    this.refreshAheadMs = options.serviceRefreshAheadMs ?? 48 * 60 * 60_000;
    this.maxCachedShops = options.maxCachedShops ?? 10_000;
  }

  /** `POST /authorization-links`: a one-hour, one-use link to TikTok's authorize page for an account. */
  createAuthorizationLink(request: AuthorizationLinkRequest): Promise<AuthorizationLink> {
    return this.call({
      method: 'POST',
      path: '/authorization-links',
      body: withoutUndefined(request),
      schema: authorizationLinkSchema,
    });
  }

  /** `POST /installations/claim`: binds an App Store install (its one-time ticket) to an account. */
  claimInstallation(request: { readonly ticket: string; readonly accountId: string }): Promise<ClaimedInstallation> {
    return this.call({
      method: 'POST',
      path: '/installations/claim',
      body: request,
      schema: claimedInstallationSchema,
    });
  }

  /** `POST /authorizations/exchange`: a development shop's auth code, exchanged by hand and bound to an account. */
  exchangeAuthorizationCode(request: {
    readonly code: string;
    readonly accountId: string;
  }): Promise<ExchangedAuthorization> {
    return this.call({
      method: 'POST',
      path: '/authorizations/exchange',
      body: request,
      schema: exchangedAuthorizationSchema,
    });
  }

  /** `GET /sellers`: one page of sellers; pass its `cursor` to get the next. */
  listSellersPage(query: SellersPageQuery = {}): Promise<SellersPage> {
    return this.call({ method: 'GET', path: '/sellers', query: { ...query }, schema: sellersPageSchema });
  }

  /** Every seller (of a status), page after page as the iteration goes on. */
  async *listSellers(query: SellersQuery & { readonly pageSize?: number } = {}): AsyncGenerator<SellerSummary> {
    let cursor: string | undefined;
    do {
      const page = await this.listSellersPage({ status: query.status, limit: query.pageSize ?? 100, cursor });
      yield* page.sellers;
      cursor = page.cursor;
    } while (cursor);
  }

  /** `GET /sellers/{openId}`: a seller and its shops (never a token). */
  getSeller(openId: string): Promise<SellerView> {
    return this.call({ method: 'GET', path: `/sellers/${encode(openId)}`, schema: sellerViewSchema });
  }

  /** `POST /sellers/{openId}/refresh`: refreshes a seller's tokens now, whatever their expiry. */
  refreshSeller(openId: string): Promise<SellerRefresh> {
    return this.call({ method: 'POST', path: `/sellers/${encode(openId)}/refresh`, schema: sellerRefreshSchema });
  }

  /** `DELETE /sellers/{openId}`: deletes the seller's tokens and revokes it; forgets its shops' credentials here. */
  async disconnectSeller(openId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/sellers/${encode(openId)}`, schema: undefined });
    // A request in flight for one of the seller's shops not kept yet may bring a token from before: not kept either.
    this.generation++;
    for (const [shopId, entry] of this.cached) {
      if (entry.credentials.openId === openId) this.invalidateShopCredentials(shopId);
    }
  }

  /**
   * `GET /shops/{shopId}/credentials`: an access token and the shop cipher, kept here until the service is due to
   * refresh it (`serviceRefreshAheadMs` before its end), and never past `credentialsMarginMs` before its end. Concurrent callers for one shop share one request. A 404, 409 or 410 forgets what was
   * kept; a passing failure (503, no answer) hands out the kept token while it still has 30 seconds left.
   */
  getShopCredentials(shopId: string): Promise<ShopCredentials> {
    const entry = this.cached.get(shopId);
    if (entry && this.now().getTime() < entry.keepUntil) return Promise.resolve(entry.credentials);
    const pending = this.inFlight.get(shopId);
    if (pending) return pending;
    const request = this.fetchShopCredentials(shopId, entry).finally(() => {
      if (this.inFlight.get(shopId) === request) this.inFlight.delete(shopId);
    });
    this.inFlight.set(shopId, request);
    return request;
  }

  /**
   * Forgets the credentials kept for a shop (or every shop): call it when TikTok refuses a token it handed out
   * (e.g. the seller was refreshed and TikTok retired the old token), then ask again.
   */
  invalidateShopCredentials(shopId?: string): void {
    this.generation++;
    if (shopId === undefined) {
      this.cached.clear();
      this.inFlight.clear();
    } else {
      this.cached.delete(shopId);
      this.inFlight.delete(shopId);
    }
  }

  private async fetchShopCredentials(shopId: string, stale: CachedCredentials | undefined): Promise<ShopCredentials> {
    const generation = this.generation;
    let credentials: ShopCredentials;
    try {
      credentials = await this.call({
        method: 'GET',
        path: `/shops/${encode(shopId)}/credentials`,
        schema: shopCredentialsSchema,
      });
    } catch (error) {
      if (error instanceof TikTokShopAuthError && DROPS_CACHED_CREDENTIALS.has(error.status)) {
        this.cached.delete(shopId);
      } else if (
        stale &&
        generation === this.generation &&
        isPassing(error) &&
        this.lastsAnother(stale.credentials, STALE_USABLE_MS)
      ) {
        return stale.credentials;
      }
      throw error;
    }
    Object.freeze(credentials);
    if (generation !== this.generation) return credentials;
    this.cached.delete(shopId);
    const keepUntil = this.keepUntil(credentials);
    if (keepUntil > this.now().getTime()) {
      this.cached.set(shopId, { credentials, keepUntil });
      const oldest = this.cached.keys().next();
      if (this.cached.size > this.maxCachedShops && !oldest.done) this.cached.delete(oldest.value);
    }
    return credentials;
  }

  /**
   * Until the service is due to refresh the token (after which TikTok may refuse it); for a token past that point,
   * a few minutes, so that a refresh that lands is seen soon; never past the margin before its end.
   */
  private keepUntil(credentials: ShopCredentials): number {
    const expiresAt = credentials.accessTokenExpiresAt.getTime();
    const now = this.now().getTime();
    const beforeRefresh = expiresAt - this.refreshAheadMs;
    return Math.min(beforeRefresh > now ? beforeRefresh : now + PAST_REFRESH_KEEP_MS, expiresAt - this.marginMs);
  }

  private lastsAnother(credentials: ShopCredentials, ms: number): boolean {
    return credentials.accessTokenExpiresAt.getTime() - this.now().getTime() > ms;
  }

  private async call<S extends z.ZodType>(call: Call<S>): Promise<z.output<S>>;
  private async call(call: Call<undefined>): Promise<undefined>;
  private async call<S extends z.ZodType | undefined>(
    call: Call<S>,
  ): Promise<S extends z.ZodType ? z.output<S> : undefined> {
    const url = this.urlOf(call);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const idempotent = call.method === 'GET' || call.method === 'DELETE';
    for (let attempt = 1; ; attempt++) {
      const headers = await this.signer({
        method: call.method,
        url,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body,
      });
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const response = await this.fetch(url, {
          method: call.method,
          headers,
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch (cause) {
        const delay = idempotent ? retryDelayMs(attempt, undefined, this.retry, this.random) : undefined;
        if (delay !== undefined) {
          await this.sleep(delay);
          continue;
        }
        throw new ServiceUnreachableError(describeFailure(cause, this.timeoutMs), url.toString(), { cause });
      }

      if (status >= 200 && status < 300) return this.parseAnswer(call.schema, status, text);
      const error = this.refusal(status, text, retryAfter);
      // A POST is tried again only when nothing was done (throttled, or refused before any work): any other 503
      // (API Gateway's, or the service's own TRY_AGAIN or TIKTOK_UNAVAILABLE) may come after a write or after TikTok
      // spent a code, and a claim or an exchange cannot be done twice.
      const retryable = status === 429 || (status === 503 && (idempotent || REFUSED_BEFORE_ANY_WORK.has(error.code)));
      const delay = retryable ? retryDelayMs(attempt, error.retryAfterSeconds, this.retry, this.random) : undefined;
      if (delay === undefined) throw error;
      await this.sleep(delay);
    }
  }

  private urlOf(call: Call<z.ZodType | undefined>): URL {
    const url = new URL(`${this.baseUrl.pathname.replace(/\/+$/, '')}${call.path}`, this.baseUrl);
    // Percent-encoded (never `+` for a space), so that the signed query reads the same to every parser.
    url.search = Object.entries(call.query ?? {})
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .map(([key, value]) => `${encode(key)}=${encode(String(value))}`)
      .join('&');
    return url;
  }

  private parseAnswer<S extends z.ZodType | undefined>(
    schema: S,
    status: number,
    text: string,
  ): S extends z.ZodType ? z.output<S> : undefined {
    type Answer = S extends z.ZodType ? z.output<S> : undefined;
    if (schema === undefined) return undefined as Answer;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // Not kept as the cause: JSON.parse's message quotes the body around the fault, which may be a token.
      throw new UnexpectedResponseError(`the service answered ${status} with a body that is not JSON`, status, []);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || 'body');
      throw new UnexpectedResponseError(
        `the service answered ${status} with an unexpected body (${fields.join(', ')})`,
        status,
        fields,
      );
    }
    return parsed.data as Answer;
  }

  private refusal(status: number, text: string, retryAfter: string | null): TikTokShopAuthError {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = errorBodySchema.safeParse(json);
    const retryAfterSeconds = parseRetryAfter(retryAfter, new Date());
    if (parsed.success) return serviceError({ status, ...parsed.data.error, retryAfterSeconds });
    // Not the service's own answer: API Gateway's (`{"message": "Forbidden"}`) or a proxy's.
    // Only a `message` field is quoted, never the body: a proxy's page could echo what was sent.
    const message = /"message"\s*:\s*"([^"]{1,200})"/.exec(text)?.[1] ?? `HTTP ${status}`;
    return serviceError({ status, code: `HTTP_${status}`, message, retryAfterSeconds });
  }
}

/** The service's 503 codes that refuse a request before doing anything: a POST may be tried again after them. */
const REFUSED_BEFORE_ANY_WORK = new Set(['REFRESH_IN_PROGRESS', 'REFRESH_PAUSED']);

function signerFor(options: TikTokShopAuthClientOptions, baseUrl: URL): RequestSigner {
  const signing = options.signing ?? 'sigv4';
  if (typeof signing === 'function') return signing;
  if (signing === 'none') return unsigned;
  const region = options.region ?? regionOfApiUrl(baseUrl) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(
      `TikTokShopAuthClient: no region to sign requests to ${baseUrl.host} for; pass { region } (or signing: 'none' for local mode)`,
    );
  }
  return sigV4Signer({ region, credentials: options.credentials });
}

/** A failure that may pass: the service asked to try again later, or did not answer. */
function isPassing(error: unknown): boolean {
  return error instanceof ServiceUnreachableError || (error instanceof TikTokShopAuthError && error.status >= 500);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as Partial<T>;
}

/** fetch's "fetch failed" says nothing; its cause says what (ECONNREFUSED, a timeout). */
function describeFailure(error: unknown, timeoutMs: number): string {
  // Read by shape: a timeout is a DOMException, of another realm than Error in some runtimes.
  const name = field(error, 'name');
  if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const message = field(error, 'message') ?? 'unknown failure';
  const cause = field(isObject(error) ? error.cause : undefined, 'message');
  return cause ? `${message}: ${cause}` : message;
}

const isObject = (value: unknown): value is { readonly [key: string]: unknown } =>
  typeof value === 'object' && value !== null;

function field(value: unknown, name: string): string | undefined {
  const inner = isObject(value) ? value[name] : undefined;
  return typeof inner === 'string' ? inner : undefined;
}
