import type { SealingContext } from '../ports';
import type { Dependencies } from './dependencies';
import { publishAfterCommit } from './dependencies';
import {
  AccessRevokedError,
  GrantNotFoundError,
  LeaseHeldError,
  ReauthorizationRequiredError,
  StaleGrantError,
  TikTokMissingScopeError,
  TikTokReauthorizationRequiredError,
} from './errors';
import { updateGrantWithRetry } from './grant-updates';
import type { Grant, TokenSet } from './model';

export interface RefreshOptions {
  /** Who takes the lease: unique per caller. */
  readonly holder: string;
  /** How long the lease lasts: longer than the slowest refresh, so it only lapses when its holder died. */
  readonly leaseMs: number;
  /** A token valid for longer than this needs no refresh (another caller may have refreshed it meanwhile). */
  readonly freshForMs: number;
  /** How long to wait for another caller's refresh before giving up with LeaseHeldError; 0 does not wait. */
  readonly waitMs: number;
  /** How often a waiting caller looks again. */
  readonly pollMs?: number;
}

export interface RefreshResult {
  readonly grant: Grant;
  /** False when the token was fresh already (refreshed by someone else). */
  readonly refreshed: boolean;
}

/**
 * The one refresh path, shared by the credentials route and the refresh worker:
 * 1. take the grant's lease (or wait for the caller who has it, then use what they wrote);
 * 2. with the lease, look at the grant as it is now: it may be fresh already, or no longer active;
 * 3. an authorization that has ended cannot be refreshed: the seller must authorize again;
 * 4. refresh with TikTok, seal, and write the new tokens and both expiries in one conditional update that also
 *    gives the lease back;
 * 5. a refused refresh token marks the grant REAUTH_REQUIRED; any other failure is counted on the grant and
 *    thrown for the caller to retry later.
 */
export async function refreshGrant(
  openId: string,
  deps: Dependencies,
  options: RefreshOptions,
): Promise<RefreshResult> {
  const leased = await takeLease(openId, deps, options);
  if ('fresh' in leased) return { grant: leased.fresh, refreshed: false };
  const grant = leased.grant;
  const now = deps.clock.now();

  if (grant.status !== 'ACTIVE' || !grant.refreshToken) {
    await deps.store.releaseLease(openId, options.holder);
    throw grant.status === 'REAUTH_REQUIRED'
      ? new ReauthorizationRequiredError(openId, grant.lastError ?? 'reauthorization required')
      : new AccessRevokedError('seller', openId);
  }
  if (isFresh(grant, now, options.freshForMs)) {
    await deps.store.releaseLease(openId, options.holder);
    return { grant, refreshed: false };
  }
  if (grant.authorizationExpiresAt.getTime() <= now.getTime()) {
    throw await requireReauthorization(grant, 'the authorization has ended', deps, options.holder);
  }

  let context: SealingContext;
  let tokens: TokenSet;
  try {
    const { appKey } = await deps.credentials.get();
    context = { openId, appKey };
    tokens = await deps.tiktok.refreshTokens(await deps.sealer.unseal(grant.refreshToken, context));
  } catch (error) {
    if (error instanceof TikTokReauthorizationRequiredError) {
      throw await requireReauthorization(grant, error.message, deps, options.holder, error);
    }
    await recordFailure(grant, error, deps, options.holder);
    throw error;
  }

  const [accessToken, refreshToken] = await Promise.all([
    deps.sealer.seal(tokens.accessToken, context),
    deps.sealer.seal(tokens.refreshToken, context),
  ]);
  const withNewTokens = (base: Grant): Grant => ({
    ...base,
    accessToken,
    refreshToken,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt,
    authorizationExpiresAt: tokens.refreshTokenExpiresAt,
    refreshFailures: 0,
    lastError: undefined,
    // Milestones already sent stay sent for the same end; a moved end starts them afresh.
    remindersSent:
      tokens.refreshTokenExpiresAt.getTime() === base.authorizationExpiresAt.getTime() ? base.remindersSent : [],
  });
  let updated: Grant;
  try {
    updated = await deps.store.updateGrant(withNewTokens(grant), { releaseLeaseOf: options.holder });
  } catch (error) {
    if (!(error instanceof StaleGrantError)) throw error;
    const kept = await keepNewTokens(grant, withNewTokens, deps);
    await deps.store.releaseLease(openId, options.holder);
    if (kept.accessToken !== accessToken) return { grant: kept, refreshed: false };
    updated = kept;
  }

  await publishAfterCommit(deps, [
    {
      type: 'Tokens Refreshed',
      detail: {
        openId,
        occurredAt: deps.clock.now().toISOString(),
        accessTokenExpiresAt: updated.accessTokenExpiresAt.toISOString(),
        authorizationExpiresAt: updated.authorizationExpiresAt.toISOString(),
      },
    },
  ]);
  return { grant: updated, refreshed: true };
}

/**
 * Another write moved the grant on while TikTok answered (a reminder, a claim, a type 7 webhook): its facts stay,
 * and the new tokens go on top of them. They must not be lost: the refresh token may have rotated, and the old one
 * may no longer work. Only a seller revoked, or authorized anew, in the meantime keeps what it has, which is newer.
 */
async function keepNewTokens(leased: Grant, withNewTokens: (base: Grant) => Grant, deps: Dependencies): Promise<Grant> {
  const kept = await updateGrantWithRetry(deps, leased.openId, (current) =>
    current?.status === 'ACTIVE' && current.authorizedAt.getTime() === leased.authorizedAt.getTime()
      ? withNewTokens(current)
      : undefined,
  );
  if (!kept) throw new GrantNotFoundError(leased.openId);
  if (kept.status !== 'ACTIVE' || kept.authorizedAt.getTime() !== leased.authorizedAt.getTime()) {
    deps.log.warn('the seller was revoked or authorized anew during the refresh; keeping that', {
      openId: leased.openId,
    });
  }
  return kept;
}

function isFresh(grant: Grant, now: Date, freshForMs: number): boolean {
  return grant.accessTokenExpiresAt.getTime() - now.getTime() > freshForMs;
}

/** The lease and the grant as it is once taken; or, after waiting for another holder, the grant they made fresh. */
async function takeLease(
  openId: string,
  deps: Pick<Dependencies, 'store' | 'clock'>,
  options: RefreshOptions,
): Promise<{ grant: Grant } | { fresh: Grant }> {
  const deadline = deps.clock.now().getTime() + options.waitMs;
  for (;;) {
    const now = deps.clock.now();
    try {
      return {
        grant: await deps.store.acquireLease(openId, options.holder, new Date(now.getTime() + options.leaseMs), now),
      };
    } catch (error) {
      if (!(error instanceof LeaseHeldError) || now.getTime() >= deadline) throw error;
    }
    await deps.clock.sleep(options.pollMs ?? 100);
    const current = await deps.store.getGrant(openId);
    if (!current) throw new GrantNotFoundError(openId);
    if (current.status === 'ACTIVE' && isFresh(current, deps.clock.now(), options.freshForMs))
      return { fresh: current };
  }
}

async function requireReauthorization(
  grant: Grant,
  reason: string,
  deps: Dependencies,
  holder: string,
  cause?: unknown,
): Promise<ReauthorizationRequiredError> {
  try {
    await deps.store.updateGrant(
      { ...grant, status: 'REAUTH_REQUIRED', lastError: reason },
      { releaseLeaseOf: holder },
    );
  } catch (error) {
    if (!(error instanceof StaleGrantError)) throw error;
    await deps.store.releaseLease(grant.openId, holder);
    return new ReauthorizationRequiredError(grant.openId, reason, { cause });
  }
  await publishAfterCommit(deps, [
    {
      type: 'Reauthorization Required',
      detail: { openId: grant.openId, occurredAt: deps.clock.now().toISOString(), accountId: grant.accountId, reason },
    },
  ]);
  return new ReauthorizationRequiredError(grant.openId, reason, { cause });
}

async function recordFailure(grant: Grant, error: unknown, deps: Dependencies, holder: string): Promise<void> {
  const reason = error instanceof Error ? error.message : 'unknown failure';
  const failures = grant.refreshFailures + 1;
  try {
    await deps.store.updateGrant(
      { ...grant, refreshFailures: failures, lastError: reason },
      { releaseLeaseOf: holder },
    );
  } catch (writeError) {
    if (!(writeError instanceof StaleGrantError)) throw writeError;
    await deps.store.releaseLease(grant.openId, holder);
  }
  await publishAfterCommit(deps, [
    {
      type: 'Token Refresh Failed',
      detail: {
        openId: grant.openId,
        occurredAt: deps.clock.now().toISOString(),
        reason,
        failures,
        // A missing permission does not go away by retrying; anything else might.
        retrying: !(error instanceof TikTokMissingScopeError),
      },
    },
  ]);
}
