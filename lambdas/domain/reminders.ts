import { authorizeUrl, createAuthorizationLink, type LinkSettings } from './authorization-links';
import type { Dependencies } from './dependencies';
import { publishAfterCommit } from './dependencies';
import { updateGrantWithRetry } from './grant-updates';
import type { Grant } from './model';
import { summarizeShops } from './shops';

const DAY = 86_400_000;

export interface ReminderSettings {
  /** Days before the end of an authorization at which the seller is reminded, e.g. [30, 7, 1]. */
  readonly milestones: readonly number[];
  readonly link: LinkSettings;
}

export const DEFAULT_MILESTONES = [30, 7, 1] as const;

/** Whole days left until `end`, rounded up: 29.2 days left is "30 days". */
export const daysLeft = (end: Date, now: Date) => Math.ceil((end.getTime() - now.getTime()) / DAY);

/**
 * The milestone to remind at now, if any: the most urgent one already reached and not yet sent for this end of
 * authorization. A seller first seen 6 days before the end gets the 7-day reminder, not a late 30-day one.
 */
export function dueMilestone(grant: Grant, now: Date, milestones: readonly number[]): number | undefined {
  const left = daysLeft(grant.authorizationExpiresAt, now);
  if (grant.status !== 'ACTIVE' || left <= 0) return undefined;
  const reached = milestones.filter((milestone) => left <= milestone);
  if (reached.length === 0) return undefined;
  const mostUrgent = Math.min(...reached);
  return grant.remindersSent.includes(mostUrgent) ? undefined : mostUrgent;
}

/**
 * Reminds the seller that their authorization ends soon, once per milestone and end:
 * 1. the milestone is recorded on the grant first, conditionally on its version, so two reminders racing (the
 *    daily job and TikTok's type 7 webhook) send it once; every milestone reached is recorded with it;
 * 2. a fresh authorization link, its state bound to the seller and their account and valid until the authorization
 *    ends (a seller reads a reminder days later), or a plain link for a seller no account has claimed;
 * 3. `Authorization Expiring`.
 * Returns the milestone sent, if one was.
 */
export type ReminderDependencies = Pick<Dependencies, 'store' | 'clock' | 'secrets' | 'events' | 'log' | 'notifier'>;

export async function remindIfDue(
  openId: string,
  deps: ReminderDependencies,
  settings: ReminderSettings,
): Promise<number | undefined> {
  const now = deps.clock.now();
  let sent: number | undefined;
  const grant = await updateGrantWithRetry(deps, openId, (current) => {
    sent = current ? dueMilestone(current, now, settings.milestones) : undefined;
    if (!current || sent === undefined) return undefined;
    const left = daysLeft(current.authorizationExpiresAt, now);
    const reached = settings.milestones.filter((milestone) => left <= milestone);
    return { ...current, remindersSent: [...new Set([...current.remindersSent, ...reached])].sort((a, b) => b - a) };
  });
  if (!grant || sent === undefined) return undefined;

  const reauthorizeUrl = grant.accountId
    ? (
        await createAuthorizationLink({ accountId: grant.accountId, openId }, deps, settings.link, {
          expiresAt: grant.authorizationExpiresAt,
        })
      ).url
    : authorizeUrl(settings.link);
  const shops = summarizeShops(await deps.store.listShops(openId));
  const left = daysLeft(grant.authorizationExpiresAt, now);
  await publishAfterCommit(deps, [
    {
      type: 'Authorization Expiring',
      detail: {
        openId,
        occurredAt: now.toISOString(),
        accountId: grant.accountId,
        expiresAt: grant.authorizationExpiresAt.toISOString(),
        daysLeft: left,
        milestone: sent,
        shops,
        reauthorizeUrl,
      },
    },
  ]);
  await notifyPeople(deps, grant, left, shops, reauthorizeUrl);
  return sent;
}

export interface ReminderSweepSummary {
  readonly found: number;
  readonly reminded: number;
}

/**
 * The daily reminder sweep (design flow 7): the authorizations ending within the furthest milestone, from their
 * index, each reminded if a milestone is due. What it reads grows with the authorizations ending soon.
 */
export async function remindEndingAuthorizations(
  deps: ReminderDependencies,
  settings: ReminderSettings,
): Promise<ReminderSweepSummary> {
  // One day past the furthest milestone: an end exactly 30 days away is "30 days left" and must be found.
  const horizon = new Date(deps.clock.now().getTime() + (Math.max(0, ...settings.milestones) + 1) * DAY);
  let found = 0;
  let reminded = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listAuthorizationsEndingBefore(horizon, cursor);
    found += page.items.length;
    for (const ref of page.items) {
      if ((await remindIfDue(ref.openId, deps, settings)) !== undefined) reminded++;
    }
    cursor = page.cursor;
  } while (cursor);
  return { found, reminded };
}

/** The same reminder, readable, for the app's team (an SNS topic with e-mail subscriptions on AWS). */
async function notifyPeople(
  deps: ReminderDependencies,
  grant: Grant,
  left: number,
  shops: readonly { name: string; region: string }[],
  reauthorizeUrl: string,
): Promise<void> {
  if (!deps.notifier) return;
  const days = left === 1 ? '1 day' : `${left} days`;
  const subject = `TikTok Shop authorization ends in ${days}: ${grant.sellerName}`.slice(0, 100);
  const message = [
    `The TikTok Shop authorization of ${grant.sellerName} (open id ${grant.openId}${grant.accountId ? `, account ${grant.accountId}` : ''}) ends on ${grant.authorizationExpiresAt.toISOString()}, in ${days}.`,
    `Shops: ${shops.length ? shops.map((shop) => `${shop.name} (${shop.region})`).join(', ') : 'none active'}.`,
    '',
    'Only the seller can renew it, by authorizing the app again with this link:',
    reauthorizeUrl,
    '',
    'Until the end the app keeps working; after it, the app cannot act for this seller until they authorize again.',
  ].join('\n');
  try {
    await deps.notifier.notify(subject, message);
  } catch (error) {
    deps.log.error('the reminder for people was not sent', {
      openId: grant.openId,
      error: error instanceof Error ? error.message : 'unknown',
    });
  }
}
