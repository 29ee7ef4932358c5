import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { Market } from '../../lambdas/domain/markets';
import { FUNCTION_TIMINGS, type HandlerName } from '../../lambdas/shared/timings';
import { packageRoot } from '../package-root';

export type { HandlerName };

/** The handler file of a function: an absolute path, whatever directory the CDK app runs from. */
export const handlerEntry = (name: HandlerName) => join(packageRoot(), 'lambdas', 'handlers', `${name}.ts`);

/** A function's entry, timeout and time budget, from the one timings table the handlers read too. */
export function handlerSettings(name: HandlerName) {
  const timing = FUNCTION_TIMINGS[name];
  return {
    entry: handlerEntry(name),
    timeout: Duration.seconds(timing.timeoutSeconds),
    timeBudgetMs: timing.budgetMs,
  };
}

/** An environment without the settings left unset, so the function's own defaults apply. */
export function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** What a function that makes authorization links needs to know. */
export interface LinkEnvironmentSettings {
  /** Partner Center's service id of the app (not the app key). */
  readonly serviceId: string;
  /** The market of links for sellers not known yet (`ROW` or `US`); known sellers get their own. @default 'ROW' */
  readonly market?: Market;
  /**
   * Each market's authorize page, as Partner Center's "Copy authorization link" shows it, when not the preset.
   * @default the presets: services.tiktokshop.com (ROW), services.us.tiktokshop.com (US)
   */
  readonly authorizeUrls?: Partial<Readonly<Record<Market, string>>>;
}

export const linkEnvironment = (settings: LinkEnvironmentSettings) =>
  definedOnly({
    TIKTOK_SERVICE_ID: settings.serviceId,
    TIKTOK_MARKET: settings.market,
    TIKTOK_AUTHORIZE_URL_ROW: settings.authorizeUrls?.ROW,
    TIKTOK_AUTHORIZE_URL_US: settings.authorizeUrls?.US,
  });
