import { createHash } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoDbWebhookReceipts } from '../adapters/dynamodb/dynamodb-webhook-receipts';
import { verifyWebhookSignature } from '../adapters/tiktok/webhook-signature';
import {
  receiveWebhook,
  WEBHOOK_TYPE_NAMES,
  type WebhookDependencies,
  type WebhookOutcome,
  type WebhookSettings,
  webhookSchema,
} from '../domain/webhooks';
import type { AppCredentials } from '../ports';
import { createDocumentClient, FAST_AWS_CALLS } from '../shared/aws-clients';
import { awsAppCredentials, awsBaseDependencies, awsNotifier } from '../shared/aws-dependencies';
import { required, webhookSettings } from '../shared/config';
import { empty, type HttpResult, json, rawBody } from '../shared/http';
import { once } from '../shared/once';
import { logger, metrics } from '../shared/powertools';
import { WEBHOOK_PATH } from '../shared/routes';
import { budgeted } from '../shared/time-budget';

export type TikTokWebhookDependencies = WebhookDependencies & {
  readonly credentials: AppCredentials;
  readonly settings: WebhookSettings;
};

const OUTCOME_METRICS = {
  processed: 'WebhookProcessed',
  duplicate: 'WebhookDuplicate',
  'in-progress': 'WebhookDuplicate',
  // Sent before the seller's latest authorization, or replayed after its receipt lapsed: answered 200, no effect.
  stale: 'WebhookStale',
} as const satisfies Record<WebhookOutcome, string>;

/** TikTok's webhooks are small; a larger body is refused before it is hashed. */
export const MAX_WEBHOOK_BYTES = 64 * 1024;

/**
 * POST /webhooks/tiktok: verify the signature over the exact bytes received, then parse, then act once. TikTok
 * retries anything but a 200, so failures answer 5xx and duplicates answer 200 without a second effect. On AWS the
 * function's own URL passes every method and path: anything else is refused before the secret is read.
 */
export function createTikTokWebhookHandler(dependencies: () => TikTokWebhookDependencies) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use({
      onError: async (request) => {
        logger.error('webhook failed; TikTok will retry', { error: request.error?.message });
        request.response = empty(500);
      },
    })
    .handler(
      budgeted('tiktok-webhook', async (event: APIGatewayProxyEventV2) => {
        const otherRoute = otherRouteAnswer(event);
        if (otherRoute) {
          // Counted, not logged: a scanner's requests to the public URL would otherwise fill the logs.
          metrics.addMetric('WebhookRejectedRoute', MetricUnit.Count, 1);
          return otherRoute;
        }
        const deps = dependencies();
        const body = rawBody(event);
        if (body.length > MAX_WEBHOOK_BYTES) {
          metrics.addMetric('WebhookRejectedTooLarge', MetricUnit.Count, 1);
          return empty(413);
        }
        const { appKey, appSecret } = await deps.credentials.get();
        if (!verifyWebhookSignature(event.headers?.authorization, appKey, appSecret, body)) {
          metrics.addMetric('WebhookSignatureRejected', MetricUnit.Count, 1);
          deps.log.warn('webhook refused: bad or missing signature', { bytes: body.length });
          return empty(401);
        }
        const parsed = parseJson(body);
        const webhook = webhookSchema.safeParse(parsed);
        if (!webhook.success) {
          metrics.addMetric('WebhookRejectedMalformed', MetricUnit.Count, 1);
          deps.log.warn('signed body is not a webhook');
          return json(400, { error: { code: 'NOT_A_WEBHOOK', message: 'the body is not a TikTok Shop webhook' } });
        }
        const deliveryId =
          webhook.data.tts_notification_id ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
        if (!webhook.data.shop_id && namesAShop(parsed)) {
          deps.log.warn('webhook with a shop_id that is not an id: forwarded without a shop', {
            type: webhook.data.type,
            deliveryId,
          });
        }
        const outcome = await receiveWebhook(webhook.data, deliveryId, deps, deps.settings);
        metrics.addDimension('type', WEBHOOK_TYPE_NAMES[webhook.data.type] ?? `UNKNOWN_${webhook.data.type}`);
        metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
        // DEBUG: one line per webhook is most of the log bill at scale; the metrics above count them.
        deps.log.debug('webhook received', {
          type: webhook.data.type,
          shopId: webhook.data.shop_id,
          deliveryId,
          outcome,
        });
        // A copy still being processed elsewhere is not done yet: a non-200 makes TikTok come back for it.
        return empty(outcome === 'in-progress' ? 503 : 200);
      }),
    );
}

/** The answer to anything but `POST /webhooks/tiktok`: 404 for another path, 405 for another method. */
function otherRouteAnswer(event: APIGatewayProxyEventV2): HttpResult | undefined {
  if (event.rawPath !== WEBHOOK_PATH) return empty(404);
  if (event.requestContext.http.method === 'POST') return undefined;
  const notAllowed = empty(405);
  return { ...notAllowed, headers: { ...notAllowed.headers, allow: 'POST' } };
}

/** Whether a body sent something as `shop_id` (the schema reads an empty one, or one that is no id, as none). */
function namesAShop(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const shopId: unknown = Reflect.get(json, 'shop_id');
  return shopId !== undefined && shopId !== null && shopId !== '';
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export const handler = createTikTokWebhookHandler(
  once(() => ({
    ...awsBaseDependencies(process.env, FAST_AWS_CALLS),
    credentials: awsAppCredentials(process.env, FAST_AWS_CALLS),
    notifier: awsNotifier(process.env, FAST_AWS_CALLS),
    receipts: new DynamoDbWebhookReceipts(
      createDocumentClient({}, FAST_AWS_CALLS),
      required(process.env, 'TABLE_NAME'),
    ),
    settings: webhookSettings(process.env),
  })),
);
