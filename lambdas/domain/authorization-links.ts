import type { Dependencies } from './dependencies';

export interface LinkSettings {
  /** The market's authorize page, e.g. `https://services.tiktokshop.com/open/authorize`. */
  readonly authorizeUrl: string;
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
}

export interface AuthorizationLink {
  readonly url: string;
  readonly expiresAt: Date;
}

/**
 * Creates the link a seller follows to authorize the app:
 * 1. a fresh 256-bit state, bound to the app's account (and to the seller, when named), stored hashed, valid once
 *    until it expires;
 * 2. the market's authorize URL with `service_id` and `state` (TikTok takes no redirect_uri: the Redirect URL is
 *    fixed in Partner Center).
 */
export async function createAuthorizationLink(
  request: LinkRequest,
  deps: Pick<Dependencies, 'store' | 'clock' | 'secrets'>,
  settings: LinkSettings,
  options: { expiresAt?: Date } = {},
): Promise<AuthorizationLink> {
  const state = deps.secrets.oneTimeValue();
  const expiresAt = options.expiresAt ?? new Date(deps.clock.now().getTime() + settings.stateTtlMs);
  await deps.store.saveState(state, {
    accountId: request.accountId,
    returnTo: request.returnTo,
    openId: request.openId,
    expiresAt,
  });
  return { url: authorizeUrl(settings, state), expiresAt };
}

/**
 * The market's authorize page for this app. Without a state, the seller comes back through the App Store path
 * (an install ticket, then a claim): the link for a seller no account has claimed yet.
 */
export function authorizeUrl(settings: Pick<LinkSettings, 'authorizeUrl' | 'serviceId'>, state?: string): string {
  const url = new URL(settings.authorizeUrl);
  url.searchParams.set('service_id', settings.serviceId);
  if (state) url.searchParams.set('state', state);
  return url.toString();
}
