import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import type { Clock } from '../../lambdas/ports';
import { escapeHtml, PAGE_STYLE } from '../../lambdas/shared/pages';
import { SANDBOX_SELLERS, type SandboxSeller, type SandboxShop, sellerLabel } from './sandbox-sellers';
import { isOpenApiSignValid, sameSecret } from './sandbox-signing';
import {
  type QueuedWebhookTry,
  SandboxWebhooks,
  type WebhookDelivery,
  type WebhookEnvelope,
  type WebhookQueued,
  type WebhookTry,
} from './sandbox-webhooks';

export type { QueuedWebhookTry, WebhookDelivery, WebhookQueued, WebhookTry } from './sandbox-webhooks';

export type SandboxEndpoint = 'token/get' | 'token/refresh' | 'shops';

/** A misbehaviour to play on the next calls of an endpoint. */
export interface SandboxFault {
  /** Answer with this HTTP status (and no API body). */
  readonly status?: number;
  /** Answer HTTP 200 with this error code, as TikTok does. */
  readonly code?: number;
  readonly message?: string;
  /** Wait this long first; alone, the answer is then the normal one. */
  readonly delayMs?: number;
  /** Drop the connection without answering. */
  readonly hangUp?: boolean;
}

export const faultSchema = z
  .object({
    endpoint: z.enum(['token/get', 'token/refresh', 'shops']),
    times: z.number().int().min(1).max(100).default(1),
    fault: z
      .object({
        status: z.number().int().min(100).max(599).optional(),
        code: z.number().int().optional(),
        message: z.string().max(200).optional(),
        delayMs: z.number().int().min(0).max(60_000).optional(),
        hangUp: z.boolean().optional(),
      })
      .strict(),
  })
  .strict();

const DAY = 86_400_000;

export const webhookRequestSchema = z
  .object({
    type: z.number().int().nonnegative(),
    shopId: z.string().min(1).max(64).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    notificationId: z.string().min(1).max(64).optional(),
    timestamp: z.number().int().nonnegative().optional(),
    /** Late: the first try only this long after the webhook was made. */
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY)
      .optional(),
    /** Duplicated: this many more identical deliveries. */
    duplicates: z.number().int().min(0).max(10).optional(),
    /** The gap before each duplicate's first try (right after the original when absent). */
    duplicateAfterMs: z
      .number()
      .int()
      .min(0)
      .max(30 * DAY)
      .optional(),
  })
  .strict();
export type WebhookRequest = z.infer<typeof webhookRequestSchema>;
/** A webhook whose first try happens at once: `sendWebhook` then answers with that try. */
export type ImmediateWebhookRequest = Omit<WebhookRequest, 'delayMs'> & { readonly delayMs?: 0 };

/** Which TikTok host the authorize page stands in for. */
export type SandboxMarket = 'rest-of-world' | 'us';

const MARKETS: Record<SandboxMarket, { readonly name: string; readonly host: string }> = {
  'rest-of-world': { name: 'rest of world', host: 'services.tiktokshop.com' },
  us: { name: 'US', host: 'services.us.tiktokshop.com' },
};

/** How TikTok words a denial: `error` in either spelling, the code the literal `null` or missing. */
export interface SandboxDenial {
  readonly error?: 'access_denied' | 'auth_denied';
  readonly code?: 'null' | 'missing';
}

/** What the authorize page's Cancel sends, in turn. */
const PAGE_DENIALS: readonly SandboxDenial[] = [
  { error: 'access_denied', code: 'null' },
  { error: 'auth_denied', code: 'missing' },
];

export interface SandboxOptions {
  readonly appKey: string;
  readonly appSecret: string;
  readonly serviceId: string;
  /** The app's Redirect URL, as set in Partner Center. */
  readonly redirectUrl: string;
  /** The app's webhook URL, as set in Partner Center. */
  readonly webhookUrl: string;
  readonly clock: Clock;
  /**
   * Whether a refresh hands out a new refresh token and retires the old one with the access tokens issued before
   * it. TikTok's behaviour is not documented: the stricter reading is the default; `false` keeps every token alive.
   * @default true
   */
  readonly rotateRefreshTokens?: boolean;
  /** Whether a new code exchange for a seller retires every token of their previous authorization. @default true */
  readonly retireOnReauthorization?: boolean;
  /** How long TikTok waits for the webhook endpoint's answer before counting a try as failed. @default 3000 */
  readonly webhookTimeoutMs?: number;
}

/** One seller's approval of the app, from a code exchange until it ends. */
interface Authorization {
  readonly openId: string;
  /** When the code was exchanged: no expiry notice is older. */
  readonly authorizedAt: Date;
  /** The refresh token's expiry: the end of the authorization, which a refresh does not move. */
  readonly expiresAt: Date;
  /** The seller's shops when they authorized: the shops the expiry reminders and deauthorization name. */
  readonly shops: readonly SandboxShop[];
  /** Retired by a new authorization, or by the seller deauthorizing: every token of it is refused. */
  ended: boolean;
  /** The access tokens issued since the last rotating refresh: the next one retires them. */
  liveAccessTokens: string[];
}

interface IssuedToken {
  readonly authorization: Authorization;
  readonly expiresAt: Date;
  retired: boolean;
}

interface IssuedCode {
  readonly openId: string;
  readonly expiresAt: Date;
  used: boolean;
}

type ApiAnswer = { readonly code: number; readonly message: string; readonly data?: unknown };

const MINUTE = 60_000;
const AUTH_CODE_TTL_MS = 30 * MINUTE;
const ACCESS_TOKEN_TTL_MS = 7 * DAY;
/** TikTok accepts a timestamp from 5 minutes before now to 30 seconds after. */
const TIMESTAMP_WINDOW = { beforeS: 300, afterS: 30 };
/** TikTok's type 7 starts this long before the authorization ends. */
const EXPIRY_NOTICE_MS = 30 * DAY;
const SHOPS_PATH = '/authorization/202309/shops';

const INVALID_AUTH_CODE: ApiAnswer = { code: 36004004, message: 'invalid auth code' };
const NO_AUTH_RECORD: ApiAnswer = { code: 36004005, message: 'can not find related auth record' };
const INVALID_ACCESS_TOKEN: ApiAnswer = { code: 101000, message: 'invalid access token' };

const newToken = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const unixSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * TikTok Shop as the service meets it, on loopback, and stricter than the service needs: the seller authorize page
 * (both markets' hosts), `/api/v2/token/get`, `/api/v2/token/refresh` and Get Authorized Shops, with TikTok's quirks
 * (HTTP 200 errors, absolute expiries, single-use codes, rotating refresh tokens, signed requests with a timestamp
 * window), webhooks on TikTok's retry schedule and its daily expiry notices, and faults to inject. It signs and
 * checks signatures with its own code, so the service's mistakes there cannot cancel out.
 */
export class TikTokSandbox {
  private readonly sellers = new Map<string, SandboxSeller>(SANDBOX_SELLERS.map((seller) => [seller.openId, seller]));
  private readonly codes = new Map<string, IssuedCode>();
  // Tokens are never deleted, only retired: `issuedSecrets` must list every one ever handed out.
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedToken>();
  /** Each seller's authorizations, oldest first; the last one not ended is the current one. */
  private readonly authorizations = new Map<string, Authorization[]>();
  private readonly faults: Array<{ endpoint: SandboxEndpoint; fault: SandboxFault }> = [];
  private latencyMs = 0;
  private readonly outages = new Map<SandboxEndpoint, SandboxFault>();
  private appSecret: string;
  private readonly webhooks: SandboxWebhooks;
  /** How many times the authorize page's Cancel was pressed: its denials alternate between TikTok's two forms. */
  private pageDenials = 0;
  /** Until when the daily expiry notices have been sent. */
  private expiryNoticesCheckedAt: Date;
  private notificationCounter = 0;
  /** How many calls each endpoint has answered (faults included). */
  readonly calls: Record<SandboxEndpoint, number> = { 'token/get': 0, 'token/refresh': 0, shops: 0 };

  constructor(private readonly options: SandboxOptions) {
    this.appSecret = options.appSecret;
    this.expiryNoticesCheckedAt = options.clock.now();
    this.webhooks = new SandboxWebhooks({
      url: options.webhookUrl,
      appKey: options.appKey,
      appSecret: () => this.appSecret,
      clock: options.clock,
      timeoutMs: options.webhookTimeoutMs ?? 3000,
    });
  }

  /** Every webhook try made so far, in order: what TikTok's delivery log would show. */
  get deliveries(): readonly WebhookDelivery[] {
    return this.webhooks.deliveries;
  }

  /** The webhook tries still to come, soonest first. */
  pendingDeliveries(): QueuedWebhookTry[] {
    return this.webhooks.queued();
  }

  /** A new app secret, as when someone rotates it in Partner Center: the app's copy is wrong until it follows. */
  rotateAppSecret(secret: string): void {
    this.appSecret = secret;
  }

  listSellers(): readonly SandboxSeller[] {
    return [...this.sellers.values()];
  }

  addSeller(seller: SandboxSeller): void {
    this.sellers.set(seller.openId, seller);
  }

  /** Changes a seller's shops, as when they open or close one in Seller Center. */
  setShops(openId: string, shops: SandboxSeller['shops']): void {
    this.sellers.set(openId, { ...this.seller(openId), shops });
  }

  /**
   * Every code and token the sandbox has issued, retired ones included: what must never show up in a log, an event
   * or a table export.
   */
  issuedSecrets(): string[] {
    return [...this.codes.keys(), ...this.accessTokens.keys(), ...this.refreshTokens.keys()];
  }

  /** Makes every API call take at least this long, like a TikTok far away. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  injectFault(endpoint: SandboxEndpoint, fault: SandboxFault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ endpoint, fault });
  }

  /** Every call of the endpoint answers with `fault` until `endOutage`, after the faults injected one by one. */
  startOutage(endpoint: SandboxEndpoint, fault: SandboxFault): void {
    this.outages.set(endpoint, fault);
  }

  endOutage(endpoint: SandboxEndpoint): void {
    this.outages.delete(endpoint);
  }

  /** The seller approves on the authorize page: where TikTok sends their browser next. */
  approve(openId: string, state?: string): string {
    this.seller(openId);
    const code = newToken('TTP_');
    this.codes.set(code, { openId, expiresAt: this.later(AUTH_CODE_TTL_MS), used: false });
    return this.redirect([
      ['code', code],
      ['state', state],
    ]);
  }

  /**
   * The seller denies: TikTok still redirects, with `error` in one of its two spellings, and the code the literal
   * `null` or missing altogether.
   */
  deny(state?: string, options: SandboxDenial = {}): string {
    return this.redirect([
      ['error', options.error ?? 'access_denied'],
      ['code', options.code === 'missing' ? undefined : 'null'],
      ['state', state],
    ]);
  }

  /**
   * The seller cancels the app in Seller Center: TikTok sends type 6 for each shop of their authorization, and
   * refuses every token of theirs from then on. Resolves with each shop's first try.
   */
  async deauthorize(openId: string): Promise<WebhookTry[]> {
    const current = this.currentAuthorization(openId);
    if (!current) throw new Error(`sandbox seller ${openId} has no authorization to cancel`);
    for (const authorization of this.authorizations.get(openId) ?? []) authorization.ended = true;
    const tries: WebhookTry[] = [];
    for (const shop of current.shops) tries.push(await this.sendWebhook({ type: 6, shopId: shop.id }));
    return tries;
  }

  /**
   * Sends a webhook as TikTok does: the envelope (with no `shop_id` when there is no shop), signed with
   * HMAC-SHA256(app_secret, app_key + body) in the `Authorization` header, tried again on TikTok's schedule after a
   * failure. Types 6 and 7 get TikTok's sample data unless `data` is given. A webhook sent at once resolves with its
   * first try; a late one (`delayMs`) with when that try will be.
   */
  sendWebhook(request: ImmediateWebhookRequest): Promise<WebhookTry>;
  sendWebhook(request: WebhookRequest): Promise<WebhookTry | WebhookQueued>;
  sendWebhook(request: WebhookRequest): Promise<WebhookTry | WebhookQueued> {
    const now = this.options.clock.now();
    const envelope: WebhookEnvelope = {
      type: request.type,
      notificationId: request.notificationId ?? this.newNotificationId(now),
      ...(request.shopId === undefined ? {} : { shopId: request.shopId }),
      timestamp: request.timestamp ?? unixSeconds(now),
      data: request.data ?? this.sampleData(request.type, request.shopId, now),
    };
    return this.webhooks.send(envelope, {
      delayMs: request.delayMs,
      duplicates: request.duplicates,
      duplicateAfterMs: request.duplicateAfterMs,
    });
  }

  /**
   * Makes every webhook try whose time has come on the sandbox's clock: first queues the daily expiry notices
   * (type 7) of every midnight UTC passed since the last call, then tries, oldest first, everything due, retries
   * included. Resolves with the tries made.
   */
  deliverDue(): Promise<WebhookDelivery[]> {
    this.queueExpiryNotices(this.options.clock.now());
    return this.webhooks.deliverDue();
  }

  /** Answers a request whose path is relative to where the sandbox is mounted. */
  async handle(request: IncomingMessage, response: ServerResponse, path: string, body: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const query = url.searchParams;
    const route = `${request.method} ${path}`;
    switch (route) {
      case 'GET /open/authorize':
        return this.sendHtml(response, 200, this.authorizePage(query, 'rest-of-world'));
      case 'GET /us/open/authorize':
        return this.sendHtml(response, 200, this.authorizePage(query, 'us'));
      case 'POST /open/authorize':
      case 'POST /us/open/authorize':
        return this.decide(response, new URLSearchParams(body.toString('utf8')));
      case 'GET /api/v2/token/get':
        return this.answerApi('token/get', response, () => this.exchange(query));
      case 'GET /api/v2/token/refresh':
        return this.answerApi('token/refresh', response, () => this.refresh(query));
      case `GET ${SHOPS_PATH}`:
        return this.answerApi('shops', response, () => this.shops(request, query, body));
      case 'POST /_webhooks': {
        const parsed = webhookRequestSchema.safeParse(safeJson(body));
        if (!parsed.success) {
          return this.sendJson(response, 400, {
            error:
              'expected {type, shopId?, data?, notificationId?, timestamp?, delayMs?, duplicates?, duplicateAfterMs?}',
          });
        }
        const sent = await this.sendWebhook(parsed.data);
        return this.sendJson(
          response,
          200,
          'status' in sent
            ? { delivered: sent.status }
            : { delivered: null, notificationId: sent.notificationId, firstTryAt: sent.firstTryAt.toISOString() },
        );
      }
      case 'POST /_faults': {
        const parsed = faultSchema.safeParse(safeJson(body));
        if (!parsed.success) return this.sendJson(response, 400, { error: 'expected {endpoint, fault, times?}' });
        this.injectFault(parsed.data.endpoint, parsed.data.fault, parsed.data.times);
        return this.sendJson(response, 201, { queued: parsed.data.times });
      }
      default:
        return this.sendJson(response, 404, { code: 404, message: `the sandbox has no ${route}` });
    }
  }

  private async answerApi(endpoint: SandboxEndpoint, response: ServerResponse, answer: () => ApiAnswer): Promise<void> {
    this.calls[endpoint]++;
    const index = this.faults.findIndex((queued) => queued.endpoint === endpoint);
    const fault = index >= 0 ? this.faults.splice(index, 1)[0]?.fault : this.outages.get(endpoint);
    const delay = (fault?.delayMs ?? 0) + this.latencyMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (fault?.hangUp) {
      response.socket?.destroy();
      return;
    }
    if (fault?.status) return this.sendJson(response, fault.status, { message: 'sandbox fault' });
    if (fault?.code !== undefined) {
      return this.sendJson(response, 200, {
        code: fault.code,
        message: fault.message ?? 'sandbox fault',
        request_id: this.requestId(),
      });
    }
    // A slow answer is still computed when the caller has given up, as TikTok does: a refresh it has rotated stays
    // rotated, whether or not the answer reached the app.
    this.sendJson(response, 200, { request_id: this.requestId(), ...answer() });
  }

  private exchange(query: URLSearchParams): ApiAnswer {
    const refusal = this.checkApp(query) ?? this.expect(query, 'grant_type', 'authorized_code');
    if (refusal) return refusal;
    const code = this.codes.get(query.get('auth_code') ?? '');
    if (!code || code.used || code.expiresAt <= this.options.clock.now()) return INVALID_AUTH_CODE;
    code.used = true;
    const seller = this.sellers.get(code.openId);
    if (!seller) return NO_AUTH_RECORD;
    const previous = this.authorizations.get(seller.openId) ?? [];
    if (this.options.retireOnReauthorization ?? true) {
      for (const authorization of previous) authorization.ended = true;
    }
    const authorization: Authorization = {
      openId: seller.openId,
      authorizedAt: this.options.clock.now(),
      expiresAt: this.later(seller.authorizationDays * DAY),
      shops: seller.shops,
      ended: false,
      liveAccessTokens: [],
    };
    this.authorizations.set(seller.openId, [...previous, authorization]);
    const refreshToken = newToken('ROW_');
    this.refreshTokens.set(refreshToken, { authorization, expiresAt: authorization.expiresAt, retired: false });
    return this.tokenAnswer(seller, authorization, refreshToken);
  }

  private refresh(query: URLSearchParams): ApiAnswer {
    const refusal = this.checkApp(query) ?? this.expect(query, 'grant_type', 'refresh_token');
    if (refusal) return refusal;
    const presented = query.get('refresh_token') ?? '';
    const issued = this.refreshTokens.get(presented);
    if (!issued || issued.retired || issued.authorization.ended) return NO_AUTH_RECORD;
    if (issued.expiresAt <= this.options.clock.now()) return { code: 36004001, message: 'rt has expired' };
    const seller = this.sellers.get(issued.authorization.openId);
    if (!seller) return NO_AUTH_RECORD;
    if (!(this.options.rotateRefreshTokens ?? true)) return this.tokenAnswer(seller, issued.authorization, presented);
    // Rotation: the old refresh token and every access token issued before this refresh stop working now.
    issued.retired = true;
    for (const token of issued.authorization.liveAccessTokens) {
      const access = this.accessTokens.get(token);
      if (access) access.retired = true;
    }
    issued.authorization.liveAccessTokens = [];
    const refreshToken = newToken('ROW_');
    this.refreshTokens.set(refreshToken, { ...issued, retired: false });
    return this.tokenAnswer(seller, issued.authorization, refreshToken);
  }

  private tokenAnswer(seller: SandboxSeller, authorization: Authorization, refreshToken: string): ApiAnswer {
    const accessToken = newToken('ROW_');
    const accessExpiresAt = this.later(ACCESS_TOKEN_TTL_MS);
    this.accessTokens.set(accessToken, { authorization, expiresAt: accessExpiresAt, retired: false });
    authorization.liveAccessTokens.push(accessToken);
    return {
      code: 0,
      message: 'success',
      data: {
        access_token: accessToken,
        // Absolute Unix seconds, as TikTok sends them.
        access_token_expire_in: unixSeconds(accessExpiresAt),
        refresh_token: refreshToken,
        refresh_token_expire_in: unixSeconds(authorization.expiresAt),
        open_id: seller.openId,
        seller_name: seller.sellerName,
        ...(seller.baseRegion === undefined ? {} : { seller_base_region: seller.baseRegion }),
        user_type: seller.userType,
        [seller.scopesField ?? 'granted_scopes']: seller.scopes,
      },
    };
  }

  private shops(request: IncomingMessage, query: URLSearchParams, body: Buffer): ApiAnswer {
    if (query.get('app_key') !== this.options.appKey) return { code: 36009004, message: 'invalid app_key' };
    if (query.has('shop_cipher')) return { code: 36009004, message: 'shop_cipher is not expected for this api' };
    const timestamp = query.get('timestamp') ?? '';
    const nowS = unixSeconds(this.options.clock.now());
    if (
      !/^\d{1,12}$/.test(timestamp) ||
      Number(timestamp) < nowS - TIMESTAMP_WINDOW.beforeS ||
      Number(timestamp) > nowS + TIMESTAMP_WINDOW.afterS
    ) {
      return { code: 36009004, message: 'timestamp is invalid' };
    }
    const sign = query.get('sign');
    if (sign === null || sign === '') return { code: 36009004, message: 'sign is missing' };
    const signedRequest = {
      path: SHOPS_PATH,
      query: [...query],
      body: body.toString('utf8'),
      contentType: request.headers['content-type'],
    };
    if (!isOpenApiSignValid(sign, signedRequest, this.appSecret)) return { code: 106001, message: 'invalid sign' };
    const header = request.headers['x-tts-access-token'];
    const token = typeof header === 'string' ? this.accessTokens.get(header) : undefined;
    if (!token || token.retired || token.authorization.ended) return INVALID_ACCESS_TOKEN;
    if (token.expiresAt <= this.options.clock.now()) return { code: 105002, message: 'access token expired' };
    const seller = this.sellers.get(token.authorization.openId);
    return {
      code: 0,
      message: 'success',
      data: {
        shops: (seller?.shops ?? []).map((shop) => ({
          id: shop.id,
          name: shop.name,
          region: shop.region,
          ...(shop.sellerType === undefined ? {} : { seller_type: shop.sellerType }),
          cipher: shop.cipher,
          ...(shop.code === undefined ? {} : { code: shop.code }),
        })),
      },
    };
  }

  /**
   * Type 7, as TikTok sends it: for each shop of each current authorization, at every midnight UTC from 30 days
   * before the authorization ends until it ends. Catches up on every midnight since the last check, each notice
   * made (and due) at its own midnight.
   */
  private queueExpiryNotices(now: Date): void {
    const from = this.expiryNoticesCheckedAt;
    this.expiryNoticesCheckedAt = now;
    for (let midnight = nextMidnightUtc(from); midnight <= now.getTime(); midnight += DAY) {
      for (const authorization of this.currentAuthorizations()) {
        const left = authorization.expiresAt.getTime() - midnight;
        if (left <= 0 || left > EXPIRY_NOTICE_MS || midnight < authorization.authorizedAt.getTime()) continue;
        const madeAt = new Date(midnight);
        for (const shop of authorization.shops) {
          this.webhooks.enqueue(
            {
              type: 7,
              notificationId: this.newNotificationId(madeAt),
              shopId: shop.id,
              timestamp: unixSeconds(madeAt),
              data: expiryNoticeData(shop.id, Math.ceil(left / DAY), authorization.expiresAt),
            },
            madeAt,
          );
        }
      }
    }
  }

  private currentAuthorizations(): Authorization[] {
    return [...this.authorizations.keys()].flatMap((openId) => this.currentAuthorization(openId) ?? []);
  }

  private currentAuthorization(openId: string): Authorization | undefined {
    return (this.authorizations.get(openId) ?? []).findLast((authorization) => !authorization.ended);
  }

  /** TikTok's sample data for types 6 and 7, with a real expiry when the shop has a current authorization. */
  private sampleData(type: number, shopId: string | undefined, now: Date): Record<string, unknown> {
    const shop = shopId ?? '';
    if (type === 6) return { message: `Shop_id ${shop} is deauthorized from your APP by merchant.` };
    if (type !== 7) return {};
    const authorization = this.currentAuthorizations().find((current) =>
      current.shops.some((candidate) => candidate.id === shopId),
    );
    const expiresAt = authorization?.expiresAt ?? new Date(now.getTime() + 20 * DAY);
    return expiryNoticeData(shop, Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY)), expiresAt);
  }

  private checkApp(query: URLSearchParams): ApiAnswer | undefined {
    const keyMatches = query.get('app_key') === this.options.appKey;
    const secretMatches = sameSecret(query.get('app_secret') ?? '', this.appSecret);
    return keyMatches && secretMatches ? undefined : { code: 36004002, message: 'app_key or app_secret is invalid' };
  }

  private expect(query: URLSearchParams, name: string, value: string): ApiAnswer | undefined {
    return query.get(name) === value ? undefined : { code: 36004003, message: `${name} is invalid` };
  }

  private decide(response: ServerResponse, form: URLSearchParams): void {
    const state = form.get('state') || undefined;
    const openId = form.get('seller') ?? '';
    if (form.get('decision') !== 'approve') {
      // Both of TikTok's denial forms, in turn, so that the callback meets each of them.
      const denial = PAGE_DENIALS[this.pageDenials++ % PAGE_DENIALS.length];
      this.sendRedirect(response, this.deny(state, denial));
    } else if (!this.sellers.has(openId)) {
      this.sendHtml(response, 400, this.page('Choose a seller', '<p>Pick one of the sandbox sellers.</p>'));
    } else {
      this.sendRedirect(response, this.approve(openId, state));
    }
  }

  private authorizePage(query: URLSearchParams, market: SandboxMarket): string {
    const { name, host } = MARKETS[market];
    const marketNote = `<p class="market" data-market="${market}">Market: ${escapeHtml(name)} · stands in for <code>${escapeHtml(host)}</code></p>`;
    if (query.get('service_id') !== this.options.serviceId) {
      return this.page(
        'Unknown app',
        `${marketNote}<p>No app has the service id <code>${escapeHtml(query.get('service_id') ?? '')}</code>.</p>`,
      );
    }
    const state = query.get('state')?.trim() ?? '';
    const choices = this.listSellers()
      .map(
        (
          seller,
          index,
        ) => `<label class="seller"><input type="radio" name="seller" value="${escapeHtml(seller.openId)}"${index === 0 ? ' checked' : ''}>
        <span><strong>${escapeHtml(sellerLabel(seller))}</strong> · ${seller.userType === 0 ? 'seller' : 'creator'} · ${seller.shops.length} shop${seller.shops.length === 1 ? '' : 's'}
        ${seller.shops.length ? `(${seller.shops.map((shop) => escapeHtml(shop.region)).join(', ')})` : ''}</span></label>`,
      )
      .join('');
    return this.page(
      'Authorize app',
      `${marketNote}<p>The app asks to access your TikTok Shop. Choose the sandbox seller who authorizes it.</p>
      <form method="post" action="authorize">
        <input type="hidden" name="state" value="${escapeHtml(state)}">
        ${choices}
        <p class="actions"><button type="submit" name="decision" value="approve">Authorize</button>
        <button type="submit" name="decision" value="deny" class="secondary">Cancel</button></p>
      </form>`,
    );
  }

  private page(title: string, content: string): string {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · TikTok Shop sandbox</title>
<style>${PAGE_STYLE}
  .banner { background: #111; color: #fff; padding: .5rem 1rem; font-size: .85rem; }
  label.seller { display: flex; gap: .6rem; align-items: baseline; padding: .55rem .2rem; border-bottom: 1px solid #eee; }
  .actions { margin-top: 1.25rem; display: flex; gap: .75rem; }
  button.secondary { background: #e5e7eb; color: #1d2129; }</style></head>
<body><div class="banner">TikTok Shop sandbox · local stand-in for TikTok</div><main><h1>${escapeHtml(title)}</h1>${content}</main></body></html>`;
  }

  private redirect(parameters: ReadonlyArray<readonly [string, string | undefined]>): string {
    const url = new URL(this.options.redirectUrl);
    for (const [name, value] of parameters) if (value) url.searchParams.set(name, value);
    return url.toString();
  }

  private seller(openId: string): SandboxSeller {
    const seller = this.sellers.get(openId);
    if (!seller) throw new Error(`no sandbox seller ${openId}`);
    return seller;
  }

  /** A 19-digit id like TikTok's, unique within this sandbox. */
  private newNotificationId(at: Date): string {
    this.notificationCounter = (this.notificationCounter + 1) % 1_000_000;
    return String(BigInt(Math.max(at.getTime(), 1e12)) * 1_000_000n + BigInt(this.notificationCounter));
  }

  private later(ms: number): Date {
    return new Date(this.options.clock.now().getTime() + ms);
  }

  private requestId(): string {
    return `sbx${randomBytes(8).toString('hex')}`;
  }

  private sendJson(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private sendHtml(response: ServerResponse, status: number, html: string): void {
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  }

  private sendRedirect(response: ServerResponse, location: string): void {
    response.writeHead(302, { location });
    response.end();
  }
}

/** Type 7's data, in TikTok's sample shape: the expiry as a string of Unix seconds. */
function expiryNoticeData(shopId: string, daysLeft: number, expiresAt: Date): Record<string, unknown> {
  return {
    message: `Authorization of shop_id ${shopId} is expiring in ${daysLeft} days. Please direct the merchant to re-authorize.`,
    expiration_time: String(unixSeconds(expiresAt)),
  };
}

/** The first 0:00 UTC strictly after `at`. */
function nextMidnightUtc(at: Date): number {
  return (Math.floor(at.getTime() / DAY) + 1) * DAY;
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
