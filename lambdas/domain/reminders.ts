import { createAuthorizationLink, type LinkSettings } from './authorization-links';
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
 * 2. a fresh authorization link, its state bound to the seller's account and valid until the authorization ends
 *    (a seller reads a reminder days later), or a plain link for a seller no account has claimed;
 * 3. `Authorization Expiring`.
 * Returns the milestone sent, if one was.
 */
export async function remindIfDue(
  openId: string,
  deps: Pick<Dependencies, 'store' | 'clock' | 'secrets' | 'events' | 'log'>,
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
        await createAuthorizationLink({ accountId: grant.accountId }, deps, settings.link, {
          expiresAt: grant.authorizationExpiresAt,
        })
      ).url
    : plainLink(settings.link);
  const shops = await deps.store.listShops(openId);
  await publishAfterCommit(deps, [
    {
      type: 'Authorization Expiring',
      detail: {
        openId,
        occurredAt: now.toISOString(),
        accountId: grant.accountId,
        expiresAt: grant.authorizationExpiresAt.toISOString(),
        daysLeft: daysLeft(grant.authorizationExpiresAt, now),
        milestone: sent,
        shops: summarizeShops(shops),
        reauthorizeUrl,
      },
    },
  ]);
  return sent;
}

/** The authorize page without a state: the seller comes back through the App Store path and is claimed. */
function plainLink(link: LinkSettings): string {
  const url = new URL(link.authorizeUrl);
  url.searchParams.set('service_id', link.serviceId);
  return url.toString();
}
