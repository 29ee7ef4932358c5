import type { Dependencies } from './dependencies';
import type { Market } from './markets';
import type { Grant, Shop } from './model';

export { MARKETS, type Market } from './markets';

export interface LinkSettings {
  /** Each market's authorize page, e.g. `https://services.tiktokshop.com/open/authorize` for the rest of the world. */
  readonly authorizeUrls: Readonly<Record<Market, string>>;
  /** The market of a link for a seller the service does not know yet. */
  readonly defaultMarket: Market;
  /** The app's service id from Partner Center (not the app key). */
  readonly serviceId: string;
  /** How long a link's state stays valid. */
  readonly stateTtlMs: number;
}

export interface LinkRequest {
  readonly accountId: string;
  /** Where the app wants the seller to land after authorizing (a path of the app). */
  readonly returnTo?: string;
  /** The seller the link is for, when the app knows (a renewal): another seller using it is refused. */
  readonly openId?: string;
  /** The market whose authorize page the link opens. @default the named seller's market, else the default market */
  readonly market?: Market;
}

export interface AuthorizationLink {
  readonly url: string;
  readonly expiresAt: Date;
}

/**
 * Creates the link a seller follows to authorize the app:
 * 1. a fresh 256-bit state, bound to the app's account (and to the seller, when named), stored hashed, valid once
 *    until it expires;
 * 2. the authorize URL of the market asked for, else of the named seller's market (a US seller renews on the US
 *    page), else the default market's, with `service_id` and `state` (TikTok takes no redirect_uri: the Redirect
 *    URL is fixed in Partner Center).
 */
export async function createAuthorizationLink(
  request: LinkRequest,
  deps: Pick<Dependencies, 'store' | 'clock' | 'secrets'>,
  settings: LinkSettings,
  options: { expiresAt?: Date; seller?: Pick<Grant, 'openId' | 'baseRegion'> } = {},
): Promise<AuthorizationLink> {
  const market = request.market ?? (await sellerMarket(options.seller ?? request.openId, deps, settings));
  const state = deps.secrets.oneTimeValue();
  const expiresAt = options.expiresAt ?? new Date(deps.clock.now().getTime() + settings.stateTtlMs);
  await deps.store.saveState(state, {
    accountId: request.accountId,
    returnTo: request.returnTo,
    openId: request.openId,
    expiresAt,
  });
  return { url: authorizeUrl(settings, market, state), expiresAt };
}

/**
 * The market whose authorize page a seller renews on, as `marketOf` tells it from their grant and active shops; the
 * default market for a seller the service does not hold.
 */
export async function sellerMarket(
  seller: Pick<Grant, 'openId' | 'baseRegion'> | string | undefined,
  deps: Pick<Dependencies, 'store'>,
  settings: Pick<LinkSettings, 'defaultMarket'>,
): Promise<Market> {
  const grant = typeof seller === 'string' ? await deps.store.getGrant(seller) : seller;
  if (!grant) return settings.defaultMarket;
  const shops = (await deps.store.listShops(grant.openId)).filter((shop) => shop.status === 'ACTIVE');
  return marketOf(grant, shops, settings);
}

/**
 * A seller's market: their shops' when all are in one (a cross-border seller based elsewhere with US shops renews
 * on the US page), else their base region's (`US`, or any other for the rest of the world); the default market when
 * TikTok told neither.
 */
export function marketOf(
  seller: Pick<Grant, 'baseRegion'>,
  shops: readonly Pick<Shop, 'region'>[],
  settings: Pick<LinkSettings, 'defaultMarket'>,
): Market {
  const isUs = (region: string) => region.trim().toUpperCase() === 'US';
  const regions = shops.map((shop) => shop.region).filter((region) => region.trim() !== '');
  if (regions.length > 0 && regions.every(isUs)) return 'US';
  if (regions.length > 0 && !regions.some(isUs)) return 'ROW';
  if (seller.baseRegion.trim()) return isUs(seller.baseRegion) ? 'US' : 'ROW';
  return settings.defaultMarket;
}

/**
 * A market's authorize page for this app. Without a state, the seller comes back through the App Store path
 * (an install ticket, then a claim): the link for a seller no account has claimed yet.
 */
export function authorizeUrl(
  settings: Pick<LinkSettings, 'authorizeUrls' | 'serviceId'>,
  market: Market,
  state?: string,
): string {
  const url = new URL(settings.authorizeUrls[market]);
  url.searchParams.set('service_id', settings.serviceId);
  if (state) url.searchParams.set('state', state);
  return url.toString();
}
