/**
 * The look of Parley's pages: the admin console and the Slack install's result pages share this layout and its one
 * stylesheet (served at ADMIN_STYLESHEET_PATH). No script: every page works as plain HTML forms and links.
 */
import type { RequestHandler } from 'express';
import { html, type SafeHtml } from './html';

export const ADMIN_STYLESHEET_PATH = '/admin/static/admin.css';

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  /** The signed-in admin's navigation and sign-out form (its CSRF token); absent on public pages. */
  session?: { csrf: string; current?: 'apps' | 'conversations' | 'health' };
  /** A warning shown above everything (Temporal unreachable, no worker polling). */
  banner?: SafeHtml;
  notices?: { kind: 'ok' | 'error' | 'info'; text: string }[];
}

const NAV: { key: 'apps' | 'conversations' | 'health'; href: string; label: string }[] = [
  { key: 'apps', href: '/admin/apps', label: 'Apps & integrations' },
  { key: 'conversations', href: '/admin/conversations', label: 'Conversations' },
  { key: 'health', href: '/admin/health', label: 'Health' },
];

/** A whole page: `<!doctype html>` to `</html>`. */
export function renderLayout(options: LayoutOptions): string {
  const { session } = options;
  const nav = session
    ? html`<nav aria-label="Main">
        <ul>
          ${NAV.map(
            (n) =>
              html`<li>
                <a href="${n.href}" ${n.key === session.current ? html`aria-current="page"` : ''}>${n.label}</a>
              </li>`,
          )}
        </ul>
        <form method="post" action="/admin/logout" class="inline">
          <input type="hidden" name="csrf" value="${session.csrf}" />
          <button type="submit" class="secondary">Sign out</button>
        </form>
      </nav>`
    : '';
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${options.title} · Parley</title>
        <link rel="stylesheet" href="${ADMIN_STYLESHEET_PATH}" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <p class="brand"><a href="/admin">Parley</a></p>
          ${nav}
        </header>
        ${options.banner ? html`<div class="banner" role="alert">${options.banner}</div>` : ''}
        <main id="main" tabindex="-1">
          ${(options.notices ?? []).map(
            (n) =>
              html`<div class="notice ${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}">
                <p>${n.text}</p>
              </div>`,
          )}
          <h1>${options.title}</h1>
          ${options.body}
        </main>
      </body>
    </html>`;
  return page.html;
}

// Contrast: text #1b1f24 on #fff (16:1), links #0b5cad (6.6:1), muted #4a5360 (7.6:1); states carry words, not
// colour alone.
export const ADMIN_CSS = `
:root { --fg: #1b1f24; --muted: #4a5360; --bg: #fff; --panel: #f4f6f8; --line: #c9d1d9; --link: #0b5cad;
  --ok: #1a6b32; --warn: #8a4b00; --bad: #a4161a; --focus: #ffbf47; }
* { box-sizing: border-box; }
html { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--link); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 1; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { margin: 0; font-weight: 700; font-size: 1.2rem; }
.brand a { color: var(--fg); text-decoration: none; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; flex: 1; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; flex: 1; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6rem; margin: 8px 0 16px; }
h2 { font-size: 1.25rem; margin: 24px 0 8px; }
h3 { font-size: 1.05rem; margin: 16px 0 4px; }
section.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--panel); }
.table-wrap { overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: minmax(8em, max-content) 1fr; gap: 2px 12px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.state { display: inline-block; padding: 0 6px; border-radius: 4px; border: 1px solid currentColor; font-weight: 600; }
.state.ok { color: var(--ok); } .state.warn { color: var(--warn); } .state.bad { color: var(--bad); } .state.none { color: var(--muted); }
.muted { color: var(--muted); }
form.inline { display: inline; }
form.stack { display: grid; gap: 8px; max-width: 32rem; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
label { font-weight: 600; }
input[type="text"], input[type="password"], input[type="search"], select { font: inherit; padding: 8px; border: 1px solid var(--muted); border-radius: 4px; width: 100%; min-height: 44px; }
button, .button { font: inherit; display: inline-block; min-height: 44px; padding: 8px 14px; border: 1px solid var(--link); border-radius: 4px; background: var(--link); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: var(--bg); color: var(--link); }
button.danger { background: var(--bad); border-color: var(--bad); }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
legend { font-weight: 600; padding: 0 4px; }
.choice { display: flex; gap: 8px; align-items: center; font-weight: 400; min-height: 44px; }
.choice input { width: 22px; height: 22px; }
.grid { display: grid; gap: 8px 16px; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); }
.notice { border-left: 6px solid var(--link); background: var(--panel); padding: 4px 12px; margin: 8px 0; }
.notice.ok { border-color: var(--ok); } .notice.error { border-color: var(--bad); }
.notice p { margin: 6px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.banner { background: #fff4e5; border-bottom: 3px solid var(--warn); padding: 8px 16px; }
.banner p { margin: 4px 0; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9rem; }
pre { background: var(--panel); padding: 8px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.message { border-left: 4px solid var(--line); padding: 2px 10px; margin: 8px 0; }
.message.agent { border-color: var(--link); }
.message .text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 2px 0; }
@media (max-width: 600px) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: 6px; } main { padding: 12px; } }
`;

export const stylesheet: RequestHandler = (_req, res) => {
  res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(ADMIN_CSS);
};
