/**
 * Email's activities: the outbox's `sendEmailNotifications` (SMTP, integrations/email/adapter.ts), and the inbox
 * watcher's `watchEmailInbox`, one long, heart-beating IMAP session (integrations/email/inbox-session.ts) that
 * relays agents' replies to their conversations.
 */
import { Context } from '@temporalio/activity';
import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import type { ParleyConfig } from '../common/config';
import { findConversation } from '../common/lookup';
import type { Metrics } from '../common/metrics';
import { gravatarUrl } from '../common/text';
import { createEmailAdapter } from '../integrations/email/adapter';
import { createImapClient, createSmtpTransport, tokenSecret, tokenSecrets } from '../integrations/email/client';
import type { InboundBounce, InboundDecision, InboundReply, InboundUserReply } from '../integrations/email/inbound';
import { runInboxSession } from '../integrations/email/inbox-session';
import { agentReplySignal, conversationQuery, mailStopSignal, userMailReplySignal } from '../workflows/definitions';
import { type AgentReply, type InboxCursor, type OutboxBatch, type OutboxSendResult } from '../common/conversation';
import { userIdOfConversation } from '../common/ids';
import { keepIncomingFiles, replyWithFiles, type IncomingFile } from '../integrations/files/intake';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';
import { readStoredFile, type FileStore } from '../integrations/files/store';

export interface WatchEmailInboxInput {
  appId: string;
  cursor: InboxCursor;
}

export interface EmailDeps {
  config: ParleyConfig;
  metrics?: Metrics;
  /** Signals agent replies to conversations and finds them by their thread; absent, `watchEmailInbox` cannot run. */
  temporal?: Client;
  /** Users' files, attached to the notifications; agents' files from reply mails, stored as the user's. */
  files?: FileStore;
}

/**
 * The reply with the mail's files, stored as the user's (what is refused is named in its text). A mail read again
 * (a session retried before its cursor moved) whose reply the conversation has already keeps no second copy.
 */
async function withMailFiles(
  deps: EmailDeps,
  handle: WorkflowHandle,
  appId: string,
  workflowId: string,
  reply: AgentReply,
  files: readonly IncomingFile[],
): Promise<AgentReply> {
  if (files.length === 0) return reply;
  if (!deps.files)
    return replyWithFiles(
      reply,
      [],
      files.map((f) => f.name),
    );
  const state = await handle.query(conversationQuery);
  if (state.messages.some((m) => m.id === reply.id)) return reply;
  const kept = await keepIncomingFiles(
    deps.files,
    deps.config.storage,
    { appId, userId: userIdOfConversation(workflowId, appId) },
    files,
  );
  return replyWithFiles(reply, kept.attachments, kept.refused);
}

/** Signals a reply to its conversation; the reply id is the mail's Message-ID, so a re-read is a no-op. */
async function relayReply(
  deps: EmailDeps,
  temporal: Client,
  appId: string,
  reply: InboundReply,
): Promise<InboundDecision> {
  const stale: InboundDecision = {
    kind: 'ignored',
    reason: reply.via === 'token' ? 'stale_token' : 'no_conversation',
    detail: `no running conversation of app ${appId} has mail thread ${reply.threadId}`,
  };
  const workflowId = await findConversation(temporal, appId, 'EmailThread', reply.threadId);
  if (!workflowId) return stale;
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    const agentReply: AgentReply = {
      id: `email:${reply.messageId}`,
      source: 'email',
      agent: { name: reply.agent.name, email: reply.agent.email, avatarUrl: gravatarUrl(reply.agent.email) },
      text: reply.text,
      at: reply.at,
    };
    await handle.signal(
      agentReplySignal,
      await withMailFiles(deps, handle, appId, workflowId, agentReply, reply.files ?? []),
    );
  } catch (err) {
    // The conversation ended between the lookup and the signal.
    if (err instanceof WorkflowNotFoundError) return stale;
    throw err;
  }
  return reply;
}

/**
 * An app user's answer to a fallback mail, or its bounce, to its conversation (offline users). The conversation
 * takes an answer only from the address it mailed; a bounce without the address stops mail to the one it mailed.
 */
async function relayUserMail(
  temporal: Client,
  appId: string,
  decision: InboundUserReply | InboundBounce,
): Promise<InboundDecision> {
  const stale: InboundDecision = {
    kind: 'ignored',
    reason: 'stale_token',
    detail: `no running conversation of app ${appId} has mail thread ${decision.threadId}`,
  };
  const workflowId = await findConversation(temporal, appId, 'EmailThread', decision.threadId);
  if (!workflowId) return stale;
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    if (decision.kind === 'user_reply') {
      await handle.signal(userMailReplySignal, {
        id: `email:${decision.messageId}`,
        from: decision.from,
        text: decision.text,
        at: decision.at,
      });
    } else {
      const address = decision.address ?? (await handle.query(conversationQuery)).receipts?.mailedTo;
      if (address) await handle.signal(mailStopSignal, { address, reason: 'bounced' });
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return stale;
    throw err;
  }
  return decision;
}

export function createEmailActivities(deps: EmailDeps) {
  return {
    /** Mails a batch of user messages (and, if copied, replies from elsewhere) to the app's team addresses. */
    async sendEmailNotifications(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'email');
      const transport = createSmtpTransport(app.email);
      const adapter = createEmailAdapter(
        transport,
        { appId: app.id, appName: app.name ?? app.id, email: app.email, tokenSecret: tokenSecret(app) },
        {
          heartbeat: pulse(),
          ...(deps.files
            ? {
                readFile: async (id: string) =>
                  (await readStoredFile(deps.files as FileStore, app.id, id, deps.config.storage.maxFileBytes))?.bytes,
              }
            : {}),
        },
      );
      try {
        return await adapter.send(batch);
      } catch (err) {
        throw toApplicationFailure(err);
      } finally {
        transport.close();
      }
    },

    /**
     * One IMAP session of the app's inbox watcher, until `watchSessionMs` is over. A retry resumes at the cursor of
     * the last heartbeat; a Temporal error while relaying fails the session, so Temporal retries it.
     */
    async watchEmailInbox(input: WatchEmailInboxInput): Promise<InboxCursor> {
      const ctx = Context.current();
      const app = appFor(deps.config, input.appId, 'email');
      const temporal = deps.temporal;
      if (!temporal) throw new Error('watchEmailInbox needs a Temporal client (the worker passes one)');
      const { email } = app;
      const fromHeartbeat = ctx.info.heartbeatDetails as InboxCursor | undefined;
      return runInboxSession(
        {
          imap: createImapClient(email),
          mailbox: email.imap.mailbox,
          sessionMs: email.watchSessionMs,
          inbound: {
            appId: app.id,
            replyAddress: email.replyAddress,
            allowedSenders: email.allowedSenders,
            tokenSecrets: tokenSecrets(app),
            requireAuthenticatedSender: email.requireAuthenticatedSender,
            authServIds: email.authServId === undefined ? [] : [email.authServId].flat(),
          },
          cursor: fromHeartbeat ?? input.cursor,
          maxMailBytes: email.maxMailBytes,
        },
        {
          heartbeat: (cursor) => ctx.heartbeat(cursor),
          signal: ctx.cancellationSignal,
          relay: async (reply) => {
            const decision = await relayReply(deps, temporal, app.id, reply);
            if (decision.kind === 'reply' && reply.cutFromBytes !== undefined)
              deps.metrics?.agentRepliesCut.inc({ integration: 'email' });
            return decision;
          },
          relayUser: (decision) => relayUserMail(temporal, app.id, decision),
          log: ctx.log,
          count: (result) => deps.metrics?.emailInbound.inc({ app: app.id, result }),
        },
      );
    },
  };
}
