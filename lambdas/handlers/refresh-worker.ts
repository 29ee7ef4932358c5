import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { retryDelaySeconds } from '../adapters/queue/sqs-refresh-queue';
import type { Dependencies } from '../domain/dependencies';
import { type RefreshMessage, refreshQueuedGrants, type TokenRefreshSettings } from '../domain/token-refresh';
import { awsDependencies, awsRefreshQueue } from '../shared/aws-dependencies';
import { tokenRefreshSettings } from '../shared/config';
import { once } from '../shared/once';
import { logger, metrics } from '../shared/powertools';

export type RefreshWorkerDependencies = Dependencies & {
  readonly settings: TokenRefreshSettings & { readonly concurrency: number };
  /** Brings a failed message back after a growing delay rather than the queue's fixed timeout. */
  readonly retryLater: (receiptHandle: string, delaySeconds: number) => Promise<void>;
};

const messageBody = z.object({ openId: z.string().trim().min(1).max(128) });

const OUTCOME_METRICS: Record<string, string> = {
  refreshed: 'TokensRefreshed',
  'reauthorization-required': 'ReauthorizationRequired',
  'missing-scope': 'RefreshMissingScope',
  retry: 'TokenRefreshFailed',
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
    .handler(async (event) => {
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

      const result = await refreshQueuedGrants(messages, deps, deps.settings);
      for (const { outcome } of result.outcomes) {
        const metric = OUTCOME_METRICS[outcome];
        if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
      }
      const handles = new Map(event.Records.map((record) => [record.messageId, record.receiptHandle]));
      await Promise.all(
        result.retry.map(async (message) => {
          const handle = handles.get(message.id);
          // If the delay cannot be set, the queue's own visibility timeout still brings the message back.
          if (handle) await deps.retryLater(handle, retryDelaySeconds(message.receiveCount)).catch(() => undefined);
        }),
      );
      return {
        batchItemFailures: [...result.retry.map((message) => message.id), ...malformed].map((itemIdentifier) => ({
          itemIdentifier,
        })),
      };
    });
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
    const queue = awsRefreshQueue();
    return {
      ...awsDependencies(),
      settings: tokenRefreshSettings(process.env),
      retryLater: (handle: string, delay: number) => queue.retryLater(handle, delay),
    };
  }),
);
