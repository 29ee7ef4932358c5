import type { RefusalRecord, SealingContext } from '../ports';
import { type Dependencies, finishing, timeLeft } from './dependencies';
import {
  AccessRevokedError,
  GrantNotFoundError,
  LeaseHeldError,
  NewTokensNotStoredError,
  ReauthorizationRequiredError,
  RefreshNotStartedError,
  RefreshPausedError,
  StaleGrantError,
  TikTokAppCredentialsError,
  TikTokMissingScopeError,
  TikTokReauthorizationRequiredError,
  TikTokSuspectRefusalError,
} from './errors';
import { updateGrantWithRetry } from './grant-updates';
import type { Grant, OutboxEntry, TokenSet } from './model';
import { deliverAfterCommit, eventEntry, withOutbox } from './outbox';
import {
  calledForPause,
  pausedUntil,
  REFRESHES_PAUSED_MESSAGE,
  REFUSAL_RULES,
  type RefusalRules,
  refusalBelieved,
  SUSPECT_REFUSAL_MESSAGE,
  successWorthNoting,
} from './refusals';

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
  /** When TikTok's refusals are believed, and when refreshes pause. @default REFUSAL_RULES */
  readonly refusalRules?: RefusalRules;
}

export interface RefreshResult {
  readonly grant: Grant;
  /** False when the token was fresh already (refreshed by someone else). */
  readonly refreshed: boolean;
}

/**
 * The one refresh path, shared by the credentials route and the refresh worker:
 * 1. while refreshes are paused (the circuit breaker, see `refusals.ts`), none starts;
 * 2. take the grant's lease (or wait for the caller who has it, then use what they wrote);
 * 3. with the lease, look at the grant as it is now: it may be fresh already, or no longer active;
 * 4. an authorization that has ended cannot be refreshed: the seller must authorize again;
 * 5. refresh with TikTok, seal, and write the new tokens and both expiries in one conditional update that also
 *    gives the lease back;
 * 6. a refusal known to be about the seller marks the grant REAUTH_REQUIRED; a suspect one is noted for the
 *    breaker and believed only after `markAfterMs` while other sellers refresh; any other failure is counted on
 *    the grant and thrown for the caller to retry later.
 */
export async function refreshGrant(
  openId: string,
  deps: Dependencies,
  options: RefreshOptions,
): Promise<RefreshResult> {
  const circuit = await deps.refusals.read();
  const paused = pausedUntil(circuit, deps.clock.now());
  if (paused) throw new RefreshPausedError(paused);
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
    // TikTok was never called (a queue's turn came too late, or a pause was called meanwhile): nothing to count.
    if (error instanceof RefreshNotStartedError || error instanceof RefreshPausedError) {
      await deps.store.releaseLease(openId, options.holder);
      throw error;
    }
    if (error instanceof TikTokReauthorizationRequiredError) {
      throw await requireReauthorization(grant, error.message, deps, options.holder, error);
    }
    if (error instanceof TikTokSuspectRefusalError || error instanceof TikTokAppCredentialsError) {
      throw await suspectRefusal(grant, error, deps, options.holder, options.refusalRules ?? REFUSAL_RULES);
    }
    await recordFailure(grant, error, deps, options.holder);
    throw error;
  }

  // What TikTok just gave must not be abandoned for the budget: storing it may use the invocation's last seconds.
  const stored = await finishing(deps, () => storeNewTokens(grant, tokens, context, deps, options.holder));
  if (successWorthNoting(circuit, now)) {
    await deps.refusals.recordSuccess(now).catch((error: unknown) => {
      deps.log.warn('a working refresh could not be noted for the circuit breaker', { error: describe(error) });
    });
  }
  if (stored.eventId) await deliverAfterCommit(deps, stored.grant, [stored.eventId]);
  return { grant: stored.grant, refreshed: stored.eventId !== undefined };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : 'unknown');

/**
 * A refusal not known to be about this seller: noted in the shared ledger (which may pause every refresh), and on
 * the grant; believed, and the seller marked, only once it has lasted `markAfterMs` while others refresh fine.
 * Returns what the caller throws.
 */
async function suspectRefusal(
  grant: Grant,
  error: TikTokSuspectRefusalError | TikTokAppCredentialsError,
  deps: Dependencies,
  holder: string,
  rules: RefusalRules,
): Promise<Error> {
  const now = deps.clock.now();
  deps.log.warn(SUSPECT_REFUSAL_MESSAGE, { openId: grant.openId, code: error.code, error: error.message });
  let record: RefusalRecord | undefined;
  try {
    // Only a seller's first refusal counts toward the pause: a few sellers refused for reasons of their own, and
    // retried, must not keep every other seller's refresh paused.
    record = grant.suspectRefusalSince
      ? await deps.refusals.read()
      : await deps.refusals.recordRefusal(grant.openId, now, new Date(now.getTime() - rules.windowMs));
    if (!pausedUntil(record, now) && calledForPause(record, now, rules)) {
      const until = new Date(now.getTime() + rules.pauseMs);
      await deps.refusals.pause(until);
      record = { ...record, pausedUntil: until };
      deps.log.error(REFRESHES_PAUSED_MESSAGE, { until: until.toISOString(), code: error.code });
    }
  } catch (ledgerError) {
    deps.log.warn('the refusal could not be noted for the circuit breaker', { error: describe(ledgerError) });
  }
  const suspectSince = grant.suspectRefusalSince ?? now;
  if (record && refusalBelieved(record, suspectSince, now, rules)) {
    const hours = Math.floor((now.getTime() - suspectSince.getTime()) / 3_600_000);
    const reason = `TikTok refused this seller's refresh for ${hours} hours while other sellers' refreshes worked (${error.message})`;
    return requireReauthorization(grant, reason, deps, holder, error);
  }
  await recordFailure(grant, error, deps, holder, { suspectRefusalSince: suspectSince });
  return error;
}

/** The error line that says new tokens were lost; an alarm counts it in the logs. */
export const TOKENS_NOT_STORED_MESSAGE =
  'new tokens from TikTok could not be stored: the seller may have to authorize again';

/**
 * Attempts at sealing and writing new tokens, 0.2 + 0.4 + 0.8 s apart, within what the invocation's budget leaves
 * (TikTok's calls leave a reserve of it for this).
 */
const TOKEN_WRITE_ATTEMPTS = 4;

/**
 * TikTok's answer is stored before anything else happens: the refresh token may have rotated and the old one
 * stopped working, so new tokens that are not stored may cost the seller a new authorization. Sealing and the
 * write are tried again with backoff while the lease is ours; if they still fail, that is said as an error for
 * the alarm. The `Tokens Refreshed` event is written with the tokens; `eventId` is absent when a newer
 * authorization or a revocation kept what it had.
 */
async function storeNewTokens(
  grant: Grant,
  tokens: TokenSet,
  context: SealingContext,
  deps: Dependencies,
  holder: string,
): Promise<{ grant: Grant; eventId?: string }> {
  const now = deps.clock.now();
  const eventId = deps.secrets.oneTimeValue();
  const event = eventEntry(
    'Tokens Refreshed',
    {
      eventId,
      openId: grant.openId,
      occurredAt: now.toISOString(),
      accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
      authorizationExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
    },
    now,
  );
  for (let attempt = 1; ; attempt++) {
    try {
      const [accessToken, refreshToken] = await Promise.all([
        deps.sealer.seal(tokens.accessToken, context),
        deps.sealer.seal(tokens.refreshToken, context),
      ]);
      const withNewTokens = (base: Grant): Grant =>
        withOutbox(
          {
            ...base,
            accessToken,
            refreshToken,
            accessTokenExpiresAt: tokens.accessTokenExpiresAt,
            authorizationExpiresAt: tokens.refreshTokenExpiresAt,
            refreshFailures: 0,
            lastError: undefined,
            suspectRefusalSince: undefined,
            // Milestones already sent stay sent for the same end; a moved end starts them afresh.
            remindersSent:
              tokens.refreshTokenExpiresAt.getTime() === base.authorizationExpiresAt.getTime()
                ? base.remindersSent
                : [],
          },
          event,
        );
      try {
        return { grant: await deps.store.updateGrant(withNewTokens(grant), { releaseLeaseOf: holder }), eventId };
      } catch (error) {
        if (!(error instanceof StaleGrantError)) throw error;
        const kept = await keepNewTokens(grant, withNewTokens, deps);
        await deps.store.releaseLease(grant.openId, holder);
        return kept.accessToken === accessToken ? { grant: kept, eventId } : { grant: kept };
      }
    } catch (error) {
      const delayMs = 100 * 2 ** attempt;
      // The last attempts may be cut short by the invocation's budget: then there is no time to wait for another.
      if (attempt >= TOKEN_WRITE_ATTEMPTS || timeLeft(deps) < delayMs + 500) {
        deps.log.error(TOKENS_NOT_STORED_MESSAGE, {
          openId: grant.openId,
          error: error instanceof Error ? error.message : 'unknown',
        });
        throw new NewTokensNotStoredError(grant.openId, { cause: error });
      }
      await deps.clock.sleep(delayMs);
    }
  }
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
  deps: Pick<Dependencies, 'store' | 'clock' | 'budget'>,
  options: RefreshOptions,
): Promise<{ grant: Grant } | { fresh: Grant }> {
  // Waiting for another caller leaves a second of the budget for what follows (opening the token it wrote).
  const deadline = deps.clock.now().getTime() + Math.min(options.waitMs, timeLeft(deps) - 1000);
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
  const now = deps.clock.now();
  const event = eventEntry(
    'Reauthorization Required',
    {
      eventId: deps.secrets.oneTimeValue(),
      openId: grant.openId,
      occurredAt: now.toISOString(),
      accountId: grant.accountId,
      reason,
    },
    now,
  );
  await updateReleasingLease(
    grant,
    (base) => ({ ...base, status: 'REAUTH_REQUIRED', lastError: reason }),
    event,
    deps,
    holder,
  );
  return new ReauthorizationRequiredError(grant.openId, reason, { cause });
}

/**
 * Writes what this refresh learnt (with its event) and gives the lease back. When another write moved the grant on
 * meanwhile (an outbox clean-up, a reminder, a claim), what was learnt still holds as long as the refresh token is
 * the one this refresh used: it is applied on top; otherwise (new tokens, a new authorization, a revocation) the
 * newer facts stand, nothing is written and no event goes out.
 */
async function updateReleasingLease(
  leased: Grant,
  change: (base: Grant) => Grant,
  event: OutboxEntry,
  deps: Dependencies,
  holder: string,
): Promise<void> {
  const withEvent = (base: Grant) => withOutbox(change(base), event);
  let written: Grant | undefined;
  try {
    written = await deps.store.updateGrant(withEvent(leased), { releaseLeaseOf: holder });
  } catch (error) {
    if (!(error instanceof StaleGrantError)) throw error;
    written = await updateGrantWithRetry(deps, leased.openId, (current) =>
      current?.status === 'ACTIVE' && current.refreshToken === leased.refreshToken ? withEvent(current) : undefined,
    );
    await deps.store.releaseLease(leased.openId, holder);
  }
  if (written?.outbox.some((entry) => entry.id === event.id)) await deliverAfterCommit(deps, written, [event.id]);
}

async function recordFailure(
  grant: Grant,
  error: unknown,
  deps: Dependencies,
  holder: string,
  learnt: Partial<Pick<Grant, 'suspectRefusalSince'>> = {},
): Promise<void> {
  const reason = error instanceof Error ? error.message : 'unknown failure';
  const failures = grant.refreshFailures + 1;
  const now = deps.clock.now();
  const event = eventEntry(
    'Token Refresh Failed',
    {
      eventId: deps.secrets.oneTimeValue(),
      openId: grant.openId,
      occurredAt: now.toISOString(),
      reason,
      failures,
      // A missing permission does not go away by retrying; anything else might.
      retrying: !(error instanceof TikTokMissingScopeError),
    },
    now,
  );
  await updateReleasingLease(
    grant,
    // Another kind of failure ends a streak of suspect refusals: only refusals in a row for 24 hours are believed.
    (base) => ({
      ...base,
      refreshFailures: base.refreshFailures + 1,
      lastError: reason,
      suspectRefusalSince: undefined,
      ...learnt,
    }),
    event,
    deps,
    holder,
  );
}
