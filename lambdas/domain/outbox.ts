import { authorizeUrl, createAuthorizationLink, type LinkSettings, sellerMarket } from './authorization-links';
import type { Dependencies } from './dependencies';
import type { EventDetails, LifecycleEventType } from './events';
import { updateGrantFrom } from './grant-updates';
import type { Grant, OutboxEntry } from './model';

/**
 * The transactional outbox. A change and the events (and messages for people) that describe it are written in the
 * same conditional write of the grant item, so neither exists without the other; they are delivered after the
 * write and then removed from the item. When the bus or SNS fails, or the function dies in between, they stay on
 * the item, and the recovery sweep delivers them later: at least once, with the same `eventId` every time.
 */
export type OutboxDependencies = Pick<Dependencies, 'store' | 'events' | 'notifier' | 'log' | 'clock' | 'secrets'>;

export interface OutboxSettings {
  /** Entries older than this are the recovery's: a function delivers its own within seconds of its write. */
  readonly graceMs: number;
  /** For the renewal links that reminders carry, made when they are delivered. */
  readonly link: LinkSettings;
}

/**
 * Stands for a renewal link in a stored reminder. The link's one-time state is created when the reminder is
 * delivered, so that it is kept only hashed, never in clear on the grant item (nor in a table export or backup).
 */
export const RENEWAL_LINK = '{renewal link}';

/** An event for the outbox; its `eventId` is the entry's id. */
export function eventEntry<T extends LifecycleEventType>(type: T, detail: EventDetails[T], at: Date): OutboxEntry {
  return { kind: 'event', id: detail.eventId, at, event: { type, detail } };
}

/** The grant with `entries` added to its outbox; an entry with the same id (a retry's) replaces the older one. */
export function withOutbox(grant: Grant, ...entries: readonly OutboxEntry[]): Grant {
  const ids = new Set(entries.map((entry) => entry.id));
  return { ...grant, outbox: [...grant.outbox.filter((entry) => !ids.has(entry.id)), ...entries] };
}

/**
 * Delivers the outbox entries with these ids from a grant just written, and removes them from it. A failure is
 * logged, not thrown: the change is stored, the entries stay for the recovery sweep, and a seller must not see an
 * error page because the bus hiccuped.
 */
export async function deliverAfterCommit(
  deps: OutboxDependencies,
  written: Grant,
  ids: readonly string[],
  link?: LinkSettings,
): Promise<void> {
  const wanted = new Set(ids);
  try {
    await deliver(
      deps,
      written,
      written.outbox.filter((entry) => wanted.has(entry.id)),
      link,
    );
  } catch (error) {
    // Making a reminder's renewal link can fail too (its state is a write): the entries wait for the sweep.
    deps.log.error('events stored with their change were not delivered; the recovery sweep will', {
      openId: written.openId,
      error: error instanceof Error ? error.message : 'unknown',
    });
  }
}

export interface OutboxSweepSummary {
  /** Grants found with entries older than the grace period. */
  readonly found: number;
  readonly delivered: number;
  /** Entries still undelivered after this run; they are tried again on the next. */
  readonly failed: number;
}

/**
 * The recovery sweep: every grant whose outbox holds entries older than `graceMs` (long enough for the write's own
 * delivery to have happened), from the sparse index, never a Scan; each grant on its own, so one that fails does
 * not hold up the others.
 */
export async function deliverPendingEvents(
  deps: OutboxDependencies,
  settings: OutboxSettings,
): Promise<OutboxSweepSummary> {
  const before = new Date(deps.clock.now().getTime() - settings.graceMs);
  let found = 0;
  let delivered = 0;
  let failed = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listPendingEvents(before, cursor);
    for (const ref of page.items) {
      found++;
      try {
        const grant = await deps.store.getGrant(ref.openId);
        const due = grant?.outbox.filter((entry) => entry.at.getTime() <= before.getTime()) ?? [];
        const result = grant ? await deliver(deps, grant, due, settings.link) : { delivered: 0, failed: 0 };
        delivered += result.delivered;
        failed += result.failed;
      } catch (error) {
        failed++;
        deps.log.error('pending events of a seller could not be delivered', {
          openId: ref.openId,
          error: error instanceof Error ? error.message : 'unknown',
        });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return { found, delivered, failed };
}

/** Publishes the events in one call and sends each message; removes from the grant what went out. */
async function deliver(
  deps: OutboxDependencies,
  grant: Grant,
  all: readonly OutboxEntry[],
  link: LinkSettings | undefined,
): Promise<{ delivered: number; failed: number }> {
  const sent = new Set<string>();
  // A reminder about an end that has moved on, or to a seller disconnected, would ask for the wrong thing.
  const superseded = all.filter(
    (entry) =>
      entry.reminderFor &&
      (grant.status === 'REVOKED' || entry.reminderFor.getTime() !== grant.authorizationExpiresAt.getTime()),
  );
  if (superseded.length > 0) {
    deps.log.info('dropping undelivered reminders about an end that has moved on', { openId: grant.openId });
  }
  const gone = new Set(superseded.map((entry) => entry.id));
  const entries = await withRenewalLink(
    deps,
    grant,
    all.filter((entry) => !gone.has(entry.id)),
    link,
  );
  const events = entries.flatMap((entry) => (entry.kind === 'event' ? [entry] : []));
  if (events.length > 0) {
    try {
      await deps.events.publish(events.map((entry) => entry.event));
      for (const entry of events) sent.add(entry.id);
    } catch (error) {
      deps.log.error('lifecycle events were not published; the recovery sweep will', {
        openId: grant.openId,
        types: events.map((entry) => entry.event.type),
        error: error instanceof Error ? error.message : 'unknown',
      });
    }
  }
  for (const entry of entries) {
    if (entry.kind !== 'notification') continue;
    try {
      // Where nobody subscribed there is no one to tell: the message is done.
      await deps.notifier?.notify(entry.subject, entry.message);
      sent.add(entry.id);
    } catch (error) {
      deps.log.error('a message for people was not sent; the recovery sweep will', {
        openId: grant.openId,
        error: error instanceof Error ? error.message : 'unknown',
      });
    }
  }
  if (sent.size + gone.size > 0) await removeDelivered(deps, grant, new Set([...sent, ...gone]));
  return { delivered: sent.size, failed: entries.length - sent.size };
}

/**
 * The entries with the renewal link made, on the seller's market's authorize page: a fresh state bound to the
 * seller and their account, valid until the authorization ends (people read reminders days later), or the App Store
 * path's link for a seller no account has claimed. Without link settings, entries that need one stay for a delivery
 * that has them.
 */
async function withRenewalLink(
  deps: OutboxDependencies,
  grant: Grant,
  entries: readonly OutboxEntry[],
  link: LinkSettings | undefined,
): Promise<OutboxEntry[]> {
  const needsLink = (entry: OutboxEntry) =>
    entry.kind === 'event' ? entry.event.detail.reauthorizeUrl === RENEWAL_LINK : entry.message.includes(RENEWAL_LINK);
  if (!entries.some(needsLink)) return [...entries];
  if (!link) return entries.filter((entry) => !needsLink(entry));
  const url = grant.accountId
    ? (
        await createAuthorizationLink({ accountId: grant.accountId, openId: grant.openId }, deps, link, {
          expiresAt: grant.authorizationExpiresAt,
          seller: grant,
        })
      ).url
    : authorizeUrl(link, await sellerMarket(grant, deps, link));
  return entries.map((entry) => {
    if (!needsLink(entry)) return entry;
    return entry.kind === 'event'
      ? { ...entry, event: { ...entry.event, detail: { ...entry.event.detail, reauthorizeUrl: url } } }
      : { ...entry, message: entry.message.replace(RENEWAL_LINK, url) };
  });
}

/**
 * Takes delivered entries off the grant: one write when nobody wrote since, else on the grant as it is now. Should
 * this fail, the entries are delivered again later with the same ids, which consumers deduplicate.
 */
async function removeDelivered(deps: OutboxDependencies, grant: Grant, sent: ReadonlySet<string>): Promise<void> {
  try {
    await updateGrantFrom(deps, grant, (current) =>
      current?.outbox.some((entry) => sent.has(entry.id))
        ? { ...current, outbox: current.outbox.filter((entry) => !sent.has(entry.id)) }
        : undefined,
    );
  } catch (error) {
    deps.log.warn('delivered events stay in the outbox; they will be delivered again', {
      openId: grant.openId,
      error: error instanceof Error ? error.message : 'unknown',
    });
  }
}
