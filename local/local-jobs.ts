import type { Dependencies } from '../lambdas/domain/dependencies';
import {
  enqueueDueGrants,
  type QueuedRefreshOutcome,
  type RefreshMessage,
  type RefreshWorkerSettings,
  refreshQueuedGrants,
  TikTokSlots,
} from '../lambdas/domain/token-refresh';
import { asInvocation, invocationBudget, withinBudget } from '../lambdas/shared/time-budget';
import { WORKER_HAND_BACK_MS } from '../lambdas/shared/timings';
import type { LocalRefreshQueue } from './local-refresh-queue';

export interface RefreshJobSummary {
  readonly found: number;
  readonly enqueued: number;
  readonly refreshed: number;
  readonly failed: number;
  readonly reauthorizationRequired: number;
  readonly outcomes: Partial<Record<QueuedRefreshOutcome, number>>;
  readonly queue: ReturnType<LocalRefreshQueue['depth']>;
}

/** Worker invocations at once, as the queue's event source allows on AWS (its `maxConcurrency`). */
const WORKER_INVOCATIONS = 2;

/** What the refresh schedule and worker do on AWS, run now: the sweep enqueues the grants due, and workers drain them. */
export async function runRefreshJob(
  deps: Dependencies,
  queue: LocalRefreshQueue,
  settings: RefreshWorkerSettings,
): Promise<RefreshJobSummary> {
  const sweep = await enqueueDueGrants({ ...deps, queue }, settings);
  const outcomes = await drainRefreshQueue(deps, queue, settings);
  return {
    found: sweep.found,
    enqueued: sweep.enqueued,
    refreshed: outcomes.refreshed ?? 0,
    failed: (outcomes.retry ?? 0) + (outcomes['suspect-refusal'] ?? 0),
    reauthorizationRequired: outcomes['reauthorization-required'] ?? 0,
    outcomes,
    queue: queue.depth(),
  };
}

/**
 * The worker's part: invocations take batches of every visible message; failed ones go back to the queue with a
 * growing delay, as on SQS. Two invocations run at once, as the event source runs them, so one's batch starts while
 * the other's last refreshes are still storing; here they share one limit of `concurrency` refreshes (on AWS each
 * worker has its own). Returns how many messages came to each outcome.
 */
export async function drainRefreshQueue(
  deps: Dependencies,
  queue: LocalRefreshQueue,
  settings: RefreshWorkerSettings,
): Promise<Partial<Record<QueuedRefreshOutcome, number>>> {
  const outcomes: Partial<Record<QueuedRefreshOutcome, number>> = {};
  const slots = new TikTokSlots(settings.concurrency, deps.clock.now().getTime());
  const invokeUntilEmpty = async () => {
    for (let batch = queue.receive(10); batch.length > 0; batch = queue.receive(10)) {
      for (const outcome of await invokeWorker(batch, deps, queue, settings, slots)) {
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKER_INVOCATIONS }, invokeUntilEmpty));
  return outcomes;
}

/**
 * One worker invocation over `batch`, with the worker's budget less what handing messages back keeps; deletes the
 * messages done with and brings the others back after their delay. Returns each message's outcome.
 */
async function invokeWorker(
  batch: RefreshMessage[],
  deps: Dependencies,
  queue: LocalRefreshQueue,
  settings: RefreshWorkerSettings,
  slots: TikTokSlots,
): Promise<QueuedRefreshOutcome[]> {
  const result = await asInvocation('refresh-worker', undefined, () =>
    withinBudget(invocationBudget.remainingMs() - WORKER_HAND_BACK_MS, () =>
      refreshQueuedGrants(batch, deps, settings, slots),
    ),
  );
  const handedBack = new Set(result.handBack.map(({ message }) => message.id));
  for (const message of batch) if (!handedBack.has(message.id)) queue.delete(message.id);
  for (const { message, delaySeconds } of result.handBack) queue.retryLater(message.id, delaySeconds);
  return result.outcomes.map(({ outcome }) => outcome);
}
