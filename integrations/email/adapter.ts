/**
 * What Parley does by mail for one outbox batch: a notification per item (or, with `digestSeconds`, one for the
 * whole batch) to the team's addresses, threaded on the conversation's refs: `emailThread`, `emailSubject` (fixed
 * by the first mail) and `emailLastMessageId` (the mail the next one answers). Message-IDs derive from event ids,
 * so a retried mail is the very same mail.
 */
import type { EmailConfig } from '../../common/config';
import { OutboxBatchError } from '../../common/errors';
import { type OutboxBatch, type OutboxItem } from '../../common/conversation';
import { composeNotification, threadSubject, type NotificationContext, type NotificationMail } from './compose';
import { smtpError } from './errors';
import { emailThreadId } from './token';

/** An outbox batch as email needs it. */
export type EmailBatch = Pick<OutboxBatch, 'userId' | 'conversationId' | 'profile' | 'refs' | 'items'>;

/** Where the mail goes: nodemailer's transport fits; the unit tests pass a function that keeps the mails. */
export interface MailTransport {
  sendMail(mail: NotificationMail): Promise<unknown>;
}

export interface EmailAdapterConfig {
  appId: string;
  appName: string;
  email: Pick<EmailConfig, 'from' | 'teamAddresses' | 'replyAddress' | 'copyAgentReplies' | 'digestSeconds'>;
  /** The key of the reply tokens (client.ts's `tokenSecret`). */
  tokenSecret: string;
}

export interface EmailAdapterHooks {
  /** Called before each mail goes out (the activity's heartbeat). */
  heartbeat(): void;
}

/** The mails an outbox batch becomes: one per item, or one digest of them all. */
export function mailGroups(items: OutboxItem[], digest: boolean): OutboxItem[][] {
  return digest ? [items] : items.map((item) => [item]);
}

/** The refs a batch starts from: its thread, its subject (made now for the first mail) and its last mail. */
export function threadRefs(batch: EmailBatch, appName: string): Record<string, string> {
  const refs: Record<string, string> = {
    emailThread: emailThreadId(batch.conversationId),
    emailSubject: batch.refs.emailSubject ?? threadSubject({ appName, profile: batch.profile, userId: batch.userId }),
  };
  if (batch.refs.emailLastMessageId) refs.emailLastMessageId = batch.refs.emailLastMessageId;
  return refs;
}

export function createEmailAdapter(
  transport: MailTransport,
  config: EmailAdapterConfig,
  hooks: EmailAdapterHooks = { heartbeat: () => undefined },
) {
  const { email } = config;

  function mailFor(batch: EmailBatch, refs: Record<string, string>, group: OutboxItem[]) {
    // Replies from elsewhere, archives and status lines reach the team by mail only when the app copies them; a
    // handoff to the team always does (it is how the team hears of the conversation).
    const wanted = group.filter((i) => i.kind === 'message:user' || i.handoff?.to === 'team' || email.copyAgentReplies);
    const ctx: NotificationContext = {
      appId: config.appId,
      appName: config.appName,
      userId: batch.userId,
      conversationId: batch.conversationId,
      profile: batch.profile,
      from: email.from,
      teamAddresses: email.teamAddresses,
      replyAddress: email.replyAddress,
      tokenSecret: config.tokenSecret,
      subject: refs.emailSubject,
      ...(refs.emailLastMessageId ? { lastMessageId: refs.emailLastMessageId } : {}),
    };
    return composeNotification(ctx, wanted);
  }

  return {
    /**
     * Mails a batch; returns the refs to keep. A failed mail throws an OutboxBatchError with the items done before
     * it and the refs so far, so the outbox neither mails them again nor breaks the thread.
     */
    async send(batch: EmailBatch): Promise<{ refs: Record<string, string> }> {
      const refs = threadRefs(batch, config.appName);
      let completed = 0;
      for (const group of mailGroups(batch.items, (email.digestSeconds ?? 0) > 0)) {
        const mail = mailFor(batch, refs, group);
        if (mail) {
          hooks.heartbeat();
          try {
            await transport.sendMail(mail);
          } catch (err) {
            throw new OutboxBatchError(smtpError(err), completed, refs);
          }
          refs.emailLastMessageId = mail.messageId;
        }
        completed += group.length;
      }
      return { refs };
    },
  };
}
