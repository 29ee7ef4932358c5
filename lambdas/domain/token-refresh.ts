import type { RefreshQueue, TikTokAuthApi } from '../ports';
import { ConcurrencyLimit, mapWithConcurrency } from '../shared/concurrency';
import { type Dependencies, timeLeft } from './dependencies';
import {
  AccessRevokedError,
  GrantNotFoundError,
  ReauthorizationRequiredError,
  RefreshNotStartedError,
  RefreshPausedError,
  TikTokAppCredentialsError,
  TikTokMissingScopeError,
  TikTokSuspectRefusalError,
} from './errors';
import { refreshGrant } from './refresh-grant';
import { pausedUntil } from './refusals';

export interface TokenRefreshSettings {
  /** Grants whose access token expires within this are refreshed: many chances to retry before it matters. */
  readonly refreshAheadMs: number;
  /** How long a worker's lease lasts: longer than its slowest refresh. */
  readonly leaseMs: number;
}

export interface RefreshWorkerSettings extends TokenRefreshSettings {
  /**
   * Calls to TikTok at once in one worker (TikTok's rate limits). The reads and writes around each call hold no
   * slot, so the slots stay busy; a batch has at most its size of refreshes in progress.
   */
  readonly concurrency: number;
  /** A refresh starts only with this much of the invocation's budget left; the rest of the batch is handed back. */
  readonly refreshNeedsMs: number;
}

const MINUTE = 60_000;

/**
 * How long a grant counts as queued once enqueued, unless the worker says otherwise: longer than a message waits
 * for a worker on a busy day, so the sweep does not enqueue it twice.
 */
export const QUEUED_HOLD_MS = 6 * 60 * MINUTE;

/**
 * A grant whose message waits out a retry delay stays held that long and `QUEUED_HOLD_MS` more: the queue brings the
 * message back, and a busy worker may take a while to receive it. A grant held past a pause waits this little.
 */
const HOLD_SLACK_MS = 5 * MINUTE;

/** A message handed back unstarted (no time left in the invocation) comes back after this. */
export const DEFERRED_DELAY_SECONDS = 10;

/** The sweep reads another page only with this much of its budget left. */
const SWEEP_PAGE_NEEDS_MS = 10_000;

/** The growing delay of a refresh that keeps failing: 1, 2, 4 ... minutes, at most 6 hours. */
export const retryDelaySeconds = (receiveCount: number) => Math.min(6 * 3600, 60 * 2 ** Math.max(0, receiveCount - 1));

export interface SweepSummary {
  /** Grants due. */
  readonly found: number;
  /** Grants enqueued: the due ones not queued already, nor waiting out a backoff or a pause. */
  readonly enqueued: number;
  readonly pages: number;
  /** Set when refreshes are paused: nothing was enqueued. */
  readonly pausedUntil?: Date;
  /** The budget ran out before the last page: the next sweep goes on. */
  readonly cutShort?: boolean;
}

/**
 * The refresh sweep (design flow 6):
 * 1. while refreshes are paused (the circuit breaker), it enqueues nothing;
 * 2. it pages through the index of active grants whose access token expires within the refresh-ahead window,
 *    never the whole table, while its budget lasts;
 * 3. each grant due is marked queued by a conditional write, and enqueued only when this sweep marked it: a grant
 *    already queued, or waiting out a backoff or a pause, has at most one message.
 * What it reads grows with the grants due, not with the grants stored. Ended authorizations are enqueued too: the
 * refresh path marks them REAUTH_REQUIRED before any call to TikTok.
 */
export async function enqueueDueGrants(
  deps: Pick<Dependencies, 'store' | 'clock' | 'refusals' | 'budget'> & { readonly queue: RefreshQueue },
  settings: TokenRefreshSettings,
): Promise<SweepSummary> {
  const now = deps.clock.now();
  const paused = pausedUntil(await deps.refusals.read(), now);
  if (paused) return { found: 0, enqueued: 0, pages: 0, pausedUntil: paused };
  const before = new Date(now.getTime() + settings.refreshAheadMs);
  const queuedUntil = new Date(now.getTime() + QUEUED_HOLD_MS);
  let found = 0;
  let enqueued = 0;
  let pages = 0;
  let cursor: string | undefined;
  do {
    if (pages > 0 && timeLeft(deps) < SWEEP_PAGE_NEEDS_MS) return { found, enqueued, pages, cutShort: true };
    const page = await deps.store.listDueForRefresh(before, cursor);
    pages++;
    found += page.items.length;
    const claimed = (
      await mapWithConcurrency(page.items, 10, async (ref) =>
        (await deps.store.claimRefresh(ref.openId, now, queuedUntil)) ? ref.openId : undefined,
      )
    ).filter((openId): openId is string => openId !== undefined);
    if (claimed.length > 0) {
      try {
        await deps.queue.enqueue(claimed);
      } catch (error) {
        // Not enqueued, so not queued: the next sweep may take them again.
        await Promise.allSettled(claimed.map((openId) => deps.store.holdRefresh(openId, now)));
        throw error;
      }
    }
    enqueued += claimed.length;
    cursor = page.cursor;
  } while (cursor);
  return { found, enqueued, pages };
}

/**
 * What became of one queued refresh. `retry` and `suspect-refusal` bring the message back after a growing delay;
 * `deferred` (no time left to start it) brings it back soon, and is no failure; `paused` lets it go, the grant
 * held until refreshes resume, when the sweep enqueues it again.
 */
export type QueuedRefreshOutcome =
  | 'refreshed'
  | 'fresh-already'
  | 'reauthorization-required'
  | 'revoked'
  | 'unknown-seller'
  | 'missing-scope'
  | 'retry'
  | 'suspect-refusal'
  | 'paused'
  | 'deferred';

/**
 * One queued refresh through the shared refresh path, without waiting for another holder's lease. Outcomes that
 * a retry cannot change are final; anything else (TikTok unavailable, a lease held, a bus or store hiccup) is
 * `retry`, for the queue to bring back with a growing delay.
 */
export async function refreshQueuedGrant(
  openId: string,
  holder: string,
  deps: Dependencies,
  settings: TokenRefreshSettings,
): Promise<QueuedRefreshOutcome> {
  try {
    const result = await refreshGrant(openId, deps, {
      holder,
      leaseMs: settings.leaseMs,
      freshForMs: settings.refreshAheadMs,
      waitMs: 0,
    });
    return result.refreshed ? 'refreshed' : 'fresh-already';
  } catch (error) {
    if (error instanceof ReauthorizationRequiredError) return 'reauthorization-required';
    if (error instanceof AccessRevokedError) return 'revoked';
    if (error instanceof GrantNotFoundError) return 'unknown-seller';
    // A missing permission is not a token problem: it is reported, and retrying would not grant it.
    if (error instanceof TikTokMissingScopeError) return 'missing-scope';
    if (error instanceof RefreshPausedError) return 'paused';
    if (error instanceof RefreshNotStartedError) return 'deferred';
    if (error instanceof TikTokSuspectRefusalError || error instanceof TikTokAppCredentialsError) {
      return 'suspect-refusal';
    }
    deps.log.warn('refresh will be retried', { openId, error: error instanceof Error ? error.message : 'unknown' });
    return 'retry';
  }
}

/** A queued refresh request, as a queue delivers it. */
export interface RefreshMessage {
  readonly id: string;
  readonly openId: string;
  /** How many times the queue has delivered it, this time included. */
  readonly receiveCount: number;
}

export interface BatchResult {
  readonly outcomes: ReadonlyArray<{ readonly id: string; readonly outcome: QueuedRefreshOutcome }>;
  /** The messages to bring back, each after its delay; every other message is done with. */
  readonly handBack: ReadonlyArray<{ readonly message: RefreshMessage; readonly delaySeconds: number }>;
}

/**
 * A batch of queued refreshes, all at once but with at most `concurrency` calls to TikTok at a time (its rate
 * limits), each through the shared path:
 * 1. a refresh starts, and calls TikTok when its turn comes, only while the invocation's budget can hold it; the
 *    rest are handed back unstarted;
 * 2. failed ones are handed back with a growing delay, their grant held as queued until then;
 * 3. paused ones are let go, their grant held until refreshes resume.
 * Nothing is thrown for one message, so the rest of the batch is not delivered again. `slots` is the limit the
 * refreshes take turns in: this batch's own unless one is shared with other batches (local mode runs several).
 */
export async function refreshQueuedGrants(
  messages: readonly RefreshMessage[],
  deps: Dependencies,
  settings: RefreshWorkerSettings,
  slots = new TikTokSlots(settings.concurrency, deps.clock.now().getTime()),
): Promise<BatchResult> {
  const outcomes = await Promise.all(
    messages.map(async (message) => ({ message, outcome: await refreshInSlot(message, deps, settings, slots) })),
  );
  const now = deps.clock.now();
  const resumeAt = outcomes.some(({ outcome }) => outcome === 'paused')
    ? ((await deps.refusals.read().catch(() => undefined))?.pausedUntil ?? now)
    : now;
  const handBack: Array<{ message: RefreshMessage; delaySeconds: number }> = [];
  await Promise.all(
    outcomes.map(async ({ message, outcome }) => {
      if (outcome === 'deferred') {
        handBack.push({ message, delaySeconds: DEFERRED_DELAY_SECONDS });
      } else if (outcome === 'retry' || outcome === 'suspect-refusal') {
        const delaySeconds = retryDelaySeconds(message.receiveCount);
        handBack.push({ message, delaySeconds });
        await hold(deps, message.openId, new Date(now.getTime() + delaySeconds * 1000 + QUEUED_HOLD_MS));
      } else if (outcome === 'paused') {
        const held = await hold(deps, message.openId, new Date(resumeAt.getTime() + HOLD_SLACK_MS));
        // A grant that could not be held waits in the queue instead, as long as the pause.
        if (!held) handBack.push({ message, delaySeconds: Math.ceil((resumeAt.getTime() - now.getTime()) / 1000) });
      }
    }),
  );
  return { outcomes: outcomes.map(({ message, outcome }) => ({ id: message.id, outcome })), handBack };
}

/**
 * One queued refresh, whose call to TikTok takes a slot of `slots` (TikTok's rate limits are about calls): the reads
 * and writes around the call (the breaker, the lease, sealing, storing, the event) hold no slot, so while they run
 * other refreshes keep TikTok's slots busy. When its turn comes, a refresh still needs the budget to call, and a
 * call that failed keeps its slot until its failure has been noted, after which the next one looks at the breaker
 * again: a pause that failure called stops the refreshes waiting behind it, as if they had started after it.
 */
async function refreshInSlot(
  message: RefreshMessage,
  deps: Dependencies,
  settings: RefreshWorkerSettings,
  slots: TikTokSlots,
): Promise<QueuedRefreshOutcome> {
  if (timeLeft(deps) < settings.refreshNeedsMs) return 'deferred';
  const holder = `worker:${message.id}:${message.receiveCount}`;
  const turn: Turn = { failed: false };
  try {
    const tiktok = takingTurns(deps, settings, slots, turn);
    return await refreshQueuedGrant(message.openId, holder, { ...deps, tiktok }, settings);
  } finally {
    // The failure is noted now (a pause it called is written): the turn goes straight to the next in line, who looks.
    if (turn.failed) slots.failedSinceLook = true;
    turn.release?.();
  }
}

/** One refresh's turn at TikTok: how to give it back, and whether its call failed. */
interface Turn {
  release?: () => void;
  failed: boolean;
}

/**
 * A turn looks at the breaker again when the last look is older than this: a pause the other worker called while
 * refreshes waited for their turn stops them within a second, as it did when each refresh looked as it started.
 */
export const BREAKER_LOOK_MS = 1_000;

/** The slots of TikTok calls one worker shares, and when the breaker was last looked at. */
export class TikTokSlots {
  readonly limit: ConcurrencyLimit;
  /** A call failed since the breaker was last looked at: the next turn looks first. */
  failedSinceLook = false;
  /** When a turn last looked at the breaker (ms); the refreshes look as they start, before their turn. */
  lookedAt: number;

  constructor(size: number, now = Date.now()) {
    this.limit = new ConcurrencyLimit(size);
    this.lookedAt = now;
  }

  /** Whether a turn taken at `now` looks at the breaker first. */
  looksAt(now: number): boolean {
    return this.failedSinceLook || now - this.lookedAt >= BREAKER_LOOK_MS;
  }
}

/** `deps.tiktok`, whose token refreshes each wait for a slot, and keep it only until answered well. */
function takingTurns(
  deps: Dependencies,
  settings: RefreshWorkerSettings,
  slots: TikTokSlots,
  turn: Turn,
): TikTokAuthApi {
  return {
    exchangeAuthCode: (authCode) => deps.tiktok.exchangeAuthCode(authCode),
    getAuthorizedShops: (accessToken) => deps.tiktok.getAuthorizedShops(accessToken),
    refreshTokens: async (refreshToken) => {
      turn.release = await slots.limit.acquire();
      if (timeLeft(deps) < settings.refreshNeedsMs) throw new RefreshNotStartedError();
      if (slots.looksAt(deps.clock.now().getTime())) {
        // Not read: the refresh waits for a later turn rather than count a failure it did not have.
        const record = await deps.refusals.read().catch(() => {
          throw new RefreshNotStartedError();
        });
        const paused = pausedUntil(record, deps.clock.now());
        // Paused: the refreshes behind this one look again, and stop too.
        if (paused) throw new RefreshPausedError(paused);
        slots.failedSinceLook = false;
        slots.lookedAt = deps.clock.now().getTime();
      }
      try {
        const tokens = await deps.tiktok.refreshTokens(refreshToken);
        turn.release();
        return tokens;
      } catch (error) {
        // Given back once the failure is noted (by `refreshInSlot`), not now.
        turn.failed = true;
        throw error;
      }
    },
  };
}

/** Holds a grant as queued until `until`; false when the write failed (the sweep may then enqueue it again). */
async function hold(deps: Dependencies, openId: string, until: Date): Promise<boolean> {
  try {
    await deps.store.holdRefresh(openId, until);
    return true;
  } catch (error) {
    deps.log.warn('a refresh could not be held as queued', {
      openId,
      error: error instanceof Error ? error.message : 'unknown',
    });
    return false;
  }
}
