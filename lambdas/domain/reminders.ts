import type { LinkSettings } from './authorization-links';
import type { Dependencies } from './dependencies';
import { updateGrantFrom } from './grant-updates';
import type { Grant } from './model';
import { deliverAfterCommit, eventEntry, RENEWAL_LINK, withOutbox } from './outbox';
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
 * 1. the grant is read, and nothing happens unless a milestone is due;
 * 2. the milestone (and every milestone reached with it) is recorded on the grant together with the reminder, for
 *    machines (`Authorization Expiring`) and for people, in one conditional write: two reminders racing (the daily
 *    job and TikTok's type 7 webhook) record it once, and a recorded reminder is delivered at least once (the
 *    outbox). Its id is the same for the same seller, end and milestone;
 * 3. on delivery, its renewal link is made: a fresh state bound to the seller and their account and valid until
 *    the authorization ends (a seller reads a reminder days later), or a plain link for an unclaimed seller.
 * Returns the milestone sent, if one was.
 */
export type ReminderDependencies = Pick<Dependencies, 'store' | 'clock' | 'secrets' | 'events' | 'log' | 'notifier'>;

export async function remindIfDue(
  openId: string,
  deps: ReminderDependencies,
  settings: ReminderSettings,
): Promise<number | undefined> {
  const now = deps.clock.now();
  const seen = await deps.store.getGrant(openId);
  if (!seen || dueMilestone(seen, now, settings.milestones) === undefined) return undefined;

  const shops = summarizeShops(await deps.store.listShops(openId));

  let sent: { milestone: number; ids: string[] } | undefined;
  const grant = await updateGrantFrom(deps, seen, (current) => {
    const milestone = current && dueMilestone(current, now, settings.milestones);
    sent = undefined;
    if (!current || milestone === undefined) return undefined;
    const left = daysLeft(current.authorizationExpiresAt, now);
    const reached = settings.milestones.filter((each) => left <= each);
    const eventId = `reminder:${openId}:${current.authorizationExpiresAt.getTime()}:${milestone}`;
    // The link is made when the reminder is delivered, so its one-time state is never kept in clear on the item.
    const forPeople = reminderForPeople(current, left, shops, RENEWAL_LINK, eventId);
    sent = { milestone, ids: [eventId, `${eventId}:people`] };
    const reminderFor = current.authorizationExpiresAt;
    return withOutbox(
      { ...current, remindersSent: [...new Set([...current.remindersSent, ...reached])].sort((a, b) => b - a) },
      {
        ...eventEntry(
          'Authorization Expiring',
          {
            eventId,
            openId,
            occurredAt: now.toISOString(),
            accountId: current.accountId,
            expiresAt: current.authorizationExpiresAt.toISOString(),
            daysLeft: left,
            milestone,
            shops,
            reauthorizeUrl: RENEWAL_LINK,
          },
          now,
        ),
        reminderFor,
      },
      ...(deps.notifier
        ? [{ kind: 'notification' as const, id: `${eventId}:people`, at: now, reminderFor, ...forPeople }]
        : []),
    );
  });
  if (!grant || !sent) return undefined;
  await deliverAfterCommit(deps, grant, sent.ids, settings.link);
  return sent.milestone;
}

export interface ReminderSweepSummary {
  readonly found: number;
  readonly reminded: number;
  /** Sellers whose reminder failed this run; the next run tries them again. */
  readonly failed: number;
}

/**
 * The daily reminder sweep (design flow 7): the authorizations ending within the furthest milestone, from their
 * index, each reminded if a milestone is due. What it reads grows with the authorizations ending soon. Each seller
 * is on their own: one that fails is counted and logged, and the others go on.
 */
export async function remindEndingAuthorizations(
  deps: ReminderDependencies,
  settings: ReminderSettings,
): Promise<ReminderSweepSummary> {
  // One day past the furthest milestone: an end exactly 30 days away is "30 days left" and must be found.
  const horizon = new Date(deps.clock.now().getTime() + (Math.max(0, ...settings.milestones) + 1) * DAY);
  let found = 0;
  let reminded = 0;
  let failed = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listAuthorizationsEndingBefore(horizon, cursor);
    found += page.items.length;
    for (const ref of page.items) {
      try {
        if ((await remindIfDue(ref.openId, deps, settings)) !== undefined) reminded++;
      } catch (error) {
        failed++;
        deps.log.error('a seller could not be reminded; the next run tries again', {
          openId: ref.openId,
          error: error instanceof Error ? error.message : 'unknown',
        });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return { found, reminded, failed };
}

/** The same reminder, readable, for the app's team (an SNS topic with e-mail subscriptions on AWS). */
function reminderForPeople(
  grant: Grant,
  left: number,
  shops: readonly { name: string; region: string }[],
  reauthorizeUrl: string,
  reference: string,
): { subject: string; message: string } {
  const days = left === 1 ? '1 day' : `${left} days`;
  // TikTok may send no seller name: the open id stands in.
  const seller = grant.sellerName || `seller ${grant.openId}`;
  // SNS takes subjects of fewer than 100 characters.
  const subject = `TikTok Shop authorization ends in ${days}: ${seller}`.slice(0, 99);
  const message = [
    `The TikTok Shop authorization of ${seller} (open id ${grant.openId}${grant.accountId ? `, account ${grant.accountId}` : ''}) ends on ${grant.authorizationExpiresAt.toISOString()}, in ${days}.`,
    `Shops: ${shops.length ? shops.map((shop) => `${shop.name || 'unnamed'} (${shop.region || 'region unknown'})`).join(', ') : 'none active'}.`,
    '',
    'Only the seller can renew it, by authorizing the app again with this link:',
    reauthorizeUrl,
    '',
    'Until the end the app keeps working; after it, the app cannot act for this seller until they authorize again.',
    '',
    `Reference: ${reference} (a message with the same reference is a repeat).`,
  ].join('\n');
  return { subject, message };
}
