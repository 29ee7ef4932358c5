import { type Dependencies, finishing } from './dependencies';
import {
  AuthorizationDeniedError,
  GrantAlreadyExistsError,
  NoAuthorizedShopsError,
  UnsupportedUserTypeError,
  WrongSellerError,
} from './errors';
import type { EventDetails } from './events';
import { updateGrantWithRetry } from './grant-updates';
import { type Grant, type TokenSet, USER_TYPE_SELLER } from './model';
import { deliverAfterCommit, eventEntry, withOutbox } from './outbox';
import { reconcileShops, summarizeShops } from './shops';

export interface CallbackInput {
  readonly code?: string;
  readonly state?: string;
  readonly error?: string;
  /** An account to bind to without a state: only from the internal API (an operator's exchange by hand). */
  readonly accountId?: string;
}

export interface CallbackSettings {
  /** How long an App Store install's ticket stays valid. */
  readonly ticketTtlMs: number;
}

export type CallbackOutcome =
  | {
      readonly kind: 'authorized';
      readonly openId: string;
      readonly accountId: string;
      readonly returnTo?: string;
      readonly reauthorization: boolean;
    }
  | {
      readonly kind: 'pending-claim';
      readonly openId: string;
      readonly ticket: string;
      readonly ticketExpiresAt: Date;
    };

/**
 * The Redirect URL callback (design flows 2 to 4):
 * 1. a denial (an `error`, or no usable code) ends here: no token call, nothing stored;
 * 2. a state, when present, is consumed first, so a reused one never reaches TikTok;
 * 3. the code is exchanged; only sellers are accepted, and only the seller a renewal link was made for;
 * 4. the authorized shops are fetched, so a failure there stores nothing either; neither does a seller without a
 *    shop, nor a creator: `Authorization Rejected` tells the app's services, and the seller is told why;
 * 5. from here on nothing is abandoned for the time budget: the tokens are sealed; the shops are written, then the
 *    grant (created, or updated in place for a returning seller, its reminders cleared), both stamped with this
 *    authorization's time so that older messages cannot undo it; a shop that another seller account listed before
 *    has moved here, and their copy is revoked;
 * 6. with a state, the grant is bound to the state's account and `Seller Authorized` is published; without one
 *    (App Store installs, development shops) a one-time install ticket is issued for the app to claim. The event is
 *    written with the grant (the outbox) and delivered after.
 */
export async function completeAuthorization(
  input: CallbackInput,
  deps: Dependencies,
  settings: CallbackSettings,
): Promise<CallbackOutcome> {
  const code = input.code?.trim();
  if (input.error !== undefined || !code || code === 'null') {
    throw new AuthorizationDeniedError(input.error ?? 'no authorization code');
  }
  // When the seller approved, as near as this service can tell: what older messages are measured against.
  const now = deps.clock.now();
  const state = input.state?.trim() ? await deps.store.consumeState(input.state.trim(), now) : undefined;
  let binding: { accountId: string; returnTo?: string } | undefined =
    state ?? (input.accountId ? { accountId: input.accountId } : undefined);

  const tokens = await deps.tiktok.exchangeAuthCode(code);
  if (tokens.userType !== USER_TYPE_SELLER) {
    await announceRejection('NOT_A_SELLER', tokens, binding, now, deps);
    throw new UnsupportedUserTypeError(tokens.userType);
  }
  // A link made for another seller binds nothing. A seller this service already holds keeps the authorization
  // they just gave (TikTok may have retired their previous tokens with it), under the account they had.
  const wrongSeller = state?.openId !== undefined && state.openId !== tokens.openId;
  if (wrongSeller) {
    const known = await deps.store.getGrant(tokens.openId);
    if (!known) throw new WrongSellerError();
    binding = known.accountId ? { accountId: known.accountId } : undefined;
  }
  const authorizedShops = await deps.tiktok.getAuthorizedShops(tokens.accessToken);
  if (authorizedShops.length === 0) {
    await announceRejection('NO_SHOPS', tokens, binding, now, deps);
    throw new NoAuthorizedShopsError(tokens.openId);
  }

  // The code is spent and TikTok may have retired the seller's previous tokens: what follows is never abandoned for
  // the budget, and may use the invocation's last seconds.
  return finishing(deps, async () => {
    const { appKey } = await deps.credentials.get();
    const context = { openId: tokens.openId, appKey };
    const [accessToken, refreshToken] = await Promise.all([
      deps.sealer.seal(tokens.accessToken, context),
      deps.sealer.seal(tokens.refreshToken, context),
    ]);

    const shops = reconcileShops(tokens.openId, await deps.store.listShops(tokens.openId), authorizedShops, now);
    await deps.store.putShops(shops);

    // Without an account, the install's ticket exists before the event that announces it: the app is never told of
    // an install it cannot claim. (A seller who came through another seller's renewal link gets neither.)
    const ticket = binding || wrongSeller ? undefined : await issueTicket(tokens.openId, now, settings, deps);

    const summary = summarizeShops(shops);
    const occurredAt = now.toISOString();
    const eventId = deps.secrets.oneTimeValue();
    // The event goes into the same write as the grant it describes (the outbox), whatever that write finds.
    const authorized = (existing?: Grant): Grant => {
      const grant: Grant = {
        openId: tokens.openId,
        // TikTok may leave these out of an answer: what it said before still stands.
        sellerName: tokens.sellerName || existing?.sellerName || '',
        baseRegion: tokens.sellerBaseRegion || existing?.baseRegion || '',
        userType: tokens.userType,
        scopes: tokens.grantedScopes,
        accountId: binding?.accountId ?? existing?.accountId,
        status: 'ACTIVE',
        accessToken,
        refreshToken,
        accessTokenExpiresAt: tokens.accessTokenExpiresAt,
        authorizationExpiresAt: tokens.refreshTokenExpiresAt,
        authorizedAt: now,
        version: existing?.version ?? 0,
        refreshFailures: 0,
        remindersSent: [],
        outbox: existing?.outbox ?? [],
      };
      const base = { eventId, openId: tokens.openId, occurredAt, sellerName: grant.sellerName, shops: summary };
      const previousAccountId = existing?.accountId;
      if (!binding && !ticket) return grant;
      return withOutbox(
        grant,
        binding
          ? eventEntry(
              'Seller Authorized',
              {
                ...base,
                accountId: binding.accountId,
                ...(previousAccountId && previousAccountId !== binding.accountId ? { previousAccountId } : {}),
                scopes: tokens.grantedScopes,
                authorizationExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
                reauthorization: existing !== undefined,
              },
              now,
            )
          : eventEntry('Installation Pending Claim', base, now),
      );
    };
    const { grant, reauthorization, superseded } = await saveGrant(tokens, now, authorized, deps);
    if (superseded) {
      deps.log.info('a newer authorization of this seller landed first; it stands', { openId: grant.openId });
    } else {
      await revokeCopiesElsewhere(tokens.openId, authorizedShops, now, deps);
      await deliverAfterCommit(deps, grant, [eventId]);
    }
    if (wrongSeller) throw new WrongSellerError();

    if (binding) {
      return {
        kind: 'authorized',
        openId: grant.openId,
        accountId: binding.accountId,
        returnTo: binding.returnTo,
        reauthorization,
      };
    }
    if (!ticket) throw new Error('an install without an account always has its ticket');
    return { kind: 'pending-claim', openId: grant.openId, ...ticket };
  });
}

/**
 * Tells the app's services that a seller came back and nothing was connected. Published directly (nothing is
 * stored to keep it in): a bus failure is logged and the seller still gets their answer.
 */
async function announceRejection(
  reason: EventDetails['Authorization Rejected']['reason'],
  tokens: TokenSet,
  binding: { accountId: string } | undefined,
  now: Date,
  deps: Pick<Dependencies, 'events' | 'secrets' | 'log'>,
): Promise<void> {
  const detail: EventDetails['Authorization Rejected'] = {
    eventId: deps.secrets.oneTimeValue(),
    openId: tokens.openId,
    occurredAt: now.toISOString(),
    ...(binding ? { accountId: binding.accountId } : {}),
    reason,
    userType: tokens.userType,
  };
  try {
    await deps.events.publish([{ type: 'Authorization Rejected', detail }]);
  } catch (error) {
    deps.log.error('could not publish Authorization Rejected', {
      openId: tokens.openId,
      reason,
      error: error instanceof Error ? error.message : 'unknown',
    });
  }
}

/** A one-time ticket for the app to claim this authorization with, bound to it (a newer one supersedes it). */
async function issueTicket(
  openId: string,
  authorizedAt: Date,
  settings: CallbackSettings,
  deps: Pick<Dependencies, 'store' | 'secrets'>,
): Promise<{ ticket: string; ticketExpiresAt: Date }> {
  const ticket = deps.secrets.oneTimeValue();
  const ticketExpiresAt = new Date(authorizedAt.getTime() + settings.ticketTtlMs);
  await deps.store.saveTicket(ticket, { openId, authorizedAt, expiresAt: ticketExpiresAt });
  return { ticket, ticketExpiresAt };
}

/**
 * A shop belongs to one seller account at a time: the latest authorization that listed it. Copies held by other
 * sellers' older authorizations are revoked, so that neither a credentials request nor a later deauthorization of
 * the shop is attributed to a seller who no longer holds it.
 */
async function revokeCopiesElsewhere(
  openId: string,
  listed: readonly { id: string }[],
  authorizedAt: Date,
  deps: Pick<Dependencies, 'store'>,
): Promise<void> {
  for (const { id } of listed) {
    for (const copy of await deps.store.listShopCopies(id)) {
      if (copy.openId !== openId && copy.status === 'ACTIVE')
        await deps.store.revokeShop(copy.openId, id, authorizedAt);
    }
  }
}

/**
 * Creates the seller's grant, or replaces the tokens of the one they had: never a second grant per seller. An
 * authorization newer than this one (the seller approved twice, and the later callback was faster) is kept, in
 * the same conditional write: `superseded`, and the grant as it stands.
 */
async function saveGrant(
  tokens: TokenSet,
  authorizedAt: Date,
  authorized: (existing?: Grant) => Grant,
  deps: Pick<Dependencies, 'store'>,
): Promise<{ grant: Grant; reauthorization: boolean; superseded: boolean }> {
  const existing = await deps.store.getGrant(tokens.openId);
  if (!existing) {
    try {
      const { version: _, ...fresh } = authorized();
      return { grant: await deps.store.createGrant(fresh), reauthorization: false, superseded: false };
    } catch (error) {
      // A second callback for the same seller won the race: update theirs instead.
      if (!(error instanceof GrantAlreadyExistsError)) throw error;
    }
  }
  let superseded = false;
  const grant = await updateGrantWithRetry(deps, tokens.openId, (current) => {
    superseded = !!current && current.authorizedAt.getTime() > authorizedAt.getTime();
    return superseded ? undefined : authorized(current);
  });
  if (!grant) throw new Error(`the grant of seller ${tokens.openId} vanished while it was being written`);
  return { grant, reauthorization: true, superseded };
}
