/**
 * The fallback mail to an app user who has not seen an agent's reply in the app (apps[].offline): the replies under
 * the agents' names, from the app's sender, threaded (each mail answers the last), a link back to the app, a
 * `Reply-To` with a signed user token (the inbox relays the answer as the user's message), a VERP envelope sender
 * with a bounce token (a bounce stops further mail), and an unsubscribe link and `List-Unsubscribe` header (RFC 2369,
 * one-click per RFC 8058) signed for that user and address. Only agents' replies are in it: internal notes never
 * reach a conversation's messages. Pure but for `sendOfflineMail`'s SMTP call.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { displayName, type UserProfile } from '../../common/conversation';
import { escapeHtml } from '../../common/text';
import { headerSafe, NOTIFICATION_HEADER } from './compose';
import { domainOf, emailThreadId, replyAddressWithToken, userMailMessageId, userToken } from './token';

export interface OfflineReply {
  id: string;
  text: string;
  at: string;
  agentName: string;
}

export interface OfflineMailContext {
  appId: string;
  appName: string;
  userId: string;
  conversationId: string;
  profile: UserProfile;
  /** The user's address (verified by the app). */
  to: string;
  /** `offline.from`, else `email.from`. */
  from: string;
  replyAddress: string;
  tokenSecret: string;
  /** The page of the app where the user answers (`offline.linkUrl`). */
  linkUrl?: string;
  /** Parley's public URL: the unsubscribe link points there. */
  publicUrl: string;
  /** Decided by the workflow: a retried send is the very same mail. */
  eventId: string;
  /** The previous fallback mail of this conversation, which this one answers. */
  lastMessageId?: string;
}

export interface OfflineMail {
  messageId: string;
  /** SMTP envelope: the bounce address is the sender, so a DSN comes back to the inbox with its token. */
  envelope: { from: string; to: string[] };
  from: string;
  to: string;
  replyTo: string;
  subject: string;
  inReplyTo?: string;
  references: string[];
  headers: Record<string, string>;
  text: string;
  html: string;
}

// ── Unsubscribe links ─────────────────────────────────────────────────────────────────────────────────────────

export interface UnsubscribeClaim {
  appId: string;
  userId: string;
  address: string;
}

const UNSUBSCRIBE_LABEL = 'parley-unsubscribe';
/** Longer than any token Parley makes (ids of 63 and 256 characters, an address of 254). */
const MAX_UNSUBSCRIBE_TOKEN = 1200;

function unsubscribeMac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${UNSUBSCRIBE_LABEL}:${payload}`).digest();
}

export function unsubscribeToken(secret: string, claim: UnsubscribeClaim): string {
  const payload = Buffer.from(JSON.stringify([claim.appId, claim.userId, claim.address])).toString('base64url');
  return `${payload}.${unsubscribeMac(secret, payload).toString('base64url')}`;
}

/** The app a token names, unverified: to find the secret that must verify it. */
export function unsubscribeAppId(token: string): string | undefined {
  return readClaim(token)?.appId;
}

function readClaim(token: string): UnsubscribeClaim | undefined {
  if (token.length > MAX_UNSUBSCRIBE_TOKEN) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string')) return undefined;
    const [appId, userId, address] = parsed as [string, string, string];
    return { appId, userId, address };
  } catch {
    return undefined;
  }
}

/** The claim of a token signed with one of `secrets` (timing-safe), else undefined. */
export function verifyUnsubscribeToken(secrets: readonly string[], token: string): UnsubscribeClaim | undefined {
  const claim = readClaim(token);
  if (!claim) return undefined;
  const dot = token.indexOf('.');
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  let ok = false;
  for (const secret of secrets) {
    const expected = unsubscribeMac(secret, payload);
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok ? claim : undefined;
}

export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/offline/unsubscribe?token=${encodeURIComponent(token)}`;
}

// ── The mail ──────────────────────────────────────────────────────────────────────────────────────────────────

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function offlineSubject(appName: string): string {
  return headerSafe(`Your conversation with ${appName}`, 150);
}

export function composeOfflineMail(ctx: OfflineMailContext, replies: readonly OfflineReply[]): OfflineMail {
  const domain = domainOf(ctx.replyAddress);
  const thread = emailThreadId(ctx.conversationId);
  const root = userMailMessageId(thread, 'root', domain);
  const messageId = userMailMessageId(thread, ctx.eventId, domain);
  const parent = ctx.lastMessageId ?? root;
  const unsubscribe = unsubscribeUrl(
    ctx.publicUrl,
    unsubscribeToken(ctx.tokenSecret, { appId: ctx.appId, userId: ctx.userId, address: ctx.to }),
  );
  const greeting = displayName(ctx.profile) ? `Hello ${displayName(ctx.profile)},` : 'Hello,';
  const app = ctx.appName;
  const intro = `You have ${replies.length === 1 ? 'a reply' : `${replies.length} replies`} from ${app} that you have not seen in the app yet:`;
  const answer = ctx.linkUrl
    ? `Answer in the app: ${ctx.linkUrl}\nOr simply reply to this email.`
    : 'Reply to this email to answer.';
  const text = [
    greeting,
    '',
    intro,
    '',
    ...replies.flatMap((r) => [
      `${headerSafe(r.agentName, 80)} (${app}), ${when(r.at)}:`,
      ...r.text.split(/\r?\n/).map((l) => `    ${l}`),
      '',
    ]),
    answer,
    '',
    `You get this email because you have a conversation with ${app}. Unsubscribe: ${unsubscribe}`,
    '',
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">',
    `<p>${escapeHtml(greeting)}</p><p>${escapeHtml(intro)}</p>`,
    ...replies.map(
      (r) =>
        `<p style="margin:12px 0 4px;color:#333"><strong>${escapeHtml(headerSafe(r.agentName, 80))}</strong> (${escapeHtml(app)}), ${escapeHtml(when(r.at))}:</p>` +
        `<div style="white-space:pre-wrap;border-left:3px solid #4a90d9;padding:4px 12px;margin:4px 0 12px">${escapeHtml(r.text)}</div>`,
    ),
    ctx.linkUrl
      ? `<p><a href="${escapeHtml(ctx.linkUrl)}">Answer in the app</a>, or simply reply to this email.</p>`
      : '<p>Reply to this email to answer.</p>',
    `<p style="color:#999;font-size:11px">You get this email because you have a conversation with ${escapeHtml(app)}. <a href="${escapeHtml(unsubscribe)}">Unsubscribe</a></p>`,
    '</body></html>',
  ].join('');
  const subject = offlineSubject(app);
  return {
    messageId,
    envelope: {
      from: replyAddressWithToken(ctx.replyAddress, userToken(ctx.tokenSecret, 'b', ctx.appId, ctx.conversationId)),
      to: [ctx.to],
    },
    from: ctx.from,
    to: ctx.to,
    replyTo: replyAddressWithToken(ctx.replyAddress, userToken(ctx.tokenSecret, 'u', ctx.appId, ctx.conversationId)),
    subject: ctx.lastMessageId ? `Re: ${subject}` : subject,
    inReplyTo: parent,
    references: parent === root ? [root] : [root, parent],
    headers: {
      // The inbox never reads its own mail back (loop guard), also when a server returns it whole.
      [NOTIFICATION_HEADER]: headerSafe(`${ctx.appId}; ${thread}; user`),
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // RFC 3834: vacation responders stay quiet.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
    },
    text,
    html,
  };
}
