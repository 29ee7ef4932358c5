/** Small, self-contained HTML pages for sellers' browsers: no scripts, no outside resources. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

export const PAGE_STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f6f7f9; color: #1d2129; margin: 0; }
  main { max-width: 34rem; margin: 10vh auto; background: #fff; border-radius: 12px; padding: 2rem 2.25rem;
         box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
  p { line-height: 1.5; margin: .5rem 0; }
  .code { color: #6b7280; font-size: .85rem; margin-top: 1.5rem; }
  a.button, button { display: inline-block; background: #fe2c55; color: #fff; border: 0; border-radius: 8px;
         padding: .6rem 1.1rem; font-size: 1rem; text-decoration: none; cursor: pointer; }`;

export interface PageContent {
  readonly title: string;
  readonly message: string;
  /** A stable code the seller can quote to support. */
  readonly code?: string;
  /** Where to go next, when there is somewhere. */
  readonly link?: { readonly href: string; readonly label: string };
}

export function renderPage(content: PageContent): string {
  const link = content.link
    ? `<p><a class="button" href="${escapeHtml(content.link.href)}">${escapeHtml(content.link.label)}</a></p>`
    : '';
  const code = content.code ? `<p class="code">Reference: ${escapeHtml(content.code)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title><style>${PAGE_STYLE}</style></head>
<body><main><h1>${escapeHtml(content.title)}</h1><p>${escapeHtml(content.message)}</p>${link}${code}</main></body>
</html>`;
}
