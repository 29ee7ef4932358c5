import type { Dependencies } from './dependencies';
import {
  AccessRevokedError,
  GrantNotFoundError,
  NewTokensNotStoredError,
  ReauthorizationRequiredError,
  ShopNotFoundError,
} from './errors';
import type { Grant } from './model';
import { refreshGrant } from './refresh-grant';

export interface CredentialsSettings {
  /** Refresh first when the access token expires within this. */
  readonly refreshWithinMs: number;
  readonly leaseMs: number;
  /** How long a caller waits for another caller's refresh of the same seller. */
  readonly waitMs: number;
}

export interface ShopCredentials {
  readonly shopId: string;
  readonly shopCipher: string;
  readonly openId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
}

/**
 * Refreshes a seller's tokens now, whatever their expiry (an operator's "refresh now"), through the shared path:
 * under the lease, waiting for a refresh already under way.
 */
export async function refreshSellerNow(
  openId: string,
  deps: Dependencies,
  settings: CredentialsSettings,
): Promise<{ openId: string; accessTokenExpiresAt: Date; authorizationExpiresAt: Date; refreshed: boolean }> {
  const { grant, refreshed } = await refreshGrant(openId, deps, {
    holder: `operator:${deps.secrets.oneTimeValue()}`,
    leaseMs: settings.leaseMs,
    freshForMs: Number.POSITIVE_INFINITY,
    waitMs: settings.waitMs,
  });
  return {
    openId,
    accessTokenExpiresAt: grant.accessTokenExpiresAt,
    authorizationExpiresAt: grant.authorizationExpiresAt,
    refreshed,
  };
}

/** A token still valid this long is handed out when its refresh cannot happen now. */
const STILL_USABLE_MS = 30_000;

/**
 * Failures that say something about the seller's authorization: the token is not handed out. Anything else (TikTok
 * slow or refusing suspectly, refreshes paused, a lease held, the budget spent, a store or KMS hiccup) is temporary.
 * New tokens that could not be stored count here too: TikTok may have retired the token this caller would get.
 */
const ABOUT_THE_SELLER = [
  ReauthorizationRequiredError,
  AccessRevokedError,
  GrantNotFoundError,
  NewTokensNotStoredError,
];

/**
 * Refreshes a grant about to expire; when something temporary keeps the refresh from happening now and the token
 * still works for a while, keeps the token: the caller gets it, and the next request or the refresh worker tries again.
 * A refresh token refused for the seller's own reasons is not kept: the seller must authorize again.
 */
async function refreshOrKeep(grant: Grant, deps: Dependencies, settings: CredentialsSettings): Promise<Grant> {
  try {
    const { grant: refreshed } = await refreshGrant(grant.openId, deps, {
      holder: `credentials:${deps.secrets.oneTimeValue()}`,
      leaseMs: settings.leaseMs,
      freshForMs: settings.refreshWithinMs,
      waitMs: settings.waitMs,
    });
    return refreshed;
  } catch (error) {
    const temporary = !ABOUT_THE_SELLER.some((kind) => error instanceof kind);
    const stillUsable = grant.accessTokenExpiresAt.getTime() - deps.clock.now().getTime() > STILL_USABLE_MS;
    if (!temporary || !stillUsable || !(error instanceof Error)) throw error;
    deps.log.warn('refresh failed; handing out the current token while it lasts', {
      openId: grant.openId,
      error: error.message,
    });
    return grant;
  }
}

/**
 * A valid access token and the shop cipher for one shop, now (design flow 5):
 * 1. the shop and its seller's grant must be active;
 * 2. a token expiring within `refreshWithinMs` is refreshed first, under the grant's lease; concurrent callers
 *    wait for that one refresh instead of starting their own;
 * 3. the access token is unsealed for this seller and handed out.
 */
export async function getShopCredentials(
  shopId: string,
  deps: Dependencies,
  settings: CredentialsSettings,
): Promise<ShopCredentials> {
  const shop = await deps.store.findShop(shopId);
  if (!shop) throw new ShopNotFoundError(shopId);
  if (shop.status !== 'ACTIVE') throw new AccessRevokedError('shop', shopId);
  let grant = await deps.store.getGrant(shop.openId);
  if (!grant) throw new GrantNotFoundError(shop.openId);
  if (grant.status === 'REAUTH_REQUIRED') {
    throw new ReauthorizationRequiredError(grant.openId, grant.lastError ?? 'reauthorization required');
  }
  if (grant.status === 'REVOKED' || !grant.accessToken) throw new AccessRevokedError('seller', grant.openId);

  if (grant.accessTokenExpiresAt.getTime() - deps.clock.now().getTime() <= settings.refreshWithinMs) {
    grant = await refreshOrKeep(grant, deps, settings);
  }
  if (!grant.accessToken) throw new AccessRevokedError('seller', grant.openId);

  const { appKey } = await deps.credentials.get();
  return {
    shopId,
    shopCipher: shop.cipher,
    openId: grant.openId,
    accessToken: await deps.sealer.unseal(grant.accessToken, { openId: grant.openId, appKey }),
    accessTokenExpiresAt: grant.accessTokenExpiresAt,
  };
}
