/**
 * Offline users' activity: `emailRepliesToUser` mails the agents' replies an app user has not seen (the
 * conversation's receipts part decides when, workflows/receipts.ts) through the app's SMTP server.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ParleyConfig } from '../common/config';
import type { UserProfile } from '../common/conversation';
import { createSmtpTransport, tokenSecret } from '../integrations/email/client';
import { smtpError } from '../integrations/email/errors';
import { composeOfflineMail, type OfflineReply } from '../integrations/email/offline';
import { emailThreadId } from '../integrations/email/token';
import { toApplicationFailure } from './failures';

export interface EmailRepliesInput {
  appId: string;
  userId: string;
  conversationId: string;
  /** Decided by the workflow: the mail's Message-ID, the same on every retry. */
  eventId: string;
  to: string;
  profile: UserProfile;
  replies: OfflineReply[];
  lastMessageId?: string;
}

export interface EmailRepliesResult {
  messageId: string;
  /** The conversation's mail thread: the inbox finds the user's answer by it. */
  emailThread: string;
}

export function createOfflineActivities(deps: { config: ParleyConfig }) {
  return {
    async emailRepliesToUser(input: EmailRepliesInput): Promise<EmailRepliesResult> {
      const app = deps.config.apps.find((a) => a.id === input.appId);
      const publicUrl = deps.config.server.publicUrl;
      if (!app?.offline || !app.email || !publicUrl)
        throw ApplicationFailure.create({
          type: 'offline_not_configured',
          message: `app ${input.appId} has no offline mail (apps[].offline, its email and server.publicUrl) any more`,
          nonRetryable: true,
        });
      const mail = composeOfflineMail(
        {
          appId: app.id,
          appName: app.name ?? app.id,
          userId: input.userId,
          conversationId: input.conversationId,
          profile: input.profile,
          to: input.to,
          from: app.offline.from ?? app.email.from,
          replyAddress: app.email.replyAddress,
          tokenSecret: tokenSecret({ ...app, email: app.email }),
          ...(app.offline.linkUrl ? { linkUrl: app.offline.linkUrl } : {}),
          publicUrl,
          eventId: input.eventId,
          ...(input.lastMessageId ? { lastMessageId: input.lastMessageId } : {}),
        },
        input.replies,
      );
      const transport = createSmtpTransport(app.email);
      try {
        await transport.sendMail(mail);
      } catch (err) {
        throw toApplicationFailure(smtpError(err));
      } finally {
        transport.close();
      }
      return { messageId: mail.messageId, emailThread: emailThreadId(input.conversationId) };
    },
  };
}
