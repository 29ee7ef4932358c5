import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import type { Dependencies } from '../domain/dependencies';
import { type RefreshMessage, type RefreshWorkerSettings, refreshQueuedGrants } from '../domain/token-refresh';
import { awsDependencies, awsMessageDelays } from '../shared/aws-dependencies';
import { tokenRefreshSettings } from '../shared/config';
import { once } from '../shared/once';
import { logger, metrics } from '../shared/powertools';
import { trimmed } from '../shared/schemas';
import { budgeted, invocationBudget, withinBudget } from '../shared/time-budget';
import { WORKER_HAND_BACK_MS } from '../shared/timings';

export type RefreshWorkerDependencies = Dependencies & {
  readonly settings: RefreshWorkerSettings;
  /** Brings a failed message back after a growing delay rather than the queue's fixed timeout. */
  readonly retryLater: (receiptHandle: string, delaySeconds: number) => Promise<void>;
};

const messageBody = z.object({ openId: trimmed(1, 128) });

const OUTCOME_METRICS: Record<string, string> = {
  refreshed: 'TokensRefreshed',
  'reauthorization-required': 'ReauthorizationRequired',
  'missing-scope': 'RefreshMissingScope',
  retry: 'TokenRefreshFailed',
  // Counted apart: a suspect refusal may be the app's secret (its log line raises the credentials alarm).
  'suspect-refusal': 'RefreshRefusedSuspect',
  paused: 'RefreshPaused',
  // Handed back unstarted for lack of time: no failure.
  deferred: 'RefreshDeferred',
};

/**
 * The refresh worker (SQS, in batches): refreshes each grant through the shared path and reports the ones to try
 * again as partial batch failures, each brought back after a growing delay; after the queue's last delivery a
 * message goes to the dead-letter queue, where an alarm watches.
 */
export function createRefreshWorkerHandler(dependencies: () => RefreshWorkerDependencies) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(
      budgeted('refresh-worker', async (event: SQSEvent) => {
        const deps = dependencies();
        const messages: RefreshMessage[] = [];
        const malformed: string[] = [];
        for (const record of event.Records) {
          const body = messageBody.safeParse(parseJson(record.body));
          if (body.success) {
            messages.push({
              id: record.messageId,
              openId: body.data.openId,
              receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
            });
          } else {
            malformed.push(record.messageId);
          }
        }
        if (malformed.length)
          deps.log.error('refresh messages that are not {"openId"} go to the dead-letter queue', {
            count: malformed.length,
          });

        const result = await withinBudget(invocationBudget.remainingMs() - WORKER_HAND_BACK_MS, () =>
          refreshQueuedGrants(messages, deps, deps.settings),
        );
        for (const { outcome } of result.outcomes) {
          const metric = OUTCOME_METRICS[outcome];
          if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
        }
        const handles = new Map(event.Records.map((record) => [record.messageId, record.receiptHandle]));
        await invocationBudget.finishing(() =>
          Promise.all(
            result.handBack.map(async ({ message, delaySeconds }) => {
              const handle = handles.get(message.id);
              // If the delay cannot be set, the queue's own visibility timeout still brings the message back; said
              // all the same, since a role or queue policy that refuses it would otherwise go unseen.
              if (handle) {
                await deps.retryLater(handle, delaySeconds).catch((error: unknown) =>
                  deps.log.warn('could not set the retry delay of a refresh message', {
                    messageId: message.id,
                    delaySeconds,
                    error: error instanceof Error ? error.message : 'unknown',
                  }),
                );
              }
            }),
          ),
        );
        return {
          batchItemFailures: [...result.handBack.map(({ message }) => message.id), ...malformed].map(
            (itemIdentifier) => ({
              itemIdentifier,
            }),
          ),
        };
      }),
    );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const handler = createRefreshWorkerHandler(
  once(() => {
    const queue = awsMessageDelays();
    return {
      ...awsDependencies(),
      settings: tokenRefreshSettings(process.env),
      retryLater: (handle: string, delay: number) => queue.retryLater(handle, delay),
    };
  }),
);
