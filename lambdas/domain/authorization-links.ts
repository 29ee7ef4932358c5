import type { Dependencies } from './dependencies';
import type { Grant } from './model';

/** TikTok Shop's two markets, each with its own authorize page: the US, and the rest of the world. */
export const MARKETS = ['ROW', 'US'] as const;
export type Market = (typeof MARKETS)[number];

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
  /** Whose authorize page: @default the seller's market when the seller is known, else the default market */
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
  options: { expiresAt?: Date; seller?: Pick<Grant, 'baseRegion'> } = {},
): Promise<AuthorizationLink> {
  const seller = options.seller ?? (request.openId ? await deps.store.getGrant(request.openId) : undefined);
  const market = request.market ?? (seller ? marketOf(seller, settings) : settings.defaultMarket);
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
 * A seller's market, from the base region TikTok gave at authorization: `US` authorizes on the US page, any other
 * region on the rest of the world's. A seller without one (TikTok may leave it out) gets the default market.
 */
export function marketOf(seller: Pick<Grant, 'baseRegion'>, settings: Pick<LinkSettings, 'defaultMarket'>): Market {
  const region = seller.baseRegion.trim().toUpperCase();
  if (!region) return settings.defaultMarket;
  return region === 'US' ? 'US' : 'ROW';
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
