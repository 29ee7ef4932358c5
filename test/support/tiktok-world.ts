import { randomBytes } from 'node:crypto';
import { TikTokReauthorizationRequiredError, TikTokRetryLaterError } from '../../lambdas/domain/errors';
import type { AuthorizedShop, TokenSet } from '../../lambdas/domain/model';
import type { Clock, TikTokAuthApi } from '../../lambdas/ports';

const DAY = 86_400_000;
const ACCESS_TOKEN_MS = 7 * DAY;
const CODE_MS = 30 * 60_000;

/** A seller as TikTok knows them. */
export interface WorldSellerSpec {
  readonly openId: string;
  readonly name: string;
  readonly shops: readonly AuthorizedShop[];
}

interface Authorization {
  readonly number: number;
  readonly end: Date;
  valid: boolean;
  refreshToken: string;
  accessTokens: Map<string, Date>;
}

interface WorldSeller extends WorldSellerSpec {
  shops: readonly AuthorizedShop[];
  authorization?: Authorization;
}

/** A shop as Get Authorized Shops lists it, made up from its id. */
export const authorizedShop = (id: string): AuthorizedShop => ({
  id,
  name: `Shop ${id}`,
  region: 'GB',
  sellerType: 'LOCAL',
  cipher: `cipher-${id}`,
  code: `CODE${id}`,
});

/** TikTok keeps whole seconds: every expiry it hands out is one. */
const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
const token = (kind: string) => `${kind}-${randomBytes(12).toString('base64url')}`;

/**
 * TikTok's side of the authorization, in memory, for domain tests: the truth the service must never contradict.
 * Each authorization replaces the seller's previous one; refresh tokens rotate and the old ones stop working (the
 * stricter reading of protocol section 4); a cancelled or ended authorization refuses refreshes with 36004001.
 */
export class TikTokWorld implements TikTokAuthApi {
  private readonly sellers = new Map<string, WorldSeller>();
  private readonly codes = new Map<string, { openId: string; number: number; expiresAt: Date }>();
  private authorizations = 0;
  private transientFailures = 0;
  /** Every call made to TikTok, by endpoint, for tests that count them. */
  readonly calls = { exchange: 0, refresh: 0, shops: 0 };

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    sellers: readonly WorldSellerSpec[],
  ) {
    for (const seller of sellers) this.sellers.set(seller.openId, { ...seller });
  }

  /** The seller approves the app on TikTok's authorize page for `days`; returns the code the callback carries. */
  authorize(openId: string, days: number): string {
    const seller = this.seller(openId);
    const now = this.clock.now().getTime();
    if (seller.authorization) seller.authorization.valid = false;
    seller.authorization = {
      number: ++this.authorizations,
      end: wholeSeconds(now + days * DAY),
      valid: true,
      refreshToken: token('rt'),
      accessTokens: new Map(),
    };
    const code = token('code');
    this.codes.set(code, { openId, number: seller.authorization.number, expiresAt: new Date(now + CODE_MS) });
    return code;
  }

  /** The seller cancels in Seller Center: the authorization stops working at once. */
  cancel(openId: string): void {
    const authorization = this.seller(openId).authorization;
    if (authorization) authorization.valid = false;
  }

  /** The shops TikTok lists for this seller from now on (a shop can move to another seller account). */
  setShops(openId: string, shops: readonly AuthorizedShop[]): void {
    this.seller(openId).shops = shops;
  }

  /** The next `count` calls fail as a 503 would. */
  failNext(count = 1): void {
    this.transientFailures += count;
  }

  /** Failures asked for and not yet used are dropped. */
  stopFailing(): void {
    this.transientFailures = 0;
  }

  /** Whether the seller's authorization works at TikTok now. */
  isAuthorized(openId: string): boolean {
    const authorization = this.sellers.get(openId)?.authorization;
    return !!authorization?.valid && authorization.end.getTime() > this.clock.now().getTime();
  }

  /** When the seller's current authorization ends, as TikTok would say in a type 7 webhook. */
  authorizationEnd(openId: string): Date | undefined {
    return this.sellers.get(openId)?.authorization?.end;
  }

  /** Whether TikTok would accept this access token now. */
  acceptsAccessToken(openId: string, accessToken: string): boolean {
    const authorization = this.sellers.get(openId)?.authorization;
    const expiresAt = authorization?.accessTokens.get(accessToken);
    return this.isAuthorized(openId) && !!expiresAt && expiresAt.getTime() > this.clock.now().getTime();
  }

  async exchangeAuthCode(code: string): Promise<TokenSet> {
    this.calls.exchange++;
    this.failIfAsked();
    const issued = this.codes.get(code);
    this.codes.delete(code);
    const seller = issued && this.sellers.get(issued.openId);
    const authorization = seller?.authorization;
    if (!issued || !seller || !authorization || issued.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new TikTokReauthorizationRequiredError('invalid auth code', { code: 36004004 });
    }
    if (authorization.number !== issued.number || !authorization.valid) {
      throw new TikTokReauthorizationRequiredError('invalid auth code', { code: 36004004 });
    }
    return this.issueTokens(seller, authorization);
  }

  async refreshTokens(refreshToken: string): Promise<TokenSet> {
    this.calls.refresh++;
    this.failIfAsked();
    const seller = [...this.sellers.values()].find((each) => each.authorization?.refreshToken === refreshToken);
    if (!seller?.authorization || !this.isAuthorized(seller.openId)) {
      throw new TikTokReauthorizationRequiredError('rt has expired', { code: 36004001 });
    }
    seller.authorization.refreshToken = token('rt');
    seller.authorization.accessTokens.clear();
    return this.issueTokens(seller, seller.authorization);
  }

  async getAuthorizedShops(accessToken: string): Promise<AuthorizedShop[]> {
    this.calls.shops++;
    this.failIfAsked();
    const seller = [...this.sellers.values()].find((each) => each.authorization?.accessTokens.has(accessToken));
    if (!seller || !this.acceptsAccessToken(seller.openId, accessToken)) {
      throw new TikTokReauthorizationRequiredError('access token invalid', { code: 105002 });
    }
    return [...seller.shops];
  }

  private issueTokens(seller: WorldSeller, authorization: Authorization): TokenSet {
    const now = this.clock.now().getTime();
    const accessToken = token('at');
    const accessTokenExpiresAt = wholeSeconds(Math.min(now + ACCESS_TOKEN_MS, authorization.end.getTime()));
    authorization.accessTokens.set(accessToken, accessTokenExpiresAt);
    return {
      accessToken,
      accessTokenExpiresAt,
      refreshToken: authorization.refreshToken,
      refreshTokenExpiresAt: authorization.end,
      openId: seller.openId,
      sellerName: seller.name,
      sellerBaseRegion: 'GB',
      userType: 0,
      grantedScopes: ['seller.authorization.info'],
    };
  }

  private failIfAsked(): void {
    if (this.transientFailures > 0) {
      this.transientFailures--;
      throw new TikTokRetryLaterError('TikTok answered 503 (asked for)');
    }
  }

  private seller(openId: string): WorldSeller {
    const seller = this.sellers.get(openId);
    if (!seller) throw new Error(`the world has no seller ${openId}`);
    return seller;
  }
}

/** A clock the test moves by hand; sleeping moves it too, so waits cost no real time. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
