/**
 * Erasing a user (the `eraseUser` update of the conversation workflow), in the order that keeps every promise the
 * answer makes:
 *
 * 1. No new sends: the outboxes drain, and the erasure waits until no send is in flight, so nothing reaches a
 *    vendor after its clean-up looked there.
 * 2. Parley's own copy: profile, the window of messages, every outbox's queue (pending items are dropped, counted),
 *    references, dedupe ids; the search attributes naming vendor objects and the memo's display name go too.
 * 3. The vendors, side by side: each integration the conversation used gets its clean-up activity (Slack, Zendesk,
 *    Help Scout, the sink); email has none (mail sent cannot be recalled) and is listed as remaining.
 * 4. The app: `user:erased`, with the report, to each client webhook URL, after everything else of this conversation
 *    (pending events to it were dropped in step 2, the one in flight finished in step 1).
 *
 * The update then answers the report, the run completes with it (or continues as a fresh conversation when the app
 * sent the user something meanwhile) and the API deletes the run's history and those it continued from.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  TimeoutFailure,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EraseVendorInput } from '../activities/erase';
import { outboxKind } from '../common/conversation';
import type { ErasureEntry, ErasureReport, UserErasedData, VendorErasure, WebhookNotice } from '../common/erasure';
import {
  EmailThread,
  HelpScoutConversation,
  ParleyStatus,
  SlackChannel,
  SlackThread,
  ZendeskTicket,
  type ConversationState,
  type EraseUserRequest,
} from './definitions';
import type { OutboxRunner } from './outbox';

/** `patched()` id of clearing the SlackThread search attribute on erasure (threads mode came after erasure). */
export const SLACK_THREAD_ERASE_PATCH = 'erase-slack-thread';

/** The clean-up activity of each kind of outbox that has one (`test` is the sink's old name). */
export const ERASER_ACTIVITIES = {
  slack: 'eraseSlackConversation',
  zendesk: 'eraseZendeskUser',
  helpscout: 'eraseHelpScoutCustomer',
  sink: 'eraseSinkConversation',
  test: 'eraseSinkConversation',
} as const satisfies Record<string, keyof Activities>;

const ERASE_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  // A vendor's outage is ridden out for a day; then the erasure reports what it could not do and completes, rather
  // than keep the history (which still holds everything the user said) waiting.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
} as const;

const erasers: ActivityInterfaceFor<Activities> = proxyActivities<Activities>(ERASE_OPTIONS);

/**
 * An activity's failure as the report names it: its type only (`zendesk_auth_failed`, `timeout`), since a vendor's
 * message may quote the user; the worker's log has the whole failure.
 */
function failureText(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return cause.type ?? 'ApplicationFailure';
  return cause instanceof TimeoutFailure ? 'timeout' : 'failure';
}

function systemOf(kind: string): string {
  return kind === 'test' ? 'sink' : kind;
}

/** Steps 1 and 2: stops the sends, waits for those in flight, clears Parley's copy; returns what it held. */
async function clearParley(state: ConversationState, outboxes: OutboxRunner) {
  upsertSearchAttributes([
    { key: ParleyStatus, value: 'erasing' },
    { key: SlackChannel, value: null },
    { key: ZendeskTicket, value: null },
    { key: HelpScoutConversation, value: null },
    { key: EmailThread, value: null },
  ]);
  // Slack threads mode: a thread reply no longer finds the erased conversation. A new command, so behind a patch.
  if (state.refs.slackThread && patched(SLACK_THREAD_ERASE_PATCH))
    upsertSearchAttributes([{ key: SlackThread, value: null }]);
  if (workflowInfo().memo?.displayName !== undefined) upsertMemo({ displayName: null });
  outboxes.drain();
  await condition(() => outboxes.inFlight() === 0);

  const boxes = Object.values(state.outboxes);
  const held = {
    parley: {
      profile: Object.keys(state.profile).length > 0,
      messages: state.messages.length,
      queued: boxes.reduce((n, box) => n + box.queue.length, 0),
      totalMessages: state.totalMessages,
    },
    refs: { ...state.refs },
    kinds: [...new Set(boxes.map((box) => outboxKind(box.key)).filter((kind) => kind !== 'webhook'))],
    webhooks: boxes.filter((b) => b.enabled && outboxKind(b.key) === 'webhook').map((b) => b.key.slice(8)),
    mailed: state.outboxes.email?.delivered ?? 0,
  };
  state.profile = {};
  state.messages = [];
  state.held = [];
  state.heldBytes = 0;
  state.windowBytes = 0;
  state.seenIds = [];
  state.refs = {};
  state.outboxes = {};
  state.integrations = [];
  state.updatedAt = new Date(Date.now()).toISOString();
  return held;
}

/** What lives on of the mails the team was sent: nothing Parley can reach. */
function mails(count: number, thread: string | undefined): ErasureEntry {
  return {
    system: 'email',
    kind: 'mails',
    ...(thread ? { id: thread } : {}),
    detail:
      `${count} notification mail${count === 1 ? '' : 's'} to the team's addresses: mail cannot be recalled; ` +
      "delete them in the team's mailboxes if the erasure covers them",
  };
}

export async function eraseConversation(
  state: ConversationState,
  conversationId: string,
  outboxes: OutboxRunner,
  request: EraseUserRequest,
): Promise<ErasureReport> {
  const requestedAt = state.erasure?.requestedAt ?? new Date(Date.now()).toISOString();
  const held = await clearParley(state, outboxes);

  // Step 3: every vendor at once; a clean-up that fails for good is reported, not retried forever.
  const input: EraseVendorInput = {
    appId: state.appId,
    userId: state.userId,
    conversationId,
    since: state.createdAt,
    refs: held.refs,
    seed: uuid4().replace(/-/g, '').slice(0, 8),
  };
  const results = await Promise.all(
    held.kinds.map(async (kind): Promise<VendorErasure> => {
      const activity = ERASER_ACTIVITIES[kind as keyof typeof ERASER_ACTIVITIES] as
        (typeof ERASER_ACTIVITIES)[keyof typeof ERASER_ACTIVITIES] | undefined;
      if (kind === 'email')
        return { erased: [], remains: held.mailed > 0 ? [mails(held.mailed, held.refs.emailThread)] : [] };
      if (!activity) return { erased: [], remains: [] };
      try {
        return await erasers[activity].executeWithOptions(
          { ...ERASE_OPTIONS, summary: `Erase the user in ${systemOf(kind)}` },
          [input],
        );
      } catch (err) {
        const detail = `the clean-up did not finish (${failureText(err)}): whatever Parley made there remains`;
        return { erased: [], remains: [{ system: systemOf(kind), kind: 'integration', detail }] };
      }
    }),
  );

  // Step 4: the app hears it last.
  const data: UserErasedData = {
    requestedAt,
    completedAt: new Date(Date.now()).toISOString(),
    parley: held.parley,
    erased: results.flatMap((r) => r.erased),
    remains: results.flatMap((r) => r.remains),
  };
  const urls = [...new Set([...held.webhooks, ...request.webhooks])];
  const webhooks = await Promise.all(
    urls.map(async (url): Promise<WebhookNotice> => {
      try {
        await erasers.deliverUserErasedWebhook.executeWithOptions(
          { ...ERASE_OPTIONS, summary: `Deliver user:erased to ${url}` },
          [
            {
              url,
              eventId: `evt_${uuid4().replace(/-/g, '')}`,
              appId: state.appId,
              userId: state.userId,
              conversationId,
              data,
            },
          ],
        );
        return { url, delivered: true };
      } catch (err) {
        return { url, delivered: false, error: failureText(err) };
      }
    }),
  );
  upsertSearchAttributes([{ key: ParleyStatus, value: 'erased' }]);
  return { conversationId, runId: workflowInfo().runId, ...data, webhooks };
}
