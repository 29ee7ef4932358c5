import type { Dependencies } from './dependencies';
import {
  type ClaimRefusal,
  GrantNotFoundError,
  InstallationNotClaimableError,
  OneTimeValueRejectedError,
} from './errors';
import { revoked, updateGrantWithRetry } from './grant-updates';
import type { Grant, GrantStatus, GrantSummary, Page, Shop } from './model';
import { deliverAfterCommit, eventEntry, withOutbox } from './outbox';

/** What changing a seller needs: the store, and the outbox's bus. */
export type SellerDependencies = Pick<Dependencies, 'store' | 'clock' | 'events' | 'log' | 'secrets' | 'notifier'>;

/** A seller as the app's services see it: never a token. */
export interface SellerView {
  readonly openId: string;
  readonly sellerName: string;
  readonly status: Grant['status'];
  readonly accountId?: string;
  readonly accessTokenExpiresAt: Date;
  readonly authorizationExpiresAt: Date;
  readonly scopes: readonly string[];
  readonly shops: readonly ShopView[];
}

export interface ShopView {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly sellerType: string;
  readonly code: string;
  readonly status: Shop['status'];
}

const shopView = (shop: Shop): ShopView => ({
  id: shop.shopId,
  name: shop.name,
  region: shop.region,
  sellerType: shop.sellerType,
  code: shop.code,
  status: shop.status,
});

/** Sellers for an operator's listing, by status or all, a page at a time. */
export async function listSellers(
  query: { status?: GrantStatus; cursor?: string; limit?: number },
  deps: Pick<Dependencies, 'store'>,
): Promise<Page<GrantSummary>> {
  return deps.store.listGrants(query);
}

export async function describeSeller(openId: string, deps: Pick<Dependencies, 'store'>): Promise<SellerView> {
  const [grant, shops] = await Promise.all([deps.store.getGrant(openId), deps.store.listShops(openId)]);
  if (!grant) throw new GrantNotFoundError(openId);
  return {
    openId: grant.openId,
    sellerName: grant.sellerName,
    status: grant.status,
    accountId: grant.accountId,
    accessTokenExpiresAt: grant.accessTokenExpiresAt,
    authorizationExpiresAt: grant.authorizationExpiresAt,
    scopes: grant.scopes,
    shops: shops.map(shopView),
  };
}

/**
 * Binds an App Store install to the app's account (design flow 3):
 * 1. the ticket is consumed once;
 * 2. the grant takes the account in a write conditional on the grant as read, and only while the seller is still
 *    active under the authorization the ticket was issued for: a ticket that outlived a disconnection or a newer
 *    authorization binds nothing;
 * 3. `Installation Claimed`, with the account the seller left when the claim moved them.
 */
export async function claimInstallation(
  request: { ticket: string; accountId: string },
  deps: SellerDependencies,
): Promise<{ openId: string; shops: ShopView[] }> {
  const now = deps.clock.now();
  const ticket = await deps.store.consumeTicket(request.ticket, now);
  const { openId } = ticket;
  const eventId = deps.secrets.oneTimeValue();
  let refusal: ClaimRefusal | undefined;
  const grant = await updateGrantWithRetry(deps, openId, (current) => {
    refusal = current && claimRefusal(current, ticket.authorizedAt);
    if (!current || refusal) return undefined;
    const previousAccountId = current.accountId !== request.accountId ? current.accountId : undefined;
    return withOutbox(
      { ...current, accountId: request.accountId },
      eventEntry(
        'Installation Claimed',
        {
          eventId,
          openId,
          occurredAt: now.toISOString(),
          accountId: request.accountId,
          ...(previousAccountId ? { previousAccountId } : {}),
        },
        now,
      ),
    );
  });
  // A ticket outliving its grant means the seller disconnected meanwhile: the claim has nothing to bind.
  if (!grant) throw new OneTimeValueRejectedError('ticket', 'unknown');
  if (refusal) {
    deps.log.info('install ticket refused: the installation it was issued for is over', { openId, refusal });
    throw new InstallationNotClaimableError(openId, refusal);
  }
  await deliverAfterCommit(deps, grant, [eventId]);
  const shops = await deps.store.listShops(openId);
  return { openId, shops: shops.map(shopView) };
}

function claimRefusal(grant: Grant, ticketAuthorizedAt: Date | undefined): ClaimRefusal | undefined {
  if (grant.status !== 'ACTIVE') return 'seller-not-active';
  if (ticketAuthorizedAt && ticketAuthorizedAt.getTime() !== grant.authorizedAt.getTime()) return 'superseded';
  return undefined;
}

/**
 * The app disconnects a seller: the tokens are deleted, the grant and its shops are marked revoked, and
 * `Seller Disconnected` is published. Disconnecting twice is harmless. Only shops of the authorization revoked
 * here, or older, are revoked: a re-authorization landing meanwhile keeps the shops it listed, with its grant.
 */
export async function disconnectSeller(openId: string, deps: SellerDependencies): Promise<void> {
  const now = deps.clock.now();
  const eventId = deps.secrets.oneTimeValue();
  let wasActive = false;
  const grant = await updateGrantWithRetry(deps, openId, (current) => {
    if (!current) return undefined;
    wasActive = current.status !== 'REVOKED';
    const detail = { eventId, openId, occurredAt: now.toISOString(), accountId: current.accountId };
    return wasActive ? withOutbox(revoked(current), eventEntry('Seller Disconnected', detail, now)) : revoked(current);
  });
  if (!grant) throw new GrantNotFoundError(openId);
  const shops = await deps.store.listShops(openId);
  for (const shop of shops) {
    if (shop.status === 'ACTIVE') await deps.store.revokeShop(openId, shop.shopId, grant.authorizedAt);
  }
  if (wasActive) await deliverAfterCommit(deps, grant, [eventId]);
}
