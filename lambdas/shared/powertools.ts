import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from './logger';

/** The one logger of a function (Powertools, redacting); handlers and adapters share it. */
export const logger = createLogger();

/** The one metrics emitter of a function (CloudWatch embedded metric format, flushed after each request). */
export const metrics = new Metrics({ namespace: 'TikTokShopAuth', serviceName: 'tiktok-shop-auth' });
