/**
 * The admin console's views: plain functions from data to `SafeHtml`. Anything from config, Temporal or a vendor is
 * interpolated through `html`, so it is escaped; fields of states this file does not know (a new outbox state's
 * reason, a richer check) are shown generically, so new states appear without changes here.
 */
import type { AppConfig, IntegrationName } from '../../common/config';
import type { ConversationMessage, OutboxState } from '../../common/conversation';
import { html, safeUrl, type HtmlValue, type SafeHtml } from './html';

/** How a state reads, and how it is marked (the word carries the meaning, the colour only helps). */
export function stateBadge(state: string): SafeHtml {
  const tone = ['ok', 'idle', 'active', 'connected', 'sending', 'batching'].includes(state)
    ? 'ok'
    : ['rate_limited', 'budget_wait', 'unreachable', 'archived'].includes(state)
      ? 'warn'
      : ['not_supported', 'unknown'].includes(state)
        ? 'none'
        : 'bad';
  return html`<span class="state ${tone}">${state.replace(/_/g, ' ')}</span>`;
}

/** A value of unknown shape, as text: strings as they are, the rest as JSON, cut at `max` characters. */
export function plain(value: unknown, max = 500): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = '(unreadable)';
    }
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const TIME_KEY = /(At|Until|since)$/;

/** Epoch-ms numbers named like times become ISO dates; everything else as `plain`. */
function factValue(key: string, value: unknown): string {
  if (typeof value === 'number' && TIME_KEY.test(key) && value > 1e12) return new Date(value).toISOString();
  return plain(value);
}

/** Every field of `record` not in `known`, as `<dt>`/`<dd>` pairs. */
export function extraFacts(record: object, known: readonly string[]): SafeHtml[] {
  return Object.entries(record)
    .filter(([k, v]) => !known.includes(k) && v !== undefined)
    .slice(0, 20)
    .map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${factValue(k, v)}</dd>`,
    );
}

export function facts(rows: [string, HtmlValue][], extra: SafeHtml[] = []): SafeHtml {
  return html`<dl class="facts">
    ${rows.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}${extra}
  </dl>`;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}" />`;
}

export function postButton(
  action: string,
  csrf: string,
  label: string,
  options: { hidden?: Record<string, string>; kind?: 'secondary' | 'danger'; describedBy?: string } = {},
): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">
    ${csrfField(csrf)}${Object.entries(options.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
    <button
      type="submit"
      ${options.kind ? html`class="${options.kind}"` : ''}
      ${options.describedBy ? html`aria-describedby="${options.describedBy}"` : ''}
    >
      ${label}
    </button>
  </form>`;
}

export const INTEGRATION_LABELS: Record<IntegrationName, string> = {
  slack: 'Slack',
  zendesk: 'Zendesk',
  helpscout: 'Help Scout',
  email: 'Email',
  sink: 'HTTP sink',
};

const SECRET_KEY = /token|secret|pass|key/i;

/**
 * An integration's settings as the YAML lines that set them (`apps[0].slack.dispatchChannel: general`): shown, not
 * edited, since parley.config.yaml is where they live. Secrets are never shown, only that they are set.
 */
export function configLines(appIndex: number, name: string, settings: unknown): string[] {
  const lines: string[] = [];
  const walk = (value: unknown, at: string, depth: number): void => {
    if (lines.length >= 40) return;
    const last = at.slice(at.lastIndexOf('.') + 1);
    if (SECRET_KEY.test(last) && value !== undefined && typeof value !== 'object') {
      lines.push(`${at}: (secret, set)`);
      return;
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && depth < 3) {
      for (const [k, v] of Object.entries(value)) walk(v, `${at}.${k}`, depth + 1);
      return;
    }
    lines.push(`${at}: ${plain(value, 200)}`);
  };
  walk(settings, `apps[${appIndex}].${name}`, 0);
  return lines;
}

export function configBlock(file: string | undefined, lines: string[]): SafeHtml {
  return html`<details>
    <summary>Settings in ${file ?? 'parley.config.yaml'}</summary>
    <p class="muted">These live in the configuration file: change the line there and restart Parley.</p>
    <pre>${lines.join('\n')}</pre>
  </details>`;
}

export interface CheckView {
  name: string;
  state: string;
  message: string;
  checkedAt: string;
  rateLimitedUntil?: string;
}

const CHECK_WORDS: Record<string, string> = {
  ok: 'Connected',
  rate_limited: 'Rate-limited',
  auth_failed: 'Credentials refused',
  unreachable: 'Unreachable',
  error: 'Failed',
  not_supported: 'No live check',
};

/** A check's result in words: "Connected: connected as Parley (admin), checked 12:00:01". */
export function checkSentence(check: CheckView, label: string): string {
  const words = CHECK_WORDS[check.state] ?? check.state.replace(/_/g, ' ');
  const until = check.rateLimitedUntil ? ` until ${check.rateLimitedUntil}` : '';
  return `${label}: ${words}${until}. ${check.message}`;
}

export function checkFacts(check: CheckView | undefined): SafeHtml {
  if (!check) return html`<p class="muted">Not checked yet.</p>`;
  return facts(
    [
      ['State', stateBadge(check.state)],
      ['Said', check.message],
      ['Checked at', check.checkedAt],
      ...(check.rateLimitedUntil ? ([['Rate-limited until', check.rateLimitedUntil]] as [string, HtmlValue][]) : []),
    ],
    extraFacts(check, ['name', 'state', 'message', 'checkedAt', 'rateLimitedUntil']),
  );
}

export function appLabel(app: AppConfig): string {
  return app.name ? `${app.name} (${app.id})` : app.id;
}

const OUTBOX_KNOWN = [
  'key',
  'policy',
  'enabled',
  'queue',
  'status',
  'holdUntil',
  'fault',
  'recentSends',
  'delivered',
  'batches',
  'rateLimits',
  'reopened',
];
const FAULT_KNOWN = ['type', 'message', 'since', 'attempts', 'nextCheckAt'];

/** One outbox: its state in words, backlog, what paused it, and every field a newer Parley added. */
export function outboxSection(box: OutboxState, resume: SafeHtml | undefined): SafeHtml {
  const id = `outbox-${box.key.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const fault = box.fault;
  return html`<section class="card" aria-labelledby="${id}">
    <h3 id="${id}">${box.key} ${stateBadge(box.status)}</h3>
    ${facts(
      [
        ['State', box.status.replace(/_/g, ' ')],
        ['Backlog', `${box.queue.length} waiting`],
        ['Delivered', String(box.delivered)],
        ['Enabled', box.enabled ? 'yes' : 'no (left the configuration; what is pending still goes)'],
        ...(box.holdUntil !== undefined
          ? ([['Held until', new Date(box.holdUntil).toISOString()]] as [string, HtmlValue][])
          : []),
        ...(fault
          ? ([
              ['Paused because', `${fault.type}: ${fault.message}`],
              ['Paused since', fault.since],
              ['Attempts', String(fault.attempts)],
              ['Next automatic check', new Date(fault.nextCheckAt).toISOString()],
            ] as [string, HtmlValue][])
          : []),
      ],
      [...extraFacts(box, OUTBOX_KNOWN), ...(fault ? extraFacts(fault, FAULT_KNOWN) : [])],
    )}
    ${resume ? html`<div class="actions">${resume}</div>` : ''}
  </section>`;
}

interface AttachmentLike {
  name?: unknown;
  mediaType?: unknown;
  size?: unknown;
  url?: unknown;
}

/** A message of the window, with its attachments if it has any (shape as the API documents them). */
export function messageItem(m: ConversationMessage, who: string): SafeHtml {
  const attachments = (m as { attachments?: unknown }).attachments;
  const list = Array.isArray(attachments) ? (attachments as AttachmentLike[]).slice(0, 20) : [];
  return html`<li class="message ${m.role}">
    <p class="muted">
      <strong>${who}</strong> · <time datetime="${m.at}">${m.at}</time>${m.source ? ` · via ${m.source}` : ''}
    </p>
    <p class="text">${m.text}</p>
    ${
      list.length > 0
        ? html`<ul aria-label="Attachments">
            ${list.map((a) => {
              const name = plain(a.name ?? 'attachment', 200);
              const detail = [a.mediaType, typeof a.size === 'number' ? `${a.size} bytes` : undefined]
                .filter(Boolean)
                .map((v) => plain(v, 100))
                .join(', ');
              return html`<li>
                ${typeof a.url === 'string' ? html`<a href="${safeUrl(a.url)}">${name}</a>` : name}${detail ? ` (${detail})` : ''}
              </li>`;
            })}
          </ul>`
        : ''
    }
  </li>`;
}
