import type { Dependencies } from '../lambdas/domain/dependencies';
import {
  enqueueDueGrants,
  type QueuedRefreshOutcome,
  type RefreshWorkerSettings,
  refreshQueuedGrants,
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

/**
 * What the refresh schedule and worker do on AWS, run now: the sweep enqueues the grants due, then the worker
 * drains every visible message in batches; failed ones go back to the queue with a growing delay, as on SQS.
 */
export async function runRefreshJob(
  deps: Dependencies,
  queue: LocalRefreshQueue,
  settings: RefreshWorkerSettings,
): Promise<RefreshJobSummary> {
  const sweep = await enqueueDueGrants({ ...deps, queue }, settings);
  const outcomes: Partial<Record<QueuedRefreshOutcome, number>> = {};
  for (let batch = queue.receive(10); batch.length > 0; batch = queue.receive(10)) {
    // Each batch is one worker invocation, with the worker's budget less what handing messages back keeps.
    const result = await asInvocation('refresh-worker', undefined, () =>
      withinBudget(invocationBudget.remainingMs() - WORKER_HAND_BACK_MS, () =>
        refreshQueuedGrants(batch, deps, settings),
      ),
    );
    for (const { outcome } of result.outcomes) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const handedBack = new Set(result.handBack.map(({ message }) => message.id));
    for (const message of batch) if (!handedBack.has(message.id)) queue.delete(message.id);
    for (const { message, delaySeconds } of result.handBack) queue.retryLater(message.id, delaySeconds);
  }
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
