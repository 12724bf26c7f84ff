import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import {
  continueAsNew,
  patched,
  proxyActivities,
  type ActivityOptions,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { inboxQuery, type InboxInput } from './definitions';
import { type InboxCursor } from '../common/conversation';

const INBOX_OPTIONS: ActivityOptions = {
  // One IMAP session lasts `email.watchSessionMs` (10 minutes by default, at most an hour).
  startToCloseTimeout: '70 minutes',
  // The session heartbeats at least every 10 s; a worker that dies is noticed within 30 s and the session moves.
  heartbeatTimeout: '30 seconds',
  // A lost connection, a server restart, a refused login: reconnect with backoff, forever, resuming at the cursor.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['email_not_configured'],
  },
};

const { watchEmailInbox, watchInbox } = proxyActivities<Activities>(INBOX_OPTIONS);

/** Sessions per run before continue-as-new: each costs three events, so history stays small. */
const SESSIONS_PER_RUN = 200;

/**
 * An app's inbox watcher (`inbox:<appId>`): one IMAP session after another, each relaying the agents' replies
 * that arrived. Ends when the app no longer has an `email` integration.
 */
export async function inbox(input: InboxInput): Promise<void> {
  let cursor: InboxCursor = input.cursor ?? { lastUid: 0, relayed: 0, ignored: 0 };
  let sessions = 0;
  setHandler(inboxQuery, () => ({ appId: input.appId, cursor, sessions }));
  while (sessions < SESSIONS_PER_RUN && !workflowInfo().continueAsNewSuggested) {
    try {
      // The activity was `watchInbox` before its rename; histories that scheduled it replay only with that name.
      const watch = patched('watch-email-inbox') ? watchEmailInbox : watchInbox;
      cursor = await watch.executeWithOptions(
        {
          ...INBOX_OPTIONS,
          summary: `IMAP session for ${input.appId} from UID ${cursor.lastUid + 1}`,
        },
        [{ appId: input.appId, cursor }],
      );
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      if (cause instanceof ApplicationFailure && cause.type === 'email_not_configured') return;
      throw err;
    }
    sessions += 1;
  }
  await continueAsNew<typeof inbox>({ appId: input.appId, cursor });
}
