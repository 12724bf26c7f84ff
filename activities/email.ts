/**
 * Email's activities: the outbox's `sendEmailNotifications` (SMTP), and the inbox watcher's `watchInbox`, one long,
 * heart-beating IMAP session that relays agents' replies to their conversations.
 */
import { createHash } from 'node:crypto';
import { CancelledFailure, Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import type { ParleyConfig } from '../common/config';
import { OutboxBatchError } from '../common/errors';
import type { Metrics } from '../common/metrics';
import { composeNotification, threadSubject } from '../integrations/email/compose';
import { imapClient, smtpError, smtpTransport, tokenSecret } from '../integrations/email/client';
import { decide, type InboundDecision } from '../integrations/email/inbound';
import { emailThreadId } from '../integrations/email/token';
import { gravatarUrl } from '../common/text';
import { agentReplySignal } from '../workflows/definitions';
import { type InboxCursor, type OutboxBatch, type OutboxItem, type OutboxSendResult } from '../common/conversation';
import { appFor, toApplicationFailure } from './failures';
import { pulse } from './pulse';

/** The IMAP keyword Parley sets on every mail it has dealt with (relayed or ignored), instead of `\Seen`. */
export const PROCESSED_KEYWORD = '$ParleyProcessed';

export interface WatchInboxInput {
  appId: string;
  cursor: InboxCursor;
}

export interface EmailDeps {
  config: ParleyConfig;
  metrics?: Metrics;
  /** Signals agent replies to conversations and finds them by their thread; absent, `watchInbox` cannot run. */
  temporal?: Client;
}

/** The mails an outbox batch becomes: one per item, or one digest of them all. */
function mailGroups(items: OutboxItem[], digest: boolean): OutboxItem[][] {
  return digest ? [items] : items.map((item) => [item]);
}

export function createEmailActivities(deps: EmailDeps) {
  return {
    /** Mails a batch of user messages (and, if copied, replies from elsewhere) to the app's team addresses. */
    async sendEmailNotifications(batch: OutboxBatch): Promise<OutboxSendResult> {
      const app = appFor(deps.config, batch.appId, 'email');
      const email = app.email;
      const appName = app.name ?? app.id;
      const refs: Record<string, string> = {
        emailThread: emailThreadId(batch.conversationId),
        emailSubject:
          batch.refs.emailSubject ?? threadSubject({ appName, profile: batch.profile, userId: batch.userId }),
      };
      if (batch.refs.emailLastMessageId) refs.emailLastMessageId = batch.refs.emailLastMessageId;
      const transport = smtpTransport(email);
      const heartbeat = pulse();
      const digest = (email.digestSeconds ?? 0) > 0;
      let completed = 0;
      try {
        for (const group of mailGroups(batch.items, digest)) {
          // Replies from elsewhere and archives reach the team by mail only when the app copies them.
          const wanted = group.filter((i) => i.kind === 'message:user' || email.copyAgentReplies);
          const mail = composeNotification(
            {
              appId: app.id,
              appName,
              userId: batch.userId,
              conversationId: batch.conversationId,
              profile: batch.profile,
              from: email.from,
              teamAddresses: email.teamAddresses,
              replyAddress: email.replyAddress,
              tokenSecret: tokenSecret({ ...app, email }),
              subject: refs.emailSubject,
              ...(refs.emailLastMessageId ? { lastMessageId: refs.emailLastMessageId } : {}),
            },
            wanted,
          );
          if (mail) {
            heartbeat();
            try {
              await transport.sendMail({
                from: mail.from,
                to: mail.to,
                replyTo: mail.replyTo,
                subject: mail.subject,
                messageId: mail.messageId,
                inReplyTo: mail.inReplyTo,
                references: mail.references,
                headers: mail.headers,
                text: mail.text,
                html: mail.html,
              });
            } catch (err) {
              throw new OutboxBatchError(smtpError(err), completed, refs);
            }
            refs.emailLastMessageId = mail.messageId;
          }
          completed += group.length;
        }
        return { refs };
      } catch (err) {
        throw toApplicationFailure(err, completed, refs);
      } finally {
        transport.close();
      }
    },

    /**
     * One IMAP session of the app's inbox watcher: opens the mailbox, reads every mail after the cursor that lacks
     * Parley's keyword, relays the replies, marks each mail, and waits in IDLE for more until `watchSessionMs` is
     * over. Heartbeats carry the cursor, so a retry (after a crash, a lost connection, a worker move) resumes at
     * the last UID; a changed UIDVALIDITY starts the mailbox over, and the keyword and the conversation's dedupe
     * of reply ids keep that from relaying anything twice.
     */
    async watchInbox(input: WatchInboxInput): Promise<InboxCursor> {
      const ctx = Context.current();
      const app = appFor(deps.config, input.appId, 'email');
      const temporal = deps.temporal;
      if (!temporal) throw new Error('watchInbox needs a Temporal client (the worker passes one)');
      const email = app.email;
      const inbound = {
        appId: app.id,
        replyAddress: email.replyAddress,
        allowedSenders: email.allowedSenders,
        tokenSecret: tokenSecret({ ...app, email }),
      };
      const fromHeartbeat = ctx.info.heartbeatDetails as InboxCursor | undefined;
      const cursor: InboxCursor = { ...(fromHeartbeat ?? input.cursor) };
      const log = ctx.log;
      const imap = imapClient(email);
      let wake: () => void = () => undefined;
      const wakeUp = (): void => wake();
      imap.on('exists', wakeUp);
      // A dropped connection ends the session with an error, and Temporal retries it with backoff.
      imap.on('close', wakeUp);
      imap.on('error', (err: Error) => void log.warn('IMAP connection error', { app: app.id, error: err.message }));

      async function conversationFor(threadId: string): Promise<string | undefined> {
        const query = `ParleyApp = "${app.id}" AND EmailThread = "${threadId}" AND ExecutionStatus = "Running"`;
        for await (const execution of temporal!.workflow.list({ query })) return execution.workflowId;
        return undefined;
      }

      /** Signals a reply to its conversation; the reply id is the mail's Message-ID, so a re-read is a no-op. */
      async function relay(decision: InboundDecision): Promise<InboundDecision> {
        if (decision.kind !== 'reply') return decision;
        const stale: InboundDecision = {
          kind: 'ignored',
          reason: decision.via === 'token' ? 'stale_token' : 'no_conversation',
          detail: `no running conversation of app ${app.id} has mail thread ${decision.threadId}`,
        };
        const workflowId = await conversationFor(decision.threadId);
        if (!workflowId) return stale;
        try {
          await temporal!.workflow.getHandle(workflowId).signal(agentReplySignal, {
            id: `email:${decision.messageId}`,
            source: 'email',
            agent: {
              name: decision.agent.name,
              email: decision.agent.email,
              avatarUrl: gravatarUrl(decision.agent.email),
            },
            text: decision.text,
            at: decision.at,
          });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return stale;
          throw err;
        }
        return decision;
      }

      /** Reads one mail; malformed MIME is ignored, while a Temporal error fails the session (retried). */
      async function processUid(uid: number): Promise<void> {
        const message = await imap.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        let decision: InboundDecision;
        if (!message || !message.source) {
          decision = { kind: 'ignored', reason: 'malformed', detail: 'the server returned no source' };
        } else {
          const digest = createHash('sha256').update(message.source).digest('hex').slice(0, 32);
          try {
            const parsed = await simpleParser(message.source, { skipImageLinks: true, skipTextLinks: true });
            decision = decide(parsed, inbound, `<sha256.${digest}@parley>`);
          } catch (err) {
            decision = { kind: 'ignored', reason: 'malformed', detail: `unreadable mail: ${(err as Error).message}` };
          }
          decision = await relay(decision);
        }
        await imap.messageFlagsAdd(String(uid), [PROCESSED_KEYWORD], { uid: true });
        deps.metrics?.emailInbound.inc({
          app: app.id,
          result: decision.kind === 'reply' ? 'relayed' : decision.reason,
        });
        if (decision.kind === 'reply') {
          cursor.relayed += 1;
          log.info('email reply relayed', { app: app.id, uid, thread: decision.threadId, via: decision.via });
        } else {
          cursor.ignored += 1;
          log.info('email ignored', { app: app.id, uid, reason: decision.reason, detail: decision.detail });
        }
      }

      /** Resolves on new mail, a closed connection, cancellation, or after `ms`. */
      function pause(ms: number): Promise<void> {
        return new Promise((resolve) => {
          const timer = setTimeout(done, ms);
          ctx.cancellationSignal.addEventListener('abort', done);
          wake = done;
          function done(): void {
            clearTimeout(timer);
            ctx.cancellationSignal.removeEventListener('abort', done);
            wake = () => undefined;
            resolve();
          }
        });
      }

      await imap.connect();
      try {
        const mailbox = await imap.mailboxOpen(email.imap.mailbox);
        const validity = String(mailbox.uidValidity);
        if (cursor.uidValidity !== undefined && cursor.uidValidity !== validity) {
          log.warn('mailbox UIDVALIDITY changed: reading it again from the start', {
            app: app.id,
            before: cursor.uidValidity,
            now: validity,
          });
          cursor.lastUid = 0;
        }
        if (cursor.uidValidity === undefined && mailbox.uidNext > 1) {
          // The very first session: the mail already in the mailbox predates Parley and is left alone.
          cursor.lastUid = mailbox.uidNext - 1;
          log.info('inbox watcher starts after the mail already there', { app: app.id, fromUid: mailbox.uidNext });
        }
        cursor.uidValidity = validity;
        if (!mailbox.permanentFlags?.has('\\*'))
          log.warn('the mailbox does not keep custom keywords: Parley relies on its UID cursor and reply ids alone', {
            app: app.id,
            mailbox: email.imap.mailbox,
          });
        const deadline = Date.now() + email.watchSessionMs;
        while (Date.now() < deadline && !ctx.cancellationSignal.aborted) {
          const found = await imap.search(
            { uid: `${cursor.lastUid + 1}:*`, unKeyword: PROCESSED_KEYWORD },
            { uid: true },
          );
          // `n:*` also matches the highest UID when it is below n, so only what is past the cursor counts.
          const uids = (found || []).filter((u) => u > cursor.lastUid).sort((a, b) => a - b);
          for (const uid of uids) {
            if (ctx.cancellationSignal.aborted) break;
            await processUid(uid);
            cursor.lastUid = uid;
            ctx.heartbeat(cursor);
          }
          // Wait in IDLE for new mail (or look again every 10 s), heart-beating, until the session is over.
          await pause(Math.min(10_000, Math.max(0, deadline - Date.now())));
          if (!imap.usable) throw new Error('the IMAP connection closed');
          ctx.heartbeat(cursor);
        }
      } finally {
        imap.off('exists', wakeUp);
        imap.off('close', wakeUp);
        if (imap.usable) await imap.logout().catch(() => imap.close());
        else imap.close();
      }
      // Cancelled (the worker is stopping, the watcher was cancelled): the attempt fails, the cursor is in the
      // last heartbeat, and the next attempt, wherever it runs, resumes there.
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new CancelledFailure('cancelled');
      return cursor;
    },
  };
}
