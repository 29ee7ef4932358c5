import type { RefreshQueue } from '../ports';
import { mapWithConcurrency } from '../shared/concurrency';
import type { Dependencies } from './dependencies';
import {
  AccessRevokedError,
  GrantNotFoundError,
  ReauthorizationRequiredError,
  TikTokMissingScopeError,
} from './errors';
import { refreshGrant } from './refresh-grant';

export interface TokenRefreshSettings {
  /** Grants whose access token expires within this are refreshed: many chances to retry before it matters. */
  readonly refreshAheadMs: number;
  /** How long a worker's lease lasts: longer than its slowest refresh. */
  readonly leaseMs: number;
}

export interface SweepSummary {
  readonly found: number;
  readonly enqueued: number;
  readonly pages: number;
}

/**
 * The refresh sweep (design flow 6): pages through the index of active grants whose access token expires within
 * the refresh-ahead window, never the whole table, and enqueues them page by page. What it reads grows with the
 * grants due, not with the grants stored. Ended authorizations are enqueued too: the refresh path marks them
 * REAUTH_REQUIRED before any call to TikTok.
 */
export async function enqueueDueGrants(
  deps: Pick<Dependencies, 'store' | 'clock'> & { readonly queue: RefreshQueue },
  settings: TokenRefreshSettings,
): Promise<SweepSummary> {
  const before = new Date(deps.clock.now().getTime() + settings.refreshAheadMs);
  let found = 0;
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listDueForRefresh(before, cursor);
    pages++;
    found += page.items.length;
    if (page.items.length > 0) await deps.queue.enqueue(page.items.map((ref) => ref.openId));
    cursor = page.cursor;
  } while (cursor);
  return { found, enqueued: found, pages };
}

/** What became of one queued refresh; `retry` means the message must come back later. */
export type QueuedRefreshOutcome =
  | 'refreshed'
  | 'fresh-already'
  | 'reauthorization-required'
  | 'revoked'
  | 'unknown-seller'
  | 'missing-scope'
  | 'retry';

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
  /** The messages to bring back later. */
  readonly retry: readonly RefreshMessage[];
}

/**
 * A batch of queued refreshes, at most `concurrency` at once (TikTok's rate limits), each through the shared
 * path; the ones to retry are reported, not thrown, so the rest of the batch is not delivered again.
 */
export async function refreshQueuedGrants(
  messages: readonly RefreshMessage[],
  deps: Dependencies,
  settings: TokenRefreshSettings & { readonly concurrency: number },
): Promise<BatchResult> {
  const outcomes = await mapWithConcurrency(messages, settings.concurrency, async (message) => ({
    id: message.id,
    outcome: await refreshQueuedGrant(message.openId, `worker:${message.id}:${message.receiveCount}`, deps, settings),
  }));
  const retryIds = new Set(outcomes.filter((result) => result.outcome === 'retry').map((result) => result.id));
  return { outcomes, retry: messages.filter((message) => retryIds.has(message.id)) };
}
