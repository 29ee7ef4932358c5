import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import {
  deliverPendingEvents,
  type OutboxDependencies,
  type OutboxSettings,
  type OutboxSweepSummary,
} from '../domain/outbox';
import { awsBaseDependencies, awsNotifier } from '../shared/aws-dependencies';
import { outboxSettings } from '../shared/config';
import { once } from '../shared/once';
import { logger, metrics } from '../shared/powertools';
import { budgeted } from '../shared/time-budget';

export type OutboxSweepDependencies = OutboxDependencies & { readonly settings: OutboxSettings };

/**
 * Run every few minutes by EventBridge Scheduler: delivers the events and messages that a function stored with its
 * change but could not deliver (the bus or SNS failed, or the function died in between).
 */
export function createOutboxSweepHandler(dependencies: () => OutboxSweepDependencies) {
  return middy<unknown, OutboxSweepSummary>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(
      budgeted('outbox-sweep', async () => {
        const deps = dependencies();
        const summary = await deliverPendingEvents(deps, deps.settings);
        metrics.addMetric('EventsRedelivered', MetricUnit.Count, summary.delivered);
        metrics.addMetric('EventsUndelivered', MetricUnit.Count, summary.failed);
        if (summary.found > 0) deps.log.warn('the outbox sweep found undelivered events', { ...summary });
        return summary;
      }),
    );
}

export const handler = createOutboxSweepHandler(
  once(() => ({ ...awsBaseDependencies(), notifier: awsNotifier(), settings: outboxSettings(process.env) })),
);
