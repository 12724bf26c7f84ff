/**
 * The team's notification emails: one readable HTML + text mail per user message (or one per digest), with the
 * user's profile and device, threaded per conversation (`Message-ID`, `In-Reply-To`, `References`, a subject that
 * never changes) and a `Reply-To` that carries the conversation's signed token. Pure: no I/O.
 *
 * Everything the user controls (name, text, profile, device) is escaped for HTML and stripped of line breaks and
 * control characters wherever it reaches a header, so it can inject neither headers nor markup.
 */
import {
  agentName,
  deviceRows,
  displayName,
  HANDOFF_HISTORY_HEADING,
  handoffText,
  historyLines,
  profileRows,
  sourceLabel,
  type OutboxItem,
  type Row,
  type UserProfile,
} from '../../common/conversation';
import { cleanName, escapeHtml } from '../../common/text';
import {
  domainOf,
  emailThreadId,
  notificationMessageId,
  replyAddressWithToken,
  replyToken,
  threadRootMessageId,
} from './token';

/** Marks every mail Parley sends, so the inbox never reads its own notifications back (loop guard). */
export const NOTIFICATION_HEADER = 'X-Parley-Notification';

export interface NotificationContext {
  appId: string;
  appName: string;
  userId: string;
  conversationId: string;
  profile: UserProfile;
  /** `Name <address>` or an address. */
  from: string;
  teamAddresses: string[];
  replyAddress: string;
  tokenSecret: string;
  /** The thread's subject and last Message-ID so far (the conversation's `refs`). */
  subject?: string;
  lastMessageId?: string;
}

export interface NotificationMail {
  messageId: string;
  from: string;
  to: string[];
  replyTo: string;
  subject: string;
  inReplyTo: string;
  references: string[];
  headers: Record<string, string>;
  text: string;
  html: string;
}

/** One header-safe line: no CR, LF, other control or invisible characters, whitespace collapsed, at most `max`. */
export function headerSafe(value: string, max = 120): string {
  const line = cleanName(value);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function threadSubject(ctx: Pick<NotificationContext, 'appName' | 'profile' | 'userId'>): string {
  const who = displayName(ctx.profile) ?? ctx.userId;
  return headerSafe(`[${ctx.appName}] Conversation with ${who}`, 150);
}

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

interface Entry {
  heading: string;
  text: string;
}

function entryFor(item: OutboxItem, who: string, ctx: NotificationContext): Entry | undefined {
  const m = item.message;
  if (item.kind === 'conversation:archived') return { heading: 'The conversation was archived.', text: '' };
  if (item.kind === 'delivery:status') return item.notice ? { heading: item.notice, text: '' } : undefined;
  if (item.kind === 'conversation:handoff' && item.handoff) {
    const lines = historyLines(item.handoff.history ?? [], ctx.profile, ctx.userId).map((l) => `${l.who}: ${l.text}`);
    return {
      heading: handoffText(item.handoff),
      text: lines.length > 0 ? `${HANDOFF_HISTORY_HEADING}\n${lines.join('\n')}` : '',
    };
  }
  if (!m) return undefined;
  if (item.kind === 'message:user') return { heading: `${who} wrote, ${when(m.at)}:`, text: m.text };
  return { heading: `${agentName(m)} replied via ${sourceLabel(m.source)}, ${when(m.at)}:`, text: m.text };
}

function textBody(entries: Entry[], ctx: NotificationContext, device: Row[]): string {
  const who = displayName(ctx.profile) ?? ctx.userId;
  const lines: string[] = [];
  for (const entry of entries) {
    lines.push(entry.heading);
    if (entry.text) lines.push('', ...entry.text.split(/\r?\n/).map((l) => `    ${l}`));
    lines.push('');
  }
  lines.push(
    `Reply to this email to answer ${who}: your reply goes to the app, without the quoted text or your signature.`,
  );
  lines.push('', 'User');
  for (const [k, v] of profileRows(ctx.profile, ctx.userId)) lines.push(`  ${k}: ${v}`);
  if (device.length) {
    lines.push('', 'Device');
    for (const [k, v] of device) lines.push(`  ${k}: ${v}`);
  }
  lines.push('', `Conversation: ${ctx.conversationId}`);
  return `${lines.join('\n')}\n`;
}

function table(rows: Row[]): string {
  const cells = rows
    .map(
      ([k, v]) =>
        `<tr><td style="color:#666;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(k)}</td><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  return `<table style="border-collapse:collapse;font-size:13px">${cells}</table>`;
}

function htmlBody(entries: Entry[], ctx: NotificationContext, device: Row[]): string {
  const who = escapeHtml(displayName(ctx.profile) ?? ctx.userId);
  const blocks = entries
    .map((entry) => {
      const text = entry.text
        ? `<div style="white-space:pre-wrap;border-left:3px solid #4a90d9;padding:4px 12px;margin:4px 0 12px">${escapeHtml(entry.text)}</div>`
        : '';
      return `<p style="margin:12px 0 4px;color:#333"><strong>${escapeHtml(entry.heading)}</strong></p>${text}`;
    })
    .join('');
  const deviceBlock = device.length ? `<h4 style="margin:16px 0 4px">Device</h4>${table(device)}` : '';
  return [
    '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">',
    blocks,
    `<p style="color:#666;font-size:12px">Reply to this email to answer ${who}: your reply goes to the app, without the quoted text or your signature.</p>`,
    `<h4 style="margin:16px 0 4px">User</h4>${table(profileRows(ctx.profile, ctx.userId))}`,
    deviceBlock,
    `<p style="color:#999;font-size:11px">Conversation: ${escapeHtml(ctx.conversationId)}</p>`,
    '</body></html>',
  ].join('');
}

/**
 * The mail for some items of one conversation (one item, or a digest). Its Message-ID derives from the first
 * item's event id, so a retried send produces the very same mail.
 */
export function composeNotification(ctx: NotificationContext, items: OutboxItem[]): NotificationMail | undefined {
  const who = displayName(ctx.profile) ?? ctx.userId;
  const entries = items.map((item) => entryFor(item, who, ctx)).filter((e): e is Entry => e !== undefined);
  const first = items[0];
  if (!first || entries.length === 0) return undefined;
  const domain = domainOf(ctx.replyAddress);
  const thread = emailThreadId(ctx.conversationId);
  // Both carry a mac of the thread under the app's key: a reply that lost its token proves its thread with them.
  const root = threadRootMessageId(ctx.tokenSecret, ctx.appId, thread, domain);
  const eventId = first.eventId.replace(/[^A-Za-z0-9_.-]/g, '');
  const messageId = notificationMessageId(ctx.tokenSecret, ctx.appId, thread, eventId, domain);
  const parent = ctx.lastMessageId ?? root;
  const lastUserMessage = [...items].reverse().find((i) => i.kind === 'message:user')?.message;
  const device = deviceRows(ctx.profile, lastUserMessage);
  // The thread's subject was fixed by its first mail, maybe before headerSafe stripped what it strips now.
  const subject = headerSafe(ctx.subject ?? threadSubject(ctx), 150);
  return {
    messageId,
    from: ctx.from,
    to: ctx.teamAddresses,
    replyTo: replyAddressWithToken(ctx.replyAddress, replyToken(ctx.tokenSecret, ctx.appId, ctx.conversationId)),
    subject: ctx.lastMessageId ? `Re: ${subject}` : subject,
    inReplyTo: parent,
    references: parent === root ? [root] : [root, parent],
    headers: {
      [NOTIFICATION_HEADER]: headerSafe(`${ctx.appId}; ${thread}`),
      // RFC 3834: automatic, so vacation responders stay quiet; Exchange's own switch for the same.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
    },
    text: textBody(entries, ctx, device),
    html: htmlBody(entries, ctx, device),
  };
}
