import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from './logger';

/** The one logger of a function (Powertools, redacting); handlers and adapters share it. */
export const logger = createLogger();

/**
 * Powertools' own notices about metrics, in the function's log, less "no application metrics to publish": most
 * requests of a route (a callback that worked) count nothing, and a line each would be noise.
 */
const metricsNotices = {
  debug: (...content: unknown[]) => logger.debug(String(content[0])),
  info: (...content: unknown[]) => logger.info(String(content[0])),
  warn: (...content: unknown[]) => {
    if (!String(content[0]).startsWith('No application metrics to publish')) logger.warn(String(content[0]));
  },
  error: (...content: unknown[]) => logger.error(String(content[0])),
};

/** The one metrics emitter of a function (CloudWatch embedded metric format, flushed after each request). */
export const metrics = new Metrics({
  namespace: 'TikTokShopAuth',
  serviceName: 'tiktok-shop-auth',
  logger: metricsNotices,
});
