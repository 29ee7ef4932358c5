import { escapeHtml, PAGE_STYLE } from '../lambdas/shared/pages';

/** The pages that stand in for the app's own pages in local mode: a start page, the success and claim landings. */

function page(title: string, content: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · tiktok-shop-auth (local)</title><style>${PAGE_STYLE}
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input[type=text] { width: 100%; box-sizing: border-box; padding: .5rem; border: 1px solid #d1d5db; border-radius: 6px; font-size: 1rem; }
  pre { background: #f3f4f6; padding: .75rem; border-radius: 6px; overflow-x: auto; font-size: .85rem; }
  .actions { margin-top: 1rem; display: flex; gap: .75rem; flex-wrap: wrap; }
  a.secondary { background: #e5e7eb; color: #1d2129; }</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${content}</main></body></html>`;
}

export function landingPage(query: URLSearchParams): string {
  return page(
    'Seller connected',
    `<p>This stands in for the app's <code>SUCCESS_URL</code>. The seller <strong>${escapeHtml(query.get('openId') ?? '')}</strong>
    is connected to the account <strong>${escapeHtml(query.get('accountId') ?? '')}</strong>.</p>
    <div class="actions"><a class="button" href="/">Back to the console</a></div>`,
  );
}

/** The app's login page of an App Store install: after login, the app claims the ticket for the account. */
export function claimPage(ticket: string, result?: string): string {
  const outcome = result === undefined ? '' : `<p>The claim answered:</p><pre>${escapeHtml(result)}</pre>`;
  const form = ticket
    ? `<p>This stands in for the app's <code>CLAIM_URL</code>: the seller logs in, then the app claims the install.</p>
      <form method="post" action="/_local/landing/claim"><input type="hidden" name="ticket" value="${escapeHtml(ticket)}">
      <label for="accountId">Log in as account</label><input type="text" id="accountId" name="accountId" value="local-demo-account" maxlength="256">
      <div class="actions"><button type="submit">Log in and claim</button></div></form>`
    : '';
  return page(
    'Finish connecting your shop',
    `${form}${outcome}<div class="actions"><a class="button secondary" href="/">Back to the console</a></div>`,
  );
}
