import * as z from 'zod/mini';
import { DEFAULT_API_BASE_URL, DEFAULT_AUTH_BASE_URL } from '../adapters/tiktok/http-tiktok-auth-api';
import { type LinkSettings, MARKETS, type Market } from '../domain/authorization-links';
import type { CallbackSettings } from '../domain/authorize-seller';
import type { CredentialsSettings } from '../domain/credentials';
import type { OutboxSettings } from '../domain/outbox';
import type { ReminderSettings } from '../domain/reminders';
import type { RefreshWorkerSettings } from '../domain/token-refresh';
import type { WebhookSettings } from '../domain/webhooks';
import { describeInvalid } from './http';
import { REFRESH_NEEDS_MS } from './timings';

/** The two markets' seller authorization pages (protocol section 1); another (a variant domain) is set as a URL. */
export const AUTHORIZE_URL_PRESETS: Readonly<Record<Market, string>> = {
  ROW: 'https://services.tiktokshop.com/open/authorize',
  US: 'https://services.us.tiktokshop.com/open/authorize',
};

const MINUTE = 60_000;
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The configuration is missing or wrong: says which variables and why, never their values. */
export class ConfigurationError extends Error {
  constructor(problems: string) {
    super(`configuration: ${problems}`);
    this.name = 'ConfigurationError';
  }
}

function read<S extends z.ZodMiniType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(describeInvalid(parsed.error));
  return parsed.data;
}

const linkEnv = z.object({
  TIKTOK_SERVICE_ID: z.string().check(z.trim(), z.minLength(1)),
  TIKTOK_AUTHORIZE_URL_ROW: z._default(httpUrl, AUTHORIZE_URL_PRESETS.ROW),
  TIKTOK_AUTHORIZE_URL_US: z._default(httpUrl, AUTHORIZE_URL_PRESETS.US),
  TIKTOK_MARKET: z._default(z.enum(MARKETS), 'ROW'),
  TIKTOK_AUTHORIZE_URL: z.optional(
    z.undefined({ error: 'replaced by TIKTOK_AUTHORIZE_URL_ROW and TIKTOK_AUTHORIZE_URL_US (one page per market)' }),
  ),
});

/**
 * One authorize page per market (`TIKTOK_AUTHORIZE_URL_ROW`, `TIKTOK_AUTHORIZE_URL_US`, each a preset unless set);
 * `TIKTOK_MARKET` is the market of links for sellers not known yet.
 */
export function linkSettings(env: NodeJS.ProcessEnv): LinkSettings {
  const config = read(linkEnv, env);
  return {
    serviceId: config.TIKTOK_SERVICE_ID,
    authorizeUrls: { ROW: config.TIKTOK_AUTHORIZE_URL_ROW, US: config.TIKTOK_AUTHORIZE_URL_US },
    defaultMarket: config.TIKTOK_MARKET,
    stateTtlMs: 60 * MINUTE,
  };
}

export interface RedirectSettings {
  readonly successUrl: string;
  readonly claimUrl: string;
  readonly errorUrl?: string;
}

const redirectEnv = z.object({ SUCCESS_URL: httpUrl, CLAIM_URL: httpUrl, ERROR_URL: z.optional(httpUrl) });

export function redirectSettings(env: NodeJS.ProcessEnv): RedirectSettings & CallbackSettings {
  const config = read(redirectEnv, env);
  return {
    successUrl: config.SUCCESS_URL,
    claimUrl: config.CLAIM_URL,
    errorUrl: config.ERROR_URL,
    ticketTtlMs: 30 * MINUTE,
  };
}

const tiktokEnv = z.object({
  TIKTOK_AUTH_BASE_URL: z._default(httpUrl, DEFAULT_AUTH_BASE_URL),
  TIKTOK_API_BASE_URL: z._default(httpUrl, DEFAULT_API_BASE_URL),
});

export function tiktokEndpoints(env: NodeJS.ProcessEnv): { authBaseUrl: string; apiBaseUrl: string } {
  const config = read(tiktokEnv, env);
  return { authBaseUrl: config.TIKTOK_AUTH_BASE_URL, apiBaseUrl: config.TIKTOK_API_BASE_URL };
}

/**
 * The outbox's recovery sweep delivers entries older than 2 minutes: a function delivers its own within seconds
 * of its write, and the sweep should not race it. Reminders' renewal links are made as they are delivered.
 */
export function outboxSettings(env: NodeJS.ProcessEnv): OutboxSettings {
  return { graceMs: 2 * MINUTE, link: linkSettings(env) };
}

/** A caller waits at most 5 seconds for another's refresh, within the route's 8-second budget. */
export const CREDENTIALS_SETTINGS: CredentialsSettings = {
  refreshWithinMs: 5 * MINUTE,
  leaseMs: 30_000,
  waitMs: 5_000,
};

/** One required variable, trimmed. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`${name}: required`);
  return value;
}

const reminderEnv = z.object({
  REMINDER_MILESTONES: z._default(
    z.string().check(z.regex(/^\d{1,3}(,\d{1,3})*$/, 'must be days before the end, comma-separated, e.g. 30,7,1')),
    '30,7,1',
  ),
});

/** `REMINDER_MILESTONES`, e.g. `30,7,1`: the days before the end of an authorization at which sellers are reminded. */
export function reminderSettings(env: NodeJS.ProcessEnv): ReminderSettings {
  const milestones = read(reminderEnv, env)
    .REMINDER_MILESTONES.split(',')
    .map(Number)
    .filter((days) => days > 0);
  return { milestones: [...new Set(milestones)].sort((a, b) => b - a), link: linkSettings(env) };
}

export function webhookSettings(env: NodeJS.ProcessEnv): WebhookSettings {
  return { reminders: reminderSettings(env), inProgressMs: 60_000, keepReceiptsMs: 14 * 24 * 60 * MINUTE };
}

/** A whole number from `min` to `max`, from the variable's text. */
const wholeNumber = (min: number, max: number) => z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max));

const refreshEnv = z.object({
  REFRESH_AHEAD_HOURS: z._default(wholeNumber(1, 24 * 6), 48),
  REFRESH_CONCURRENCY: z._default(wholeNumber(1, 50), 5),
});

/**
 * `REFRESH_AHEAD_HOURS` (default 48: many chances to retry before a token expires) and `REFRESH_CONCURRENCY`
 * (calls to TikTok's refresh at once in one worker).
 */
export function tokenRefreshSettings(env: NodeJS.ProcessEnv): RefreshWorkerSettings {
  const config = read(refreshEnv, env);
  return {
    refreshAheadMs: config.REFRESH_AHEAD_HOURS * 60 * MINUTE,
    leaseMs: 60_000,
    concurrency: config.REFRESH_CONCURRENCY,
    refreshNeedsMs: REFRESH_NEEDS_MS,
  };
}
