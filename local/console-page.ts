import type { DeliveredEvent } from '../lambdas/adapters/events/event-envelope';
import type { GrantSummary, Shop } from '../lambdas/domain/model';
import { WEBHOOK_TYPE_NAMES } from '../lambdas/domain/webhooks';
import { escapeHtml as e } from '../lambdas/shared/pages';

/** What the console shows: never a token (the store's listing and shops hold none, events carry none). */
export interface ConsoleView {
  readonly now: Date;
  readonly serviceId: string;
  readonly sellers: ReadonlyArray<{ readonly seller: GrantSummary; readonly shops: readonly Shop[] }>;
  readonly events: readonly DeliveredEvent[];
  /** Events and messages stored with their change but not delivered yet (the outbox). */
  readonly pending: readonly PendingDelivery[];
  readonly notice?: string;
}

export interface PendingDelivery {
  readonly openId: string;
  readonly at: Date;
  readonly what: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** `2026-12-03 07:23 UTC`. */
export const readableTime = (time: Date) => `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** `in 7 days`, `in 5 hours`, `2 days ago`. */
export function relativeTime(time: Date, now: Date): string {
  const delta = time.getTime() - now.getTime();
  const size = Math.abs(delta);
  const [amount, unit] =
    size >= 2 * DAY
      ? [Math.round(size / DAY), 'day']
      : size >= 2 * HOUR
        ? [Math.round(size / HOUR), 'hour']
        : [Math.max(1, Math.round(size / 60_000)), 'minute'];
  const phrase = `${amount} ${unit}${amount === 1 ? '' : 's'}`;
  return delta >= 0 ? `in ${phrase}` : `${phrase} ago`;
}

const STYLE = `
  :root { --ink: #1d2129; --muted: #6b7280; --line: #e5e7eb; --accent: #fe2c55; --ok: #0f7b4b; --warn: #b45309; --bad: #b91c1c; }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7f9; margin: 0; }
  header { background: #111; color: #fff; padding: .9rem 1.5rem; display: flex; align-items: baseline; gap: 1rem; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header a { color: #d1d5db; font-size: .85rem; }
  main { max-width: 72rem; margin: 1.25rem auto; padding: 0 1.25rem; display: grid; gap: 1.25rem; }
  section { background: #fff; border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.07); padding: 1.1rem 1.3rem; }
  h2 { font-size: 1rem; margin: 0 0 .8rem; }
  .notice { background: #ecfdf5; border: 1px solid #a7f3d0; color: #065f46; border-radius: 8px; padding: .6rem .9rem; }
  .actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; }
  .actions form { display: flex; gap: .5rem; align-items: end; }
  label { font-size: .8rem; color: var(--muted); display: grid; gap: .2rem; }
  input[type=text], select { font: inherit; padding: .4rem .5rem; border: 1px solid #d1d5db; border-radius: 6px; }
  button, a.button { font: inherit; font-size: .9rem; background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: .45rem .8rem; cursor: pointer; text-decoration: none; }
  button.quiet, a.quiet { background: #eef0f3; color: var(--ink); }
  button.danger { background: #fff; color: var(--bad); border: 1px solid #fecaca; }
  table { width: 100%; border-collapse: collapse; font-size: .9rem; }
  th { text-align: left; font-weight: 600; color: var(--muted); font-size: .78rem; text-transform: uppercase; letter-spacing: .03em; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
  td { padding: .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  .seller td { border-top: 2px solid var(--line); }
  .small { color: var(--muted); font-size: .8rem; }
  .badge { display: inline-block; border-radius: 999px; padding: .05rem .55rem; font-size: .75rem; font-weight: 600; }
  .ACTIVE { background: #dcfce7; color: var(--ok); }
  .REAUTH_REQUIRED { background: #fef3c7; color: var(--warn); }
  .REVOKED { background: #fee2e2; color: var(--bad); }
  .empty { color: var(--muted); padding: .6rem 0; }
  code { font-size: .82rem; }`;

function when(time: Date, now: Date): string {
  return `${e(readableTime(time))}<br><span class="small">${e(relativeTime(time, now))}</span>`;
}

const webhookTypes = () =>
  Object.entries(WEBHOOK_TYPE_NAMES)
    .map(([type, name]) => `<option value="${type}"${type === '6' ? ' selected' : ''}>${type} ${e(name)}</option>`)
    .join('');

function sellerRows(view: ConsoleView): string {
  if (view.sellers.length === 0) return '<p class="empty">No sellers yet. Authorize a sandbox seller above.</p>';
  const rows = view.sellers.map(({ seller, shops }) => {
    const shopRows = shops
      .map(
        (shop) => `<tr class="shop" data-shop-id="${e(shop.shopId)}" data-status="${shop.status}">
          <td></td>
          <td>${e(shop.name)}<br><span class="small">${e(shop.shopId)} · ${e(shop.region)} · ${e(shop.sellerType)}</span></td>
          <td><span class="badge ${shop.status}">${shop.status}</span></td>
          <td colspan="3">
            <form method="post" action="/_local/console/webhook" class="actions">
              <input type="hidden" name="shopId" value="${e(shop.shopId)}">
              <label>Send a webhook<select name="type" aria-label="Webhook type for ${e(shop.name)}">${webhookTypes()}</select></label>
              <button type="submit" class="quiet">Send</button>
            </form>
          </td>
        </tr>`,
      )
      .join('');
    return `<tr class="seller" data-open-id="${e(seller.openId)}" data-status="${seller.status}">
        <td><strong>${e(seller.sellerName)}</strong><br><span class="small">${e(seller.openId)}</span></td>
        <td>${e(seller.accountId ?? '—')}</td>
        <td><span class="badge ${seller.status}">${seller.status}</span></td>
        <td>${seller.status === 'REVOKED' ? '<span class="small">tokens deleted</span>' : when(seller.accessTokenExpiresAt, view.now)}</td>
        <td>${when(seller.authorizationExpiresAt, view.now)}</td>
        <td>${
          seller.status === 'REVOKED'
            ? ''
            : `<form method="post" action="/_local/console/disconnect"><input type="hidden" name="openId" value="${e(seller.openId)}"><button type="submit" class="danger">Disconnect</button></form>`
        }</td>
      </tr>${shopRows}`;
  });
  return `<table><thead><tr><th>Seller / shop</th><th>Account</th><th>Status</th><th>Access token expires</th><th>Authorization ends</th><th></th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>`;
}

function describeEvent(event: DeliveredEvent): string {
  const detail = new Map(Object.entries(typeof event.detail === 'object' && event.detail !== null ? event.detail : {}));
  const facts = ['openId', 'shopId', 'accountId', 'typeName', 'milestone', 'reason', 'grantRevoked']
    .filter((key) => detail.get(key) !== undefined)
    .map((key) => `${key} ${String(detail.get(key))}`);
  return e(facts.join(' · '));
}

function eventRows(view: ConsoleView): string {
  const latest = [...view.events].reverse().slice(0, 15);
  if (latest.length === 0) return '<p class="empty">No events yet.</p>';
  return `<table><thead><tr><th>Time</th><th>Event</th><th>About</th></tr></thead><tbody>${latest
    .map(
      (event) =>
        `<tr><td class="small">${e(readableTime(new Date(event.time)))}</td><td>${e(event['detail-type'])}</td><td class="small">${describeEvent(event)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function pendingRows(view: ConsoleView): string {
  if (view.pending.length === 0) return '<p class="empty">Nothing waiting: every event has been delivered.</p>';
  return `<table><thead><tr><th>Stored</th><th>Waiting to deliver</th><th>Seller</th></tr></thead><tbody>${view.pending
    .map(
      (entry) =>
        `<tr><td class="small">${e(readableTime(entry.at))} (${e(relativeTime(entry.at, view.now))})</td><td>${e(entry.what)}</td><td class="small">${e(entry.openId)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

/** The console page: plain server-rendered HTML and forms, no scripts. */
export function renderConsole(view: ConsoleView): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tiktok-shop-auth · local console</title><style>${STYLE}</style></head>
<body>
<header><h1>tiktok-shop-auth · local console</h1>
  <a href="/_local/events">events (JSON)</a><a href="/_local/notifications">reminders for people (JSON)</a></header>
<main>
  ${view.notice ? `<p class="notice" role="status">${e(view.notice)}</p>` : ''}
  <section>
    <h2>Try it</h2>
    <div class="actions">
      <form method="post" action="/_local/start">
        <label>The app's account<input type="text" name="accountId" value="local-demo-account" maxlength="256"></label>
        <button type="submit">Authorize a sandbox seller</button>
      </form>
      <a class="button quiet" href="/sandbox/open/authorize?service_id=${encodeURIComponent(view.serviceId)}">Install from the App Store (no state)</a>
      <form method="post" action="/_local/console/jobs/refresh"><button type="submit" class="quiet">Run the refresh job now</button></form>
      <form method="post" action="/_local/console/jobs/reminders"><button type="submit" class="quiet">Run the reminder job now</button></form>
      <form method="post" action="/_local/console/jobs/outbox"><button type="submit" class="quiet">Deliver pending events now</button></form>
    </div>
  </section>
  <section>
    <h2>Sellers</h2>
    ${sellerRows(view)}
  </section>
  <section>
    <h2>Latest events</h2>
    ${eventRows(view)}
  </section>
  <section>
    <h2>Events pending delivery</h2>
    ${pendingRows(view)}
  </section>
</main>
</body></html>`;
}
