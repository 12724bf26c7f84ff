/**
 * What Parley does in Zendesk for one outbox batch: the user as one end user (identity.ts), the conversation as one
 * ticket (`external_id` = the workflow id, tag `parley`), every user message of the batch as one public comment by
 * that end user, replies from other integrations as a private note, a closed ticket answered by a follow-up ticket.
 * The user's files are uploaded (Attachments API) just before that comment and attached to it by their tokens.
 */
import { z } from 'zod';
import { isIntegrationError, OutboxBatchError } from '../../common/errors';
import {
  HANDOFF_HISTORY_HEADING,
  handoffText,
  historyLines,
  mirroredReply,
  userMessagePlainText,
  type ConversationMessage,
  type HandoffInfo,
  type OutboxBatch,
} from '../../common/conversation';
import { filesNotSentLines, filesToSend, withoutFilesNotSentLines, type ReadFile } from '../../common/files';
import { resultOf, ZENDESK_MAX_UPLOAD_BYTES, type ZendeskClient } from './client';
import { toZendeskError, zendeskTicketDeleted } from './errors';
import { zendeskEndUser } from './identity';

export type ZendeskBatch = Pick<OutboxBatch, 'appId' | 'userId' | 'conversationId' | 'profile' | 'refs' | 'items'> &
  Pick<Partial<OutboxBatch>, 'resumedFrom'>;

// node-zendesk hands back the named object of an answer (`ticket`, `user`) or the list (`tickets`, `comments`).
const user = z.object({ id: z.number() });
const ticket = z.object({ id: z.number(), status: z.string() });
const tickets = z.array(z.object({ id: z.number(), status: z.string(), created_at: z.string().optional() }));
const comments = z.array(
  z.object({
    id: z.number(),
    author_id: z.number(),
    body: z.string().optional(),
    plain_body: z.string().optional(),
    created_at: z.string().optional(),
  }),
);

/** The body of the one comment a batch of user messages becomes. */
export function commentBody(messages: ConversationMessage[]): string {
  return messages.map((m) => userMessagePlainText(m)).join('\n\n');
}

/** A handoff to the team as the ticket shows it: what happened, then the exchange with the bot. */
export function handoffTranscript(batch: Pick<ZendeskBatch, 'profile' | 'userId'>, handoff: HandoffInfo): string {
  const lines = historyLines(handoff.history ?? [], batch.profile, batch.userId).map((l) => `${l.who}: ${l.text}`);
  return lines.length > 0
    ? `${handoffText(handoff)}\n\n${HANDOFF_HISTORY_HEADING}\n${lines.join('\n')}`
    : handoffText(handoff);
}

/** What a batch asks of Zendesk, read from its items. */
export function batchParts(batch: ZendeskBatch) {
  const userMessages = batch.items
    .filter((i) => i.kind === 'message:user' && i.message)
    .map((i) => i.message as ConversationMessage);
  const transcripts: string[] = [];
  const notes: string[] = [];
  for (const item of batch.items) {
    if (item.kind === 'message:agent' && item.message) notes.push(mirroredReply(item.message));
    else if (item.kind === 'conversation:handoff' && item.handoff?.to === 'team')
      transcripts.push(handoffTranscript(batch, item.handoff));
    else if (item.kind === 'conversation:handoff' && item.handoff) notes.push(handoffText(item.handoff));
    else if (item.kind === 'delivery:status' && item.notice) notes.push(item.notice);
  }
  // A handoff opens the ticket with the bot exchange as its first comment; on a ticket already there it is a note.
  const opening = transcripts.length > 0 && !batch.refs.zendeskTicketId ? transcripts.join('\n\n') : undefined;
  if (!opening) notes.unshift(...transcripts);
  const body = [opening, userMessages.length > 0 ? commentBody(userMessages) : undefined].filter(
    (part): part is string => part !== undefined,
  );
  return {
    body: body.length > 0 ? body.join('\n\n') : undefined,
    note: notes.length > 0 ? notes.join('\n\n') : undefined,
    // A comment of a retry made since a minute before the batch began counts as this batch's.
    since: Math.min(...batch.items.map((i) => i.enqueuedAt)) - 60_000,
    // One key per batch: Temporal's retries of it reuse it.
    key: `${batch.conversationId}:${batch.items[0]?.eventId ?? 'batch'}`,
    attachments: userMessages.flatMap((m) => (m.postback ? [] : (m.attachments ?? []))),
  };
}

/** What the user's comment carries: its body (ending with the files Zendesk could not get) and upload tokens. */
interface CommentContent {
  body: string;
  uploads: string[];
}

export function createZendeskAdapter(client: ZendeskClient, options: { trustUserEmail: boolean; readFile?: ReadFile }) {
  const { api } = client;

  /**
   * Uploads the batch's files (one upload, its token passed along, so the comment names one token) and ends the
   * body with the names of those gone from the store or over Zendesk's limit. Run just before the comment: a retry
   * that finds the comment made uploads nothing; one that uploads again leaves the first upload unattached, and
   * Zendesk deletes unattached uploads when their token expires.
   */
  async function commentContent(
    body: string,
    attachments: ConversationMessage['attachments'],
  ): Promise<CommentContent> {
    if (!attachments?.length) return { body, uploads: [] };
    const files = options.readFile
      ? await filesToSend(options.readFile, attachments, ZENDESK_MAX_UPLOAD_BYTES)
      : { files: [], gone: attachments.map((a) => a.name), tooLarge: [] };
    const tokens: string[] = [];
    for (const { bytes, file } of files.files) {
      const token = await client.upload({ name: file.name, mediaType: file.mediaType, bytes }, tokens.at(-1));
      if (!tokens.includes(token)) tokens.push(token);
    }
    return { body: [body, ...filesNotSentLines(files)].join('\n'), uploads: tokens };
  }

  /** The app user's end user (identity.ts: by Parley's own `external_id` unless the app's emails are trusted). */
  async function endUser(batch: ZendeskBatch): Promise<number> {
    const { result } = await api.users.createOrUpdate({ user: zendeskEndUser(batch, options) });
    return user.parse(result).id;
  }

  /** A ticket an earlier try made (its answer lost), found by `external_id`, unless closed. */
  async function existingTicket(conversationId: string): Promise<number | undefined> {
    const found = tickets.parse(await api.tickets.listWithFilter('external_id', conversationId));
    return found.filter((t) => t.status !== 'closed' && t.status !== 'deleted').at(-1)?.id;
  }

  async function createTicket(
    batch: ZendeskBatch,
    requester: number,
    content: CommentContent,
    key: string,
    followUpOf?: number,
  ): Promise<number> {
    const { body, uploads } = content;
    const subject = (body.split('\n')[0] ?? 'Conversation').slice(0, 150);
    // Keys expire (Zendesk keeps them about two hours), which is why the lookup by external_id comes first.
    const { result } = await client.withHeaders({ 'Idempotency-Key': key }, () =>
      api.tickets.create({
        ticket: {
          subject,
          comment: { body, public: true, author_id: requester, ...(uploads.length > 0 ? { uploads } : {}) },
          requester_id: requester,
          external_id: batch.conversationId,
          tags: ['parley'],
          ...(followUpOf !== undefined ? { via_followup_source_id: followUpOf } : {}),
        },
      }),
    );
    return ticket.parse(result).id;
  }

  /** Whether a retry's comment is already on the ticket: same body, same author, made since the batch began. */
  async function alreadyCommented(ticketId: number, author: number, body: string, since: number): Promise<boolean> {
    // Not `tickets.getComments`: it pages through every comment oldest first; the newest page is all a retry needs.
    const newest = comments.parse(
      await resultOf(api.tickets.get(['tickets', ticketId, 'comments', { sort_order: 'desc' }])),
    );
    return newest.some(
      (c) =>
        c.author_id === author &&
        withoutFilesNotSentLines(c.plain_body ?? c.body ?? '').trim() === body.trim() &&
        (!c.created_at || Date.parse(c.created_at) >= since),
    );
  }

  async function comment(ticketId: number, content: CommentContent, isPublic: boolean, author?: number): Promise<void> {
    const { body, uploads } = content;
    await api.tickets.update(ticketId, {
      ticket: {
        comment: {
          body,
          public: isPublic,
          ...(author !== undefined ? { author_id: author } : {}),
          ...(uploads.length > 0 ? { uploads } : {}),
        },
      },
    });
  }

  /**
   * The user messages as one public comment, on the conversation's ticket or a new one. `refs.zendeskTicketId` is
   * set as soon as the ticket is known, so a failure after it still hands the ticket to the outbox.
   */
  async function postUserMessages(
    batch: ZendeskBatch,
    refs: Record<string, string>,
    requester: number,
    parts: { body: string; since: number; key: string; attachments: ConversationMessage['attachments'] },
  ): Promise<void> {
    const { body, since, key } = parts;
    // Made once, when a comment is about to be: the follow-up after a closed ticket's refusal reuses the uploads.
    let made: Promise<CommentContent> | undefined;
    const content = () => (made ??= commentContent(body, parts.attachments));
    const known = refs.zendeskTicketId ? Number(refs.zendeskTicketId) : undefined;
    if (known === undefined) {
      const found = await existingTicket(batch.conversationId);
      if (found === undefined) {
        // A new ticket carries the body as its first comment: nothing to check (comparing Zendesk's `created_at`
        // with the workflow's clock would post it twice when the clocks are more than a minute apart).
        refs.zendeskTicketId = String(await createTicket(batch, requester, await content(), key));
        return;
      }
      // A ticket an earlier, crashed attempt created: its comment may or may not be there yet.
      refs.zendeskTicketId = String(found);
      if (!(await alreadyCommented(found, requester, body, since)))
        await comment(found, await content(), true, requester);
      return;
    }
    if (await alreadyCommented(known, requester, body, since)) return;
    try {
      await comment(known, await content(), true, requester);
    } catch (err) {
      if (!isIntegrationError(err, 'zendesk_unprocessable')) throw err;
      // A closed ticket refuses updates: a follow-up ticket linked to it carries the conversation on.
      refs.zendeskTicketId = String(await createTicket(batch, requester, await content(), `${key}:followup`, known));
    }
  }

  /**
   * An operator resumed the outbox after its ticket was deleted: if the ticket is still gone, the conversation goes
   * on in a new one (its messages are all still queued). Only on a resume, never on Parley's own re-checks.
   */
  async function forgetDeletedTicket(batch: ZendeskBatch, refs: Record<string, string>): Promise<void> {
    if (batch.resumedFrom !== 'zendesk_ticket_deleted' || !refs.zendeskTicketId) return;
    try {
      await api.tickets.show(Number(refs.zendeskTicketId));
    } catch (err) {
      if (!isIntegrationError(toZendeskError(err), 'zendesk_not_found')) throw err;
      delete refs.zendeskTicketId;
    }
  }

  return {
    async send(batch: ZendeskBatch): Promise<{ refs: Record<string, string> }> {
      const refs = { ...batch.refs };
      try {
        await forgetDeletedTicket(batch, refs);
        const parts = batchParts(batch);
        // A conversation keeps the end user it has, also one an older Parley matched by email: only new end users
        // are made the way identity.ts says (a conversation does not change requester halfway).
        const requester = refs.zendeskUserId ? Number(refs.zendeskUserId) : await endUser(batch);
        refs.zendeskUserId = String(requester);
        if (parts.body !== undefined) await postUserMessages(batch, refs, requester, { ...parts, body: parts.body });
        const ticketId = refs.zendeskTicketId ? Number(refs.zendeskTicketId) : undefined;
        if (parts.note !== undefined && ticketId !== undefined)
          await comment(ticketId, { body: parts.note, uploads: [] }, false);
        return { refs };
      } catch (err) {
        const e = toZendeskError(err);
        // A deleted ticket is an operator's problem to see, not to retry blindly.
        throw new OutboxBatchError(isIntegrationError(e, 'zendesk_not_found') ? zendeskTicketDeleted(e) : e, 0, refs);
      }
    },
  };
}
