import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Dependencies } from '../domain/dependencies';
import { enqueueDueGrants, type SweepSummary, type TokenRefreshSettings } from '../domain/token-refresh';
import type { RefreshQueue } from '../ports';
import { awsRefreshQueue, awsRefusalLedger, awsStore } from '../shared/aws-dependencies';
import { systemClock } from '../shared/clock';
import { tokenRefreshSettings } from '../shared/config';
import { once } from '../shared/once';
import { logger, metrics } from '../shared/powertools';
import { budgeted, invocationBudget } from '../shared/time-budget';

export type RefreshSweepDependencies = Pick<Dependencies, 'store' | 'clock' | 'log' | 'refusals' | 'budget'> & {
  readonly queue: RefreshQueue;
  readonly settings: TokenRefreshSettings;
};

/** Run by EventBridge Scheduler (every 30 minutes by default): enqueues the grants due for refresh. */
export function createRefreshSweepHandler(dependencies: () => RefreshSweepDependencies) {
  return middy<unknown, SweepSummary>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(
      budgeted('refresh-sweep', async () => {
        const deps = dependencies();
        const summary = await enqueueDueGrants(deps, deps.settings);
        metrics.addMetric('GrantsDueForRefresh', MetricUnit.Count, summary.found);
        deps.log.info('refresh sweep done', { ...summary });
        return summary;
      }),
    );
}

export const handler = createRefreshSweepHandler(
  once(() => ({
    store: awsStore(),
    refusals: awsRefusalLedger(),
    budget: invocationBudget,
    clock: systemClock,
    log: logger,
    queue: awsRefreshQueue(),
    settings: tokenRefreshSettings(process.env),
  })),
);
