import { retryDelaySeconds } from '../lambdas/adapters/queue/sqs-refresh-queue';
import type { Dependencies } from '../lambdas/domain/dependencies';
import {
  enqueueDueGrants,
  type QueuedRefreshOutcome,
  refreshQueuedGrants,
  type TokenRefreshSettings,
} from '../lambdas/domain/token-refresh';
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
  settings: TokenRefreshSettings & { readonly concurrency: number },
): Promise<RefreshJobSummary> {
  const sweep = await enqueueDueGrants({ ...deps, queue }, settings);
  const outcomes: Partial<Record<QueuedRefreshOutcome, number>> = {};
  for (let batch = queue.receive(10); batch.length > 0; batch = queue.receive(10)) {
    const result = await refreshQueuedGrants(batch, deps, settings);
    for (const { id, outcome } of result.outcomes) {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome !== 'retry') queue.delete(id);
    }
    for (const message of result.retry) queue.retryLater(message.id, retryDelaySeconds(message.receiveCount));
  }
  return {
    found: sweep.found,
    enqueued: sweep.enqueued,
    refreshed: outcomes.refreshed ?? 0,
    failed: outcomes.retry ?? 0,
    reauthorizationRequired: outcomes['reauthorization-required'] ?? 0,
    outcomes,
    queue: queue.depth(),
  };
}
