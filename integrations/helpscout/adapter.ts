/**
 * What Parley does in Help Scout for one outbox batch: one Help Scout conversation per Parley conversation (found
 * again by its customer after a crash), user messages as customer threads, replies from elsewhere as notes, and a
 * deleted mailbox answered by a fresh conversation in the configured one, with the history as a note. A user's files
 * go with their customer thread as its `attachments` (base64, Help Scout's 10 MB a file).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { IntegrationError, isIntegrationError, OutboxBatchError } from '../../common/errors';
import {
  ARCHIVED_TEXT,
  displayName,
  HANDOFF_HISTORY_HEADING,
  handoffText,
  HISTORY_HEADING,
  historyLines,
  mirroredReply,
  profileText,
  userLabel,
  userMessagePlainText,
  type ConversationMessage,
  type OutboxBatch,
  type OutboxItem,
} from '../../common/conversation';
import { filesNotSentLines, filesToSend, withoutFilesNotSentLines, type ReadFile } from '../../common/files';
import { htmlToText, textToHtml } from '../../common/text';
import type { HelpScoutCache } from './cache';
import type { HelpScoutClient, HelpScoutConfig } from './client';
import { helpScoutError, isGone } from './errors';
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

/** Help Scout's limit on one attachment of a thread. */
export const HELPSCOUT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** A thread's `attachments` as the create-thread and create-conversation endpoints take them. */
interface ThreadAttachment {
  fileName: string;
  mimeType: string;
  data: string;
}

/** Where one send stands: what it made (refs), how far it got, and which items an earlier try already sent. */
interface SendState {
  refs: Record<string, string>;
  completed: number;
  conversation: number | undefined;
  posted: Set<string>;
}

export function createHelpScoutAdapter(
  client: HelpScoutClient,
  config: HelpScoutConfig,
  cache: HelpScoutCache,
  readFile?: ReadFile,
) {
  const configuredMailbox = (): Promise<number> => resolveMailboxId(client, config, cache);
  const customerRef = (batch: HelpScoutBatch) => ({ email: customerEmail(batch.appId, batch.userId) });

  function customer(batch: HelpScoutBatch) {
    const name = displayName(batch.profile);
    return {
      ...customerRef(batch),
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
            query: `(email:"${customerRef(batch).email}")`,
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

  /** The first note: who the user is, and, when the old conversation is gone, what was said there. */
  function openingNote(batch: HelpScoutBatch, history?: ConversationMessage[], heading?: string): string {
    if (!history || history.length === 0) return profileNote(batch);
    const lines = historyLines(history, batch.profile, batch.userId).map(({ who, text }) => `${who}: ${text}`);
    const title = heading ?? `${HISTORY_HEADING} (its previous Help Scout mailbox is gone)`;
    return `${profileNote(batch)}\n\n${title}\n${lines.join('\n')}`;
  }

  /**
   * A user's message as a customer thread's text and attachments: its files read from Parley's store, those gone or
   * over Help Scout's limit named at the end of the text (which a retry's `alreadyPosted` leaves out).
   */
  async function customerThread(
    message: ConversationMessage,
  ): Promise<{ text: string; attachments?: ThreadAttachment[] }> {
    const text = userMessagePlainText(message);
    const attachments = message.postback ? [] : (message.attachments ?? []);
    if (attachments.length === 0) return { text: textToHtml(text) };
    const files = readFile
      ? await filesToSend(readFile, attachments, HELPSCOUT_MAX_ATTACHMENT_BYTES)
      : { files: [], gone: attachments.map((a) => a.name), tooLarge: [] };
    return {
      text: textToHtml([text, ...filesNotSentLines(files)].join('\n')),
      ...(files.files.length > 0
        ? {
            attachments: files.files.map(({ bytes, file }) => ({
              fileName: file.name,
              mimeType: file.mediaType,
              data: bytes.toString('base64'),
            })),
          }
        : {}),
    };
  }

  /** Creates the conversation in the configured mailbox, looking the mailbox up again once if it was replaced. */
  async function create(batch: HelpScoutBatch, first: ConversationMessage | undefined, mailboxId: number) {
    const subject = (first?.text ?? 'Conversation').split('\n')[0]?.slice(0, 100) ?? 'Conversation';
    const threads = first ? [{ type: 'customer', customer: customerRef(batch), ...(await customerThread(first)) }] : [];
    const post = (mailbox: number) =>
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
    try {
      return { res: await post(mailboxId), mailboxId };
    } catch (err) {
      if (!isGone(err)) throw err;
      // The mailbox known by name was deleted (perhaps replaced by one of the same name): look it up again, once.
      forgetMailbox(cache, config);
      const fresh = await configuredMailbox();
      return { res: await post(fresh), mailboxId: fresh };
    }
  }

  async function open(
    batch: HelpScoutBatch,
    first: ConversationMessage | undefined,
    refs: Record<string, string>,
    history?: ConversationMessage[],
    heading?: string,
  ): Promise<number> {
    const configured = await configuredMailbox();
    const found = history && !heading ? undefined : await existing(batch, configured);
    if (found !== undefined) {
      refs.helpscoutConversationId = String(found);
      refs.helpscoutMailboxId = String(configured);
      return found;
    }
    const { res, mailboxId } = await create(batch, first, configured);
    const id = client.resourceId(res);
    refs.helpscoutConversationId = String(id);
    refs.helpscoutMailboxId = String(mailboxId);
    await client.request('POST', `conversations/${id}/notes`, {
      body: { text: textToHtml(openingNote(batch, history, heading)) },
    });
    return id;
  }

  /** Customer threads a previous try of this batch already made: same text, created since the batch began. */
  async function alreadyPosted(conversation: number, items: OutboxItem[]): Promise<Set<string>> {
    const since = Math.min(...items.map((i) => i.enqueuedAt)) - 60_000;
    const res = threadList.parse((await client.request('GET', `conversations/${conversation}/threads`)).body);
    const pool = (res._embedded?.threads ?? [])
      .filter((t) => t.type === 'customer' && (!t.createdAt || Date.parse(t.createdAt) >= since))
      .map((t) => withoutFilesNotSentLines(htmlToText(t.body ?? '')))
      .reverse();
    const done = new Set<string>();
    for (const item of items) {
      if (item.kind !== 'message:user' || !item.message) continue;
      // Both sides through the same html→text, so whitespace and entities compare alike.
      const at = pool.indexOf(htmlToText(textToHtml(userMessagePlainText(item.message))));
      if (at < 0) break;
      pool.splice(0, at + 1);
      done.add(item.eventId);
    }
    return done;
  }

  /** A user's message is a customer thread; a reply from elsewhere or the archive is a note for the team. */
  async function threadFor(batch: HelpScoutBatch, item: OutboxItem, conversation: number) {
    const message = item.message;
    if (item.kind === 'message:user')
      return {
        path: `conversations/${conversation}/customer`,
        body: message
          ? { customer: customerRef(batch), ...(await customerThread(message)) }
          : { text: textToHtml(ARCHIVED_TEXT) },
      };
    const text = item.kind === 'conversation:archived' || !message ? ARCHIVED_TEXT : mirroredReply(message);
    return { path: `conversations/${conversation}/notes`, body: { text: textToHtml(text) } };
  }

  /**
   * The conversation's mailbox was deleted (or the conversation with it): carry on in a new one, with the recent
   * history, which the workflow sends when asked.
   */
  async function reopen(batch: HelpScoutBatch, item: OutboxItem, note: unknown, state: SendState): Promise<void> {
    if (!batch.recent) {
      const gone = helpScoutError(
        'helpscout_conversation_gone',
        `Help Scout conversation ${state.conversation} is gone`,
        { retryable: false },
      );
      throw new OutboxBatchError(gone, state.completed, state.refs, true);
    }
    const isUser = item.kind === 'message:user';
    state.conversation = await open(batch, isUser ? item.message : undefined, state.refs, batch.recent);
    state.posted = new Set();
    if (!isUser) await client.request('POST', `conversations/${state.conversation}/notes`, { body: note });
  }

  /**
   * Control changes and delivery lines. A handoff to the team opens the conversation (the user's last message to
   * the bot as its customer thread, the bot exchange in the opening note) or, when it is there, is a note.
   */
  async function sendControlItem(batch: HelpScoutBatch, item: OutboxItem, state: SendState): Promise<void> {
    const handoff = item.handoff;
    if (handoff?.to === 'team' && state.conversation === undefined) {
      const history = handoff.history ?? [];
      const lastUser = [...history].reverse().find((m) => m.role === 'user');
      const heading = `${handoffText(handoff)}\n\n${HANDOFF_HISTORY_HEADING}`;
      state.conversation = await open(batch, lastUser, state.refs, history.length > 0 ? history : undefined, heading);
      return;
    }
    if (state.conversation === undefined) return;
    let text = item.notice ?? '';
    if (handoff) {
      const lines = historyLines(handoff.history ?? [], batch.profile, batch.userId).map((l) => `${l.who}: ${l.text}`);
      text =
        lines.length > 0
          ? `${handoffText(handoff)}\n${HANDOFF_HISTORY_HEADING}\n${lines.join('\n')}`
          : handoffText(handoff);
    }
    if (text)
      await client.request('POST', `conversations/${state.conversation}/notes`, { body: { text: textToHtml(text) } });
  }

  async function sendItem(batch: HelpScoutBatch, item: OutboxItem, state: SendState): Promise<void> {
    if (state.posted.has(item.eventId)) return;
    if (item.kind === 'conversation:handoff' || item.kind === 'delivery:status')
      return sendControlItem(batch, item, state);
    if (item.kind === 'message:user' && item.message && state.conversation === undefined) {
      state.conversation = await open(batch, item.message, state.refs);
      return;
    }
    // A note or an archive before the user ever spoke: there is no conversation to put it in.
    if (state.conversation === undefined) return;
    const { path, body } = await threadFor(batch, item, state.conversation);
    try {
      await client.request('POST', path, { body });
    } catch (err) {
      if (!isGone(err)) throw err;
      await reopen(batch, item, body, state);
    }
  }

  /** What a try already did, so a retry of the batch after a lost answer never posts a thread twice. */
  async function postedBefore(conversation: number | undefined, items: OutboxItem[]): Promise<Set<string>> {
    if (conversation === undefined) return new Set();
    try {
      return await alreadyPosted(conversation, items);
    } catch (err) {
      if (isIntegrationError(err, 'helpscout_not_found')) return new Set();
      throw err;
    }
  }

  function batchError(err: unknown, state: SendState): OutboxBatchError {
    if (err instanceof OutboxBatchError) return err;
    const e =
      err instanceof IntegrationError
        ? err
        : helpScoutError('helpscout_error', String(err), { retryable: true, cause: err });
    return new OutboxBatchError(e, state.completed, state.refs);
  }

  return {
    async send(batch: HelpScoutBatch): Promise<{ refs: Record<string, string>; completed: number }> {
      const refs = { ...batch.refs };
      const conversation = refs.helpscoutConversationId ? Number(refs.helpscoutConversationId) : undefined;
      const state: SendState = { refs, completed: 0, conversation, posted: new Set() };
      try {
        state.posted = await postedBefore(conversation, batch.items);
        for (const item of batch.items) {
          await sendItem(batch, item, state);
          state.completed++;
        }
        return { refs, completed: state.completed };
      } catch (err) {
        throw batchError(err, state);
      }
    },
  };
}
