import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { signOpenApiRequest } from '../../lambdas/adapters/tiktok/open-api-signature';
import { webhookSignature } from '../../lambdas/adapters/tiktok/webhook-signature';
import type { Clock } from '../../lambdas/ports';
import { escapeHtml, PAGE_STYLE } from '../../lambdas/shared/pages';
import { SANDBOX_SELLERS, type SandboxSeller } from './sandbox-sellers';

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

export const webhookRequestSchema = z
  .object({
    type: z.number().int().nonnegative(),
    shopId: z.string().max(64).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    notificationId: z.string().max(64).optional(),
    timestamp: z.number().int().nonnegative().optional(),
  })
  .strict();
export type WebhookRequest = z.infer<typeof webhookRequestSchema>;

export interface SandboxOptions {
  readonly appKey: string;
  readonly appSecret: string;
  readonly serviceId: string;
  /** The app's Redirect URL, as set in Partner Center. */
  readonly redirectUrl: string;
  /** The app's webhook URL, as set in Partner Center. */
  readonly webhookUrl: string;
  readonly clock: Clock;
  /** Whether a refresh hands out a new refresh token (TikTok's behaviour here is not documented). */
  readonly rotateRefreshTokens?: boolean;
}

interface Issued {
  readonly openId: string;
  readonly expiresAt: Date;
}

const DAY = 86_400_000;
const AUTH_CODE_TTL_MS = 30 * 60_000;
const ACCESS_TOKEN_TTL_MS = 7 * DAY;
/** TikTok accepts a timestamp from 5 minutes before now to 30 seconds after. */
const TIMESTAMP_WINDOW = { beforeS: 300, afterS: 30 };

const newToken = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

/**
 * TikTok Shop as the service meets it, on loopback: the seller authorize page, `/api/v2/token/get`,
 * `/api/v2/token/refresh` and Get Authorized Shops, with TikTok's quirks (HTTP 200 errors, absolute expiries,
 * single-use codes, signed requests with a timestamp window), and faults to inject.
 */
export class TikTokSandbox {
  private readonly sellers = new Map<string, SandboxSeller>(SANDBOX_SELLERS.map((seller) => [seller.openId, seller]));
  private readonly codes = new Map<string, Issued & { used: boolean }>();
  private readonly accessTokens = new Map<string, Issued>();
  private readonly refreshTokens = new Map<string, Issued>();
  private readonly faults: Array<{ endpoint: SandboxEndpoint; fault: SandboxFault }> = [];
  private latencyMs = 0;
  private readonly outages = new Map<SandboxEndpoint, SandboxFault>();
  private appSecret: string;
  /** How many calls each endpoint has answered (faults included). */
  readonly calls: Record<SandboxEndpoint, number> = { 'token/get': 0, 'token/refresh': 0, shops: 0 };

  constructor(private readonly options: SandboxOptions) {
    this.appSecret = options.appSecret;
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
    const seller = this.sellers.get(openId);
    if (!seller) throw new Error(`no sandbox seller ${openId}`);
    this.sellers.set(openId, { ...seller, shops });
  }

  /** Every code and token the sandbox has issued: what must never show up in a log, an event or a table export. */
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
    if (!this.sellers.has(openId)) throw new Error(`no sandbox seller ${openId}`);
    const code = newToken('TTP_');
    this.codes.set(code, { openId, expiresAt: this.later(AUTH_CODE_TTL_MS), used: false });
    return this.redirect({ code, state });
  }

  /** The seller denies: TikTok still redirects, with `error` and a `null` code. */
  deny(state?: string): string {
    return this.redirect({ code: 'null', state, error: 'access_denied' });
  }

  /**
   * Sends a webhook to the app as TikTok does: the envelope, signed with HMAC-SHA256(app_secret, app_key + body) in
   * the `Authorization` header. Types 6 and 7 get TikTok's sample data unless `data` is given.
   */
  async sendWebhook(request: WebhookRequest): Promise<{ status: number; body: string }> {
    const now = this.options.clock.now();
    const shopId = request.shopId ?? '';
    const defaults: Record<number, Record<string, unknown>> = {
      6: { message: `Shop_id ${shopId} is deauthorized from your APP by merchant.` },
      7: {
        message: `Authorization of shop_id ${shopId} is expiring in 20 days. Please direct the merchant to re-authorize.`,
        expiration_time: String(Math.floor(now.getTime() / 1000) + 20 * 86_400),
      },
    };
    const body = JSON.stringify({
      type: request.type,
      tts_notification_id:
        request.notificationId ?? String(BigInt(now.getTime()) * 1000n + BigInt(randomBytes(2).readUInt16BE())),
      shop_id: shopId,
      timestamp: request.timestamp ?? Math.floor(now.getTime() / 1000),
      data: request.data ?? defaults[request.type] ?? {},
    });
    const response = await fetch(this.options.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: webhookSignature(this.options.appKey, this.appSecret, Buffer.from(body)),
      },
      body,
    });
    return { status: response.status, body: await response.text() };
  }

  /** Answers a request whose path is relative to where the sandbox is mounted. */
  async handle(request: IncomingMessage, response: ServerResponse, path: string, body: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const query = url.searchParams;
    const route = `${request.method} ${path}`;
    switch (route) {
      case 'GET /open/authorize':
        return this.sendHtml(response, 200, this.authorizePage(query));
      case 'POST /open/authorize':
        return this.decide(response, new URLSearchParams(body.toString('utf8')));
      case 'GET /api/v2/token/get':
        return this.answerApi('token/get', response, () => this.exchange(query));
      case 'GET /api/v2/token/refresh':
        return this.answerApi('token/refresh', response, () => this.refresh(query));
      case 'GET /authorization/202309/shops':
        return this.answerApi('shops', response, () => this.shops(query, request.headers['x-tts-access-token']));
      case 'POST /_webhooks': {
        const parsed = webhookRequestSchema.safeParse(safeJson(body));
        if (!parsed.success)
          return this.sendJson(response, 400, { error: 'expected {type, shopId?, data?, notificationId?}' });
        const delivery = await this.sendWebhook(parsed.data);
        return this.sendJson(response, 200, { delivered: delivery.status });
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

  private async answerApi(endpoint: SandboxEndpoint, response: ServerResponse, answer: () => object): Promise<void> {
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
    this.sendJson(response, 200, { request_id: this.requestId(), ...answer() });
  }

  private exchange(query: URLSearchParams): object {
    const refusal = this.checkApp(query) ?? this.expect(query, 'grant_type', 'authorized_code');
    if (refusal) return refusal;
    const code = this.codes.get(query.get('auth_code') ?? '');
    if (!code || code.used || code.expiresAt <= this.options.clock.now()) {
      return { code: 36004005, message: 'can not find related auth record' };
    }
    code.used = true;
    const seller = this.sellers.get(code.openId);
    if (!seller) return { code: 36004005, message: 'can not find related auth record' };
    const refreshToken = newToken('ROW_');
    this.refreshTokens.set(refreshToken, {
      openId: seller.openId,
      expiresAt: this.later(seller.authorizationDays * DAY),
    });
    return this.tokenAnswer(seller, refreshToken);
  }

  private refresh(query: URLSearchParams): object {
    const refusal = this.checkApp(query) ?? this.expect(query, 'grant_type', 'refresh_token');
    if (refusal) return refusal;
    const presented = query.get('refresh_token') ?? '';
    const issued = this.refreshTokens.get(presented);
    if (!issued) return { code: 36004005, message: 'can not find related auth record' };
    if (issued.expiresAt <= this.options.clock.now()) return { code: 36004001, message: 'rt has expired' };
    const seller = this.sellers.get(issued.openId);
    if (!seller) return { code: 36004005, message: 'can not find related auth record' };
    let refreshToken = presented;
    if (this.options.rotateRefreshTokens) {
      refreshToken = newToken('ROW_');
      this.refreshTokens.delete(presented);
      this.refreshTokens.set(refreshToken, issued);
    }
    return this.tokenAnswer(seller, refreshToken);
  }

  private tokenAnswer(seller: SandboxSeller, refreshToken: string): object {
    const accessToken = newToken('ROW_');
    const accessExpiresAt = this.later(ACCESS_TOKEN_TTL_MS);
    this.accessTokens.set(accessToken, { openId: seller.openId, expiresAt: accessExpiresAt });
    const refreshExpiresAt = this.refreshTokens.get(refreshToken)?.expiresAt ?? accessExpiresAt;
    return {
      code: 0,
      message: 'success',
      data: {
        access_token: accessToken,
        // Absolute Unix seconds, as TikTok sends them.
        access_token_expire_in: Math.floor(accessExpiresAt.getTime() / 1000),
        refresh_token: refreshToken,
        refresh_token_expire_in: Math.floor(refreshExpiresAt.getTime() / 1000),
        open_id: seller.openId,
        seller_name: seller.sellerName,
        seller_base_region: seller.baseRegion,
        user_type: seller.userType,
        granted_scopes: seller.scopes,
      },
    };
  }

  private shops(query: URLSearchParams, tokenHeader: string | string[] | undefined): object {
    if (query.get('app_key') !== this.options.appKey) return { code: 36009004, message: 'invalid app_key' };
    if (query.has('shop_cipher')) return { code: 36009004, message: 'shop_cipher is not expected for this api' };
    const timestamp = Number(query.get('timestamp'));
    const nowS = Math.floor(this.options.clock.now().getTime() / 1000);
    if (
      !Number.isInteger(timestamp) ||
      timestamp < nowS - TIMESTAMP_WINDOW.beforeS ||
      timestamp > nowS + TIMESTAMP_WINDOW.afterS
    ) {
      return { code: 36009004, message: 'timestamp is invalid' };
    }
    const { sign = '', ...signed } = Object.fromEntries(query);
    const expected = signOpenApiRequest({ path: '/authorization/202309/shops', query: signed }, this.appSecret);
    if (!sameText(sign, expected)) return { code: 106001, message: 'invalid sign' };
    const token = typeof tokenHeader === 'string' ? this.accessTokens.get(tokenHeader) : undefined;
    if (!token) return { code: 101000, message: 'invalid access token' };
    if (token.expiresAt <= this.options.clock.now()) return { code: 105002, message: 'access token expired' };
    const seller = this.sellers.get(token.openId);
    return {
      code: 0,
      message: 'success',
      data: {
        shops: (seller?.shops ?? []).map((shop) => ({
          id: shop.id,
          name: shop.name,
          region: shop.region,
          seller_type: shop.sellerType,
          cipher: shop.cipher,
          code: shop.code,
        })),
      },
    };
  }

  private checkApp(query: URLSearchParams): object | undefined {
    const keyMatches = query.get('app_key') === this.options.appKey;
    const secretMatches = sameText(query.get('app_secret') ?? '', this.appSecret);
    return keyMatches && secretMatches ? undefined : { code: 36004002, message: 'app_key or app_secret is invalid' };
  }

  private expect(query: URLSearchParams, name: string, value: string): object | undefined {
    return query.get(name) === value ? undefined : { code: 36004003, message: `${name} is invalid` };
  }

  private decide(response: ServerResponse, form: URLSearchParams): void {
    const state = form.get('state') || undefined;
    const openId = form.get('seller') ?? '';
    if (form.get('decision') !== 'approve') {
      this.sendRedirect(response, this.deny(state));
    } else if (!this.sellers.has(openId)) {
      this.sendHtml(response, 400, this.page('Choose a seller', '<p>Pick one of the sandbox sellers.</p>'));
    } else {
      this.sendRedirect(response, this.approve(openId, state));
    }
  }

  private authorizePage(query: URLSearchParams): string {
    if (query.get('service_id') !== this.options.serviceId) {
      return this.page(
        'Unknown app',
        `<p>No app has the service id <code>${escapeHtml(query.get('service_id') ?? '')}</code>.</p>`,
      );
    }
    const state = query.get('state')?.trim() ?? '';
    const choices = this.listSellers()
      .map(
        (
          seller,
          index,
        ) => `<label class="seller"><input type="radio" name="seller" value="${escapeHtml(seller.openId)}"${index === 0 ? ' checked' : ''}>
        <span><strong>${escapeHtml(seller.sellerName)}</strong> · ${seller.userType === 0 ? 'seller' : 'creator'} · ${seller.shops.length} shop${seller.shops.length === 1 ? '' : 's'}
        ${seller.shops.length ? `(${seller.shops.map((shop) => escapeHtml(shop.region)).join(', ')})` : ''}</span></label>`,
      )
      .join('');
    return this.page(
      'Authorize app',
      `<p>The app asks to access your TikTok Shop. Choose the sandbox seller who authorizes it.</p>
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

  private redirect(parameters: { code: string; state?: string; error?: string }): string {
    const url = new URL(this.options.redirectUrl);
    url.searchParams.set('code', parameters.code);
    if (parameters.state) url.searchParams.set('state', parameters.state);
    if (parameters.error) url.searchParams.set('error', parameters.error);
    return url.toString();
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

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
