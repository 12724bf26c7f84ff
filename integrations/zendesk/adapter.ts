/**
 * What Parley does in Zendesk for one outbox batch: the user as one end user, the conversation as one ticket
 * (`external_id` = the workflow id, tag `parley`), every user message of the batch as one public comment by that
 * end user, replies from other integrations as a private note, a closed ticket answered by a follow-up ticket.
 */
import { z } from 'zod';
import { IntegrationError, OutboxBatchError } from '../../common/errors';
import { displayName, mirroredReply, type ConversationMessage, type OutboxBatch } from '../../common/conversation';
import type { ZendeskClient } from './client';

export type ZendeskBatch = Pick<OutboxBatch, 'appId' | 'userId' | 'conversationId' | 'profile' | 'refs' | 'items'>;

const userAnswer = z.object({ user: z.object({ id: z.number() }) });
const ticketAnswer = z.object({ ticket: z.object({ id: z.number(), status: z.string() }) });
const ticketList = z.object({
  tickets: z.array(z.object({ id: z.number(), status: z.string(), created_at: z.string().optional() })),
});
const commentList = z.object({
  comments: z.array(
    z.object({
      id: z.number(),
      author_id: z.number(),
      body: z.string().optional(),
      plain_body: z.string().optional(),
      created_at: z.string().optional(),
    }),
  ),
});

/** The body of the one comment a batch of user messages becomes. */
export function commentBody(messages: ConversationMessage[]): string {
  return messages.map((m) => m.text).join('\n\n');
}

export function createZendeskAdapter(client: ZendeskClient) {
  async function endUser(batch: ZendeskBatch): Promise<number> {
    const name = displayName(batch.profile) ?? batch.userId;
    const res = await client.request('POST', 'users/create_or_update.json', {
      body: {
        user: {
          name,
          external_id: `parley:${batch.appId}:${batch.userId}`,
          role: 'end-user',
          ...(batch.profile.email ? { email: batch.profile.email } : {}),
        },
      },
    });
    return userAnswer.parse(res.body).user.id;
  }

  /** A ticket an earlier try made (its answer lost), found by `external_id`, unless closed. */
  async function existingTicket(conversationId: string): Promise<number | undefined> {
    const res = ticketList.parse(
      (await client.request('GET', 'tickets.json', { query: { external_id: conversationId } })).body,
    );
    return res.tickets.filter((t) => t.status !== 'closed' && t.status !== 'deleted').at(-1)?.id;
  }

  async function createTicket(
    batch: ZendeskBatch,
    requester: number,
    body: string,
    key: string,
    followUpOf?: number,
  ): Promise<number> {
    const subject = (body.split('\n')[0] ?? 'Conversation').slice(0, 150);
    const res = await client.request('POST', 'tickets.json', {
      // Keys expire (Zendesk keeps them about two hours), which is why the lookup above comes first.
      headers: { 'Idempotency-Key': key },
      body: {
        ticket: {
          subject,
          comment: { body, public: true, author_id: requester },
          requester_id: requester,
          external_id: batch.conversationId,
          tags: ['parley'],
          ...(followUpOf !== undefined ? { via_followup_source_id: followUpOf } : {}),
        },
      },
    });
    return ticketAnswer.parse(res.body).ticket.id;
  }

  /** Whether a retry's comment is already on the ticket: same body, same author, made since the batch began. */
  async function alreadyCommented(ticket: number, author: number, body: string, since: number): Promise<boolean> {
    const res = commentList.parse(
      (await client.request('GET', `tickets/${ticket}/comments.json`, { query: { sort_order: 'desc' } })).body,
    );
    return res.comments.some(
      (c) =>
        c.author_id === author &&
        (c.plain_body ?? c.body ?? '').trim() === body.trim() &&
        (!c.created_at || Date.parse(c.created_at) >= since),
    );
  }

  return {
    async send(batch: ZendeskBatch): Promise<{ refs: Record<string, string> }> {
      const refs = { ...batch.refs };
      try {
        const userMessages = batch.items
          .filter((i) => i.kind === 'message:user' && i.message)
          .map((i) => i.message as ConversationMessage);
        const notes = batch.items
          .filter((i) => i.kind === 'message:agent' && i.message)
          .map((i) => mirroredReply(i.message as ConversationMessage));
        const since = Math.min(...batch.items.map((i) => i.enqueuedAt)) - 60_000;
        const requester = refs.zendeskUserId ? Number(refs.zendeskUserId) : await endUser(batch);
        refs.zendeskUserId = String(requester);
        let ticket = refs.zendeskTicketId ? Number(refs.zendeskTicketId) : undefined;
        const key = `${batch.conversationId}:${batch.items[0]?.eventId ?? 'batch'}`;

        if (userMessages.length > 0) {
          const body = commentBody(userMessages);
          if (ticket === undefined) {
            ticket = (await existingTicket(batch.conversationId)) ?? (await createTicket(batch, requester, body, key));
            refs.zendeskTicketId = String(ticket);
            if (!(await alreadyCommented(ticket, requester, body, since))) await comment(ticket, body, true, requester);
          } else if (!(await alreadyCommented(ticket, requester, body, since))) {
            try {
              await comment(ticket, body, true, requester);
            } catch (err) {
              if ((err as IntegrationError).code !== 'zendesk_unprocessable') throw err;
              // A closed ticket refuses updates: a follow-up ticket linked to it carries the conversation on.
              ticket = await createTicket(batch, requester, body, `${key}:followup`, ticket);
              refs.zendeskTicketId = String(ticket);
            }
          }
        }
        if (notes.length > 0 && ticket !== undefined) await comment(ticket, notes.join('\n\n'), false);
        return { refs };
      } catch (err) {
        const e =
          err instanceof IntegrationError
            ? err
            : new IntegrationError('zendesk_error', String(err), { retryable: true, cause: err });
        // A deleted ticket is an operator's problem to see, not to retry blindly.
        const shown =
          e.code === 'zendesk_not_found'
            ? new IntegrationError('zendesk_ticket_deleted', `${e.message} (was the ticket deleted?)`, {
                retryable: false,
                cause: e,
              })
            : e;
        throw new OutboxBatchError(shown, 0, refs);
      }

      async function comment(ticket: number, body: string, isPublic: boolean, author?: number): Promise<void> {
        await client.request('PUT', `tickets/${ticket}.json`, {
          body: {
            ticket: { comment: { body, public: isPublic, ...(author !== undefined ? { author_id: author } : {}) } },
          },
        });
      }
    },
  };
}
