import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import {
  type ReminderDependencies,
  type ReminderSettings,
  type ReminderSweepSummary,
  remindEndingAuthorizations,
} from '../domain/reminders';
import { awsBaseDependencies, awsNotifier } from '../shared/aws-dependencies';
import { reminderSettings } from '../shared/config';
import { once } from '../shared/once';
import { logger, metrics } from '../shared/powertools';
import { budgeted } from '../shared/time-budget';

export type ReminderSweepDependencies = ReminderDependencies & { readonly settings: ReminderSettings };

/** Run daily by EventBridge Scheduler: reminds sellers whose authorization ends soon, once per milestone. */
export function createReminderSweepHandler(dependencies: () => ReminderSweepDependencies) {
  return middy<unknown, ReminderSweepSummary>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(
      budgeted('reminder-sweep', async () => {
        const deps = dependencies();
        const summary = await remindEndingAuthorizations(deps, deps.settings);
        metrics.addMetric('RemindersSent', MetricUnit.Count, summary.reminded);
        deps.log.info('reminder sweep done', { ...summary });
        return summary;
      }),
    );
}

export const handler = createReminderSweepHandler(
  once(() => ({ ...awsBaseDependencies(), notifier: awsNotifier(), settings: reminderSettings(process.env) })),
);
