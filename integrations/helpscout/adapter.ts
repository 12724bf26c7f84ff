/**
 * What Parley does in Help Scout for one outbox batch: one Help Scout conversation per Parley conversation (found
 * again by its customer after a crash), user messages as customer threads, replies from elsewhere as notes, and a
 * deleted mailbox answered by a fresh conversation in the configured one, with the history as a note.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { IntegrationError, OutboxBatchError } from '../../common/errors';
import {
  ARCHIVED_TEXT,
  displayName,
  HISTORY_HEADING,
  historyLines,
  mirroredReply,
  profileText,
  userLabel,
  type ConversationMessage,
  type OutboxBatch,
  type OutboxItem,
} from '../../common/conversation';
import { htmlToText, textToHtml } from '../../common/text';
import type { HelpScoutClient, HelpScoutConfig } from './client';
import { forgetMailbox, resolveMailboxId } from './mailbox';

/**
 * Parley never gives Help Scout the user's real address: the customer is a per-conversation address on the
 * reserved `.invalid` domain (RFC 2606), so whatever Help Scout would email (a reply typed in the mailbox, an
 * auto-reply) cannot reach the user. The user hears from the team only through the client app.
 */
export function customerEmail(appId: string, userId: string): string {
  const hash = createHash('sha256').update(`${appId}\u0000${userId}`).digest('hex').slice(0, 20);
  return `user-${hash}@${appId.replace(/_/g, '-')}.parley.invalid`;
}

/** Conversation type: `chat`, so agents answer in the chat composer and no email thread is implied. */
export const CONVERSATION_TYPE = 'chat';

export type HelpScoutBatch = Pick<
  OutboxBatch,
  'appId' | 'userId' | 'conversationId' | 'profile' | 'refs' | 'items' | 'recent'
> & {
  appName: string;
};

const conversationList = z.object({
  _embedded: z
    .object({ conversations: z.array(z.object({ id: z.number(), mailboxId: z.number().optional() })) })
    .optional(),
});
const threadList = z.object({
  _embedded: z
    .object({
      threads: z.array(
        z.looseObject({
          id: z.number(),
          type: z.string(),
          body: z.string().optional(),
          createdAt: z.string().optional(),
          createdBy: z.looseObject({ type: z.string().optional() }).optional(),
        }),
      ),
    })
    .optional(),
});

export function createHelpScoutAdapter(client: HelpScoutClient, config: HelpScoutConfig) {
  const configuredMailbox = (): Promise<number> => resolveMailboxId(client, config);

  function customer(batch: HelpScoutBatch) {
    const name = displayName(batch.profile);
    return {
      email: customerEmail(batch.appId, batch.userId),
      ...(batch.profile.givenName
        ? { firstName: batch.profile.givenName.slice(0, 40) }
        : name
          ? { firstName: name.slice(0, 40) }
          : { firstName: batch.userId.slice(0, 40) }),
      ...(batch.profile.surname ? { lastName: batch.profile.surname.slice(0, 40) } : {}),
    };
  }

  /** A conversation made by an earlier try that crashed before Parley recorded it. */
  async function existing(batch: HelpScoutBatch, mailboxId: number): Promise<number | undefined> {
    const res = conversationList.parse(
      (
        await client.request('GET', 'conversations', {
          query: {
            mailbox: String(mailboxId),
            status: 'all',
            tag: 'parley',
            query: `(email:"${customerEmail(batch.appId, batch.userId)}")`,
          },
        })
      ).body,
    );
    return res._embedded?.conversations[0]?.id;
  }

  function profileNote(batch: HelpScoutBatch): string {
    return [
      `Conversation with ${userLabel(batch.profile, batch.userId)} from ${batch.appName} (Parley ${batch.conversationId}).`,
      profileText(batch.profile, batch.userId),
      'Reply here: Parley relays your reply to the user in the app; Help Scout never emails them.',
    ].join('\n');
  }

  async function open(
    batch: HelpScoutBatch,
    first: ConversationMessage | undefined,
    refs: Record<string, string>,
    history?: ConversationMessage[],
  ): Promise<number> {
    let mailboxId = await configuredMailbox();
    const found = history ? undefined : await existing(batch, mailboxId);
    if (found !== undefined) {
      refs.helpscoutConversationId = String(found);
      refs.helpscoutMailboxId = String(mailboxId);
      return found;
    }
    const subject = (first?.text ?? 'Conversation').split('\n')[0]?.slice(0, 100) ?? 'Conversation';
    const threads: Record<string, unknown>[] = [];
    if (first)
      threads.push({
        type: 'customer',
        customer: { email: customerEmail(batch.appId, batch.userId) },
        text: textToHtml(first.text),
      });
    const create = (mailbox: number) =>
      client.request('POST', 'conversations', {
        body: {
          subject,
          customer: customer(batch),
          mailboxId: mailbox,
          type: CONVERSATION_TYPE,
          status: 'active',
          tags: ['parley'],
          autoReply: false,
          threads,
        },
      });
    let res;
    try {
      res = await create(mailboxId);
    } catch (err) {
      const code = (err as IntegrationError).code;
      if (code !== 'helpscout_invalid' && code !== 'helpscout_not_found') throw err;
      // The mailbox known by name was deleted (perhaps replaced by one of the same name): look it up again, once.
      forgetMailbox(config);
      mailboxId = await configuredMailbox();
      res = await create(mailboxId);
    }
    const id = client.resourceId(res);
    refs.helpscoutConversationId = String(id);
    refs.helpscoutMailboxId = String(mailboxId);
    const note =
      history && history.length > 0
        ? `${profileNote(batch)}\n\n${HISTORY_HEADING} (its previous Help Scout mailbox is gone)\n${historyLines(
            history,
            batch.profile,
            batch.userId,
          )
            .map(({ who, text }) => `${who}: ${text}`)
            .join('\n')}`
        : profileNote(batch);
    await client.request('POST', `conversations/${id}/notes`, { body: { text: textToHtml(note) } });
    return id;
  }

  /** Customer threads a previous try of this batch already made: same text, created since the batch began. */
  async function alreadyPosted(conversation: number, items: OutboxItem[]): Promise<Set<string>> {
    const since = Math.min(...items.map((i) => i.enqueuedAt)) - 60_000;
    const res = threadList.parse((await client.request('GET', `conversations/${conversation}/threads`)).body);
    const pool = (res._embedded?.threads ?? [])
      .filter((t) => t.type === 'customer' && (!t.createdAt || Date.parse(t.createdAt) >= since))
      .map((t) => htmlToText(t.body ?? ''))
      .reverse();
    const done = new Set<string>();
    for (const item of items) {
      if (item.kind !== 'message:user' || !item.message) continue;
      // Both sides through the same html→text, so whitespace and entities compare alike.
      const at = pool.indexOf(htmlToText(textToHtml(item.message.text)));
      if (at < 0) break;
      pool.splice(0, at + 1);
      done.add(item.eventId);
    }
    return done;
  }

  return {
    async send(batch: HelpScoutBatch): Promise<{ refs: Record<string, string>; completed: number }> {
      const refs = { ...batch.refs };
      let completed = 0;
      try {
        let conversation = refs.helpscoutConversationId ? Number(refs.helpscoutConversationId) : undefined;
        let posted =
          conversation !== undefined
            ? await alreadyPosted(conversation, batch.items).catch((err: unknown) => {
                if ((err as IntegrationError).code === 'helpscout_not_found') return new Set<string>();
                throw err;
              })
            : new Set<string>();
        for (const item of batch.items) {
          if (posted.has(item.eventId)) {
            completed++;
            continue;
          }
          const message = item.message;
          if (item.kind === 'message:user' && message && conversation === undefined) {
            conversation = await open(batch, message, refs);
            completed++;
            continue;
          }
          if (conversation === undefined) {
            completed++;
            continue;
          }
          const path =
            item.kind === 'message:user'
              ? `conversations/${conversation}/customer`
              : `conversations/${conversation}/notes`;
          const body =
            item.kind === 'message:user' && message
              ? { customer: { email: customerEmail(batch.appId, batch.userId) }, text: textToHtml(message.text) }
              : {
                  text: textToHtml(
                    item.kind === 'conversation:archived' || !message ? ARCHIVED_TEXT : mirroredReply(message),
                  ),
                };
          try {
            await client.request('POST', path, { body });
          } catch (err) {
            const code = (err as IntegrationError).code;
            if (code !== 'helpscout_not_found' && code !== 'helpscout_invalid') throw err;
            // The conversation's mailbox was deleted (or the conversation with it): carry on in a new one, with
            // the recent history, which the workflow sends when asked.
            if (!batch.recent) {
              throw new OutboxBatchError(
                new IntegrationError('helpscout_conversation_gone', `Help Scout conversation ${conversation} is gone`, {
                  retryable: false,
                }),
                completed,
                refs,
                true,
              );
            }
            conversation = await open(
              batch,
              item.kind === 'message:user' ? message : undefined,
              refs,
              batch.recent ?? [],
            );
            posted = new Set();
            if (item.kind !== 'message:user')
              await client.request('POST', `conversations/${conversation}/notes`, { body });
          }
          completed++;
        }
        return { refs, completed };
      } catch (err) {
        if (err instanceof OutboxBatchError) throw err;
        const e =
          err instanceof IntegrationError
            ? err
            : new IntegrationError('helpscout_error', String(err), { retryable: true, cause: err });
        throw new OutboxBatchError(e, completed, refs);
      }
    },
  };
}
