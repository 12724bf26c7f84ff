/**
 * What the inbox does with one mail, decided from the parsed message alone (pure, no I/O): an agent's reply to
 * relay, or a reason to ignore it. The order matters: loops, bounces and auto-replies are dropped before anything
 * is read from them; then the sender (allowed, and, when the app asks, vouched for by the receiving server); then
 * the conversation, which the mail must prove (a signed reply token, or a Parley Message-ID whose mac verifies);
 * then the text.
 */
import type { AddressObject, Attachment as MailAttachment, ParsedMail } from 'mailparser';
import type { IncomingFile } from '../files/intake';
import { checkSender, MAX_HEADERS } from './auth-results';
import { extractReply } from './extract';
import { BUDGETS, cutMarker } from '../../common/limits';
import { cutToBudget, jsonStringBytes } from '../../common/budgets';
import { headerSafe, NOTIFICATION_HEADER } from './compose';
import {
  domainOf,
  parseParleyMessageId,
  threadFromReferences,
  tokenFromAddresses,
  userTokenFromAddresses,
} from './token';

export type IgnoreReason =
  | 'own_notification'
  | 'bounce'
  | 'auto_reply'
  | 'sender_not_allowed'
  | 'unauthenticated_sender'
  | 'no_conversation'
  | 'forged_token'
  | 'forged_reference'
  | 'stale_token'
  | 'empty_reply'
  | 'malformed'
  /** Larger than `email.maxMailBytes`: not downloaded nor parsed (read it in the mailbox). */
  | 'oversized'
  /** Temporal refused the reply as invalid: the same signal would be refused again. */
  | 'refused';

export const IGNORE_REASONS: readonly IgnoreReason[] = [
  'own_notification',
  'bounce',
  'auto_reply',
  'sender_not_allowed',
  'unauthenticated_sender',
  'no_conversation',
  'forged_token',
  'forged_reference',
  'stale_token',
  'empty_reply',
  'malformed',
  'oversized',
  'refused',
];

export interface InboundContext {
  appId: string;
  replyAddress: string;
  allowedSenders: readonly string[];
  /** The keys a reply token or a Message-ID mac may be signed with (client.ts's `tokenSecrets`). */
  tokenSecrets: readonly string[];
  /** `email.requireAuthenticatedSender`: the receiving server must vouch for the From domain (auth-results.ts). */
  requireAuthenticatedSender?: boolean;
  /** `email.authServId`: the authserv-ids the receiving server writes; else its header is the topmost. */
  authServIds?: readonly string[];
}

export interface InboundReply {
  kind: 'reply';
  /** The conversation's mail thread id, from the token or else from a verified Parley Message-ID. */
  threadId: string;
  via: 'token' | 'references';
  /** The mail's own Message-ID (or a digest of it when missing): the agent reply's id, so a re-read is a no-op. */
  messageId: string;
  agent: { name: string; email: string };
  text: string;
  at: string;
  /** Set when the text was over its budget (common/limits.ts) and was cut: its bytes before the cut. */
  cutFromBytes?: number;
  /** The agent's files (agentFilesOf): stored as the user's by the activity, named in the text when refused. */
  files?: IncomingFile[];
}

export interface InboundIgnored {
  kind: 'ignored';
  reason: IgnoreReason;
  detail: string;
}

/** An app user's answer to a fallback mail (offline.ts), proven by its signed user token. */
export interface InboundUserReply {
  kind: 'user_reply';
  threadId: string;
  messageId: string;
  /** The sender's address: the conversation takes it only from the address it mailed. */
  from: string;
  text: string;
  at: string;
}

/** A bounce of a fallback mail, proven by the bounce token of its envelope sender: mail to that address stops. */
export interface InboundBounce {
  kind: 'bounce';
  threadId: string;
  /** The address that failed (`Final-Recipient`), when the report names it. */
  address?: string;
  detail: string;
}

export type InboundDecision = InboundReply | InboundIgnored | InboundUserReply | InboundBounce;

const ignored = (reason: IgnoreReason, detail: string): InboundIgnored => ({ kind: 'ignored', reason, detail });

/** The raw value of the first header named `name` (case-insensitive), unfolded. */
export function rawHeader(mail: Pick<ParsedMail, 'headerLines'>, name: string): string | undefined {
  return rawHeaders(mail, name, 1)[0];
}

/** The raw values of the first `max` headers named `name`, in the mail's order (topmost first), unfolded. */
export function rawHeaders(mail: Pick<ParsedMail, 'headerLines'>, name: string, max: number): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const header of mail.headerLines) {
    if (values.length >= max) break;
    if (header.key !== wanted) continue;
    const line = header.line;
    values.push(
      line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
  }
  return values;
}

function addresses(field: AddressObject | AddressObject[] | undefined): { name: string; address: string }[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  const out: { name: string; address: string }[] = [];
  const walk = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else if (entry.address) out.push({ name: entry.name ?? '', address: entry.address.toLowerCase() });
    }
  };
  for (const object of list) walk(object.value);
  return out;
}

/** `@acme.com` allows a domain, anything else one address; both case-insensitive. */
export function senderAllowed(address: string, allowed: readonly string[]): boolean {
  const lower = address.toLowerCase();
  return allowed.some((entry) => {
    const rule = entry.trim().toLowerCase();
    return rule.startsWith('@') ? lower.endsWith(rule) : lower === rule;
  });
}

const AUTO_SUBJECT =
  /^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheitsnotiz|r[ée]ponse automatique|absence|vacation|away from (the )?office)\b/i;

function isAutoReply(mail: ParsedMail): string | undefined {
  const auto = rawHeader(mail, 'auto-submitted');
  if (auto && auto.toLowerCase() !== 'no') return `Auto-Submitted: ${auto}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autogenerated', 'x-auto-reply']) {
    if (rawHeader(mail, name) !== undefined) return name;
  }
  const precedence = (rawHeader(mail, 'precedence') ?? rawHeader(mail, 'x-precedence'))?.toLowerCase();
  if (precedence && ['bulk', 'junk', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  if (rawHeader(mail, 'x-ms-exchange-generated-message-source') !== undefined) return 'Exchange-generated';
  if (AUTO_SUBJECT.test(mail.subject ?? '')) return `subject "${mail.subject ?? ''}"`;
  return undefined;
}

function isBounce(mail: ParsedMail, from: string | undefined): string | undefined {
  const type = rawHeader(mail, 'content-type')?.toLowerCase() ?? '';
  if (type.includes('multipart/report') && /report-type="?(delivery-status|disposition-notification)/.test(type))
    return 'multipart/report';
  const local = from?.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster)$/i.test(local)) return `from ${local}`;
  if (rawHeader(mail, 'return-path')?.replace(/\s/g, '') === '<>') return 'null Return-Path';
  if (rawHeader(mail, 'x-failed-recipients') !== undefined) return 'X-Failed-Recipients';
  return undefined;
}

function messageIds(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  return text.match(/<[^<>\s]+>/g) ?? [];
}

/**
 * With `requireAuthenticatedSender`, why the receiving server does not vouch for the sender, or undefined when it
 * does. One From header with one address, or DMARC cannot say whose it checked (and mailparser reads the last of
 * several From headers where a server may have checked the first).
 */
function unauthenticated(
  mail: ParsedMail,
  from: { address: string },
  authServIds: readonly string[],
): string | undefined {
  const fromHeaders = mail.headerLines.filter((h) => h.key === 'from').length;
  if (fromHeaders !== 1 || addresses(mail.from).length !== 1)
    return 'the mail has several From addresses: no verdict can vouch for one of them';
  const check = checkSender(
    rawHeaders(mail, 'authentication-results', MAX_HEADERS),
    domainOf(from.address),
    authServIds,
  );
  return check.ok ? undefined : check.detail;
}

/** The agent's name as the user sees it: the display name, else the address; one line, at most 80 characters. */
function agentName(name: string, address: string): string {
  return headerSafe(name, 80) || address.slice(0, 80);
}

/** How much of a delivery report is searched for the failed address. */
const MAX_REPORT_CHARS = 65_536;
// No class on either side of `@` holds `@`: linear on any input.
const FINAL_RECIPIENT = /Final-Recipient:[ \t]*rfc822[ \t]*;[ \t]*<?([^\s<>@;]+@[^\s<>@;]+)>?/i;

/** The failed address a delivery report names (its `message/delivery-status` part, else its text). */
function failedRecipient(mail: ParsedMail): string | undefined {
  const parts = [
    ...(mail.attachments ?? [])
      .filter((a) => a.contentType.toLowerCase().includes('delivery-status'))
      .map((a) => a.content.subarray(0, MAX_REPORT_CHARS).toString('utf8')),
    (mail.text ?? '').slice(0, MAX_REPORT_CHARS),
  ];
  for (const part of parts) {
    const found = FINAL_RECIPIENT.exec(part)?.[1];
    if (found) return found.toLowerCase();
  }
  return undefined;
}

function recipientsOf(mail: ParsedMail): string[] {
  return [
    ...addresses(mail.to),
    ...addresses(mail.cc),
    ...['delivered-to', 'x-original-to', 'envelope-to'].flatMap((h) => {
      const value = rawHeader(mail, h);
      return value ? [{ name: '', address: value.replace(/[<>]/g, '').toLowerCase() }] : [];
    }),
  ].map((a) => a.address);
}

/** A user's answer to a fallback mail: from the user (not an agent), so allowedSenders does not apply. */
function userReply(
  mail: ParsedMail,
  ctx: InboundContext,
  from: { address: string },
  threadId: string,
  fallbackId: string,
): InboundDecision {
  if (ctx.requireAuthenticatedSender) {
    const why = unauthenticated(mail, from, ctx.authServIds ?? []);
    if (why) return ignored('unauthenticated_sender', why);
  }
  const text = extractReply({
    ...(mail.text !== undefined ? { text: mail.text } : {}),
    ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
  });
  if (!text.trim()) return ignored('empty_reply', 'nothing left once quotes and signature are removed');
  return {
    kind: 'user_reply',
    threadId,
    messageId: mail.messageId ?? fallbackId,
    from: from.address,
    text,
    at: (mail.date ?? new Date()).toISOString(),
  };
}

export function decide(mail: ParsedMail, ctx: InboundContext, fallbackId: string): InboundDecision {
  const from = addresses(mail.from)[0];
  const domain = domainOf(ctx.replyAddress);
  // Shape alone is enough for the loop guard: a mail that only looks like Parley's is dropped, never relayed.
  const ownId = mail.messageId ? parseParleyMessageId(mail.messageId, domain) : undefined;
  if (rawHeader(mail, NOTIFICATION_HEADER) !== undefined || ownId !== undefined)
    return ignored('own_notification', 'a notification Parley sent (loop guard)');
  const recipients = recipientsOf(mail);
  const bounce = isBounce(mail, from?.address);
  if (bounce) {
    // A fallback mail's bounce comes back to its envelope sender, whose token names the conversation.
    const bounced = userTokenFromAddresses(ctx.tokenSecrets, 'b', ctx.appId, ctx.replyAddress, recipients);
    if (!bounced.ok) return ignored('bounce', bounce);
    const address = failedRecipient(mail);
    return { kind: 'bounce', threadId: bounced.threadId, ...(address ? { address } : {}), detail: bounce };
  }
  const auto = isAutoReply(mail);
  if (auto) return ignored('auto_reply', auto);
  if (!from) return ignored('malformed', 'no From address');
  const user = userTokenFromAddresses(ctx.tokenSecrets, 'u', ctx.appId, ctx.replyAddress, recipients);
  if (user.ok) return userReply(mail, ctx, from, user.threadId, fallbackId);
  if (user.reason === 'forged') return ignored('forged_token', "the user reply address's token has a bad signature");
  if (!senderAllowed(from.address, ctx.allowedSenders))
    return ignored('sender_not_allowed', `${from.address} is not in allowedSenders`);
  if (ctx.requireAuthenticatedSender) {
    const why = unauthenticated(mail, from, ctx.authServIds ?? []);
    if (why) return ignored('unauthenticated_sender', why);
  }

  const token = tokenFromAddresses(ctx.tokenSecrets, ctx.appId, ctx.replyAddress, recipients);
  let threadId: string;
  let via: InboundReply['via'] = 'token';
  if (token.ok) threadId = token.threadId;
  else if (token.reason === 'forged_token')
    return ignored('forged_token', 'the reply address token has a bad signature');
  else {
    // No token: the thread must be proven by a Parley Message-ID with a valid mac. The thread id alone is an
    // unkeyed hash of the conversation id, which anyone can compute.
    via = 'references';
    const refs = threadFromReferences(ctx.tokenSecrets, ctx.appId, domain, [
      ...messageIds(mail.inReplyTo),
      ...messageIds(mail.references),
    ]);
    if (!refs.ok)
      return refs.reason === 'forged_reference'
        ? ignored('forged_reference', refs.detail)
        : ignored('no_conversation', 'no reply token and no Parley Message-ID in In-Reply-To/References');
    threadId = refs.threadId;
  }

  const text = extractReply({
    ...(mail.text !== undefined ? { text: mail.text } : {}),
    ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
  });
  const files = agentFilesOf(mail);
  // A mail of files alone is a reply: its files.
  if (!text.trim() && files.length === 0)
    return ignored('empty_reply', 'nothing left once quotes and signature are removed');
  // Over its budget the reply is cut, and relayed: the whole of it stays in the team's mailbox.
  const bounded = cutToBudget(text, BUDGETS.agentReplyBytes, cutMarker("the team's mailbox"));
  // A Message-ID is the reply's dedupe id in the conversation: one of absurd length is replaced by the mail's digest.
  const messageId =
    mail.messageId && jsonStringBytes(mail.messageId) <= BUDGETS.replyIdBytes - 10 ? mail.messageId : fallbackId;
  return {
    kind: 'reply',
    threadId,
    via,
    messageId,
    agent: { name: agentName(from.name, from.address), email: from.address.slice(0, 320) },
    text: bounded.text,
    at: (mail.date ?? new Date()).toISOString(),
    ...(bounded.cut ? { cutFromBytes: bounded.bytes } : {}),
    ...(files.length > 0 ? { files } : {}),
  };
}

/** At most this many of a mail's files are kept (the mail's size is bounded by `email.maxMailBytes` already). */
export const MAX_MAIL_FILES = 20;

/**
 * Where the quoted mail begins in a reply's HTML: a `<blockquote>`, Gmail's and Outlook's quote containers,
 * Thunderbird's `moz-cite-prefix`. What is before it is the agent's own part.
 */
const HTML_QUOTE_START =
  /<blockquote\b|class=["']?(?:gmail_quote|moz-cite-prefix)|id=["']?(?:divRplyFwdMsg|appendonsend)/i;

/** The content ids (`cid:…`) the agent's own part of the HTML shows (before the quote). */
function ownContentIds(html: string | false | undefined): Set<string> {
  if (typeof html !== 'string') return new Set();
  const quote = html.search(HTML_QUOTE_START);
  const own = quote < 0 ? html : html.slice(0, quote);
  const ids = new Set<string>();
  // No class on either side holds the other's delimiter: linear on any input.
  for (const match of own.matchAll(/cid:([^"'\s>)]{1,500})/gi)) ids.add(decodeURIComponentSafe(match[1] ?? ''));
  return ids;
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value).toLowerCase();
  } catch {
    return value.toLowerCase();
  }
}

/** A part's content id without its angle brackets, lower-cased: how `cid:` references name it. */
function contentIdOf(a: MailAttachment): string | undefined {
  const cid = a.cid ?? a.contentId;
  return cid ? cid.replace(/^<|>$/g, '').toLowerCase() : undefined;
}

/**
 * The files of an agent's reply mail that the user should get: every part sent as an attachment
 * (`Content-Disposition: attachment`), and the inline images the agent's own part of the HTML shows (a screenshot
 * pasted in the reply). Inline images only the quoted mail shows (the user's own, an earlier signature's logo) stay
 * out; so do delivery reports' machine parts. A signature logo in the agent's own part does come along: the mail
 * shows it, Parley cannot tell it from a pasted image.
 */
export function agentFilesOf(mail: Pick<ParsedMail, 'attachments' | 'html'>): IncomingFile[] {
  const shown = ownContentIds(mail.html);
  const files: IncomingFile[] = [];
  for (const a of mail.attachments ?? []) {
    if (files.length >= MAX_MAIL_FILES) break;
    const type = a.contentType.toLowerCase();
    if (type.includes('delivery-status') || type === 'message/disposition-notification') continue;
    const cid = contentIdOf(a);
    const inline = a.contentDisposition !== 'attachment';
    if (inline && !(cid !== undefined && shown.has(cid))) continue;
    const extension = type.split('/')[1]?.replace(/[^a-z0-9]/g, '') ?? 'bin';
    files.push({
      name: a.filename ?? `${inline ? 'image' : 'attachment'}-${files.length + 1}.${extension}`,
      contentType: a.contentType,
      bytes: a.content,
    });
  }
  return files;
}
