/**
 * The conversation's receipts part (offline users): agents' replies the app has not reported delivered or read are
 * mailed to the user once `offline.emailAfter` has passed (a durable timer), one mail for every reply pending then
 * (a burst is one digest), never to an address that bounced or unsubscribed, and the team is told how it went.
 * Workflow code: a timer and one activity per mail, behind `patched('parley-receipts')`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { cutToBudget } from '../common/budgets';
import type { ConversationMessage, WebhookReceipt } from '../common/conversation';
import type { ControlPart } from './control';
import {
  EmailThread,
  type ConversationState,
  type MailStopSignal,
  type OfflineSettings,
  type ReceiptSignal,
  type ReceiptsState,
  type UserMailReplySignal,
} from './definitions';

export const RECEIPTS_PATCH = 'parley-receipts';

const MAX_PENDING = 50;
const MAX_STATUSES = 100;
const MAX_STOPPED = 20;
/** One mail carries at most this many replies, each cut to this many bytes (the activity's input stays small). */
const REPLIES_PER_MAIL = 20;
const REPLY_BYTES = 4000;

const { emailRepliesToUser } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // An SMTP server down for a day: the replies are old news by then; the team is told the mail failed.
  scheduleToCloseTimeout: '1 day',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['email_not_configured', 'email_rejected', 'email_auth_failed', 'offline_not_configured'],
  },
});

export interface ReceiptsPart {
  /** The app's `offline` settings as the API sent them with a message (absent: none any more). */
  configure(offline: OfflineSettings | undefined): void;
  /** An agent's reply on its way to the app: pending until a receipt says it arrived. */
  track(message: ConversationMessage): void;
  /** What the app answered the webhook deliveries with. */
  webhookAnswered(receipts: WebhookReceipt[]): void;
  receipt(signal: ReceiptSignal): void;
  stop(signal: MailStopSignal): void;
  /** Whether a mail from `from` answers Parley's fallback mail (it went to that address). */
  answersOurMail(signal: UserMailReplySignal): boolean;
  /** Starts the coroutine that mails (once). */
  start(): void;
  inFlight(): number;
  drain(): void;
}

function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

function quote(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

export function createReceipts(state: ConversationState, conversationId: string, control: ControlPart): ReceiptsPart {
  let inFlight = 0;
  let draining = false;
  let started = false;
  /** Bumped by every change the coroutine waits on, so a wait ends when its deadline may have moved. */
  let version = 0;

  const ensure = (): ReceiptsState => (state.receipts ??= { pending: [], statuses: [], stopped: [], mailed: 0 });

  function record(messageId: string, status: string): void {
    const r = ensure();
    r.statuses.push({ messageId, status, at: new Date(Date.now()).toISOString() });
    if (r.statuses.length > MAX_STATUSES) r.statuses.splice(0, r.statuses.length - MAX_STATUSES);
  }

  function resolve(messageId: string, status: string): boolean {
    const r = state.receipts;
    if (!r) return false;
    const before = r.pending.length;
    r.pending = r.pending.filter((p) => p.messageId !== messageId);
    record(messageId, status);
    version += 1;
    return r.pending.length !== before;
  }

  /** The address a mail may go to now: the profile's, vouched for by the app, not stopped. */
  function address(): string | undefined {
    const r = state.receipts;
    const email = state.profile.email?.trim().toLowerCase();
    if (!r?.offline?.emailsVerified || !email) return undefined;
    return r.stopped.some((s) => s.address === email) ? undefined : email;
  }

  async function mail(to: string): Promise<void> {
    const r = ensure();
    const batch = r.pending.slice(0, REPLIES_PER_MAIL);
    const replies = batch
      .map((p) => state.messages.find((m) => m.id === p.messageId))
      .filter((m): m is ConversationMessage => m !== undefined && m.role === 'agent')
      .map((m) => ({
        id: m.id,
        text: cutToBudget(m.text, REPLY_BYTES, ' […]').text,
        at: m.at,
        agentName: m.agent?.name ?? 'The team',
      }));
    const sent = new Set(batch.map((p) => p.messageId));
    r.pending = r.pending.filter((p) => !sent.has(p.messageId));
    if (replies.length === 0) return;
    inFlight += 1;
    try {
      const result = await emailRepliesToUser({
        appId: state.appId,
        userId: state.userId,
        conversationId,
        eventId: `off_${uuid4().replace(/-/g, '')}`,
        to,
        profile: state.profile,
        replies,
        ...(r.lastMessageId ? { lastMessageId: r.lastMessageId } : {}),
      });
      r.mailed += 1;
      r.lastMessageId = result.messageId;
      r.mailedTo = to;
      // The inbox finds the conversation of the user's answer by its mail thread.
      if (result.emailThread && state.refs.emailThread !== result.emailThread) {
        state.refs.emailThread = result.emailThread;
        upsertSearchAttributes([{ key: EmailThread, value: result.emailThread }]);
      }
      for (const reply of replies) record(reply.id, 'emailed');
      const what = replies.length === 1 ? 'the reply' : `${replies.length} replies`;
      control.tellTeam(`✉ Emailed ${what} to the user at ${utcTime(Date.now())}: they had not seen it in the app.`);
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      const type = cause instanceof ApplicationFailure ? (cause.type ?? 'error') : 'error';
      for (const reply of replies) record(reply.id, 'email_failed');
      control.tellTeam(`✉ Could not email the user (${type}): the reply waits in the app.`);
    } finally {
      inFlight -= 1;
    }
  }

  async function run(): Promise<void> {
    for (;;) {
      await condition(() => draining || (address() !== undefined && (state.receipts?.pending.length ?? 0) > 0));
      if (draining) return;
      const r = ensure();
      const due = Math.min(...r.pending.map((p) => p.dueAt));
      const wait = due - Date.now();
      if (wait > 0) {
        const seen = version;
        await condition(() => draining || version !== seen, wait);
        continue;
      }
      const to = address();
      if (to) await mail(to);
    }
  }

  function start(): void {
    if (started || !state.receipts) return;
    started = true;
    void run();
  }

  return {
    configure(offline) {
      if (!offline) {
        if (state.receipts) state.receipts.offline = undefined;
        return;
      }
      const r = ensure();
      if (r.offline?.emailAfterMs !== offline.emailAfterMs || r.offline.emailsVerified !== offline.emailsVerified) {
        r.offline = offline;
        version += 1;
      }
    },
    track(message) {
      const r = state.receipts;
      if (!r?.offline || !patched(RECEIPTS_PATCH)) return;
      r.pending.push({ messageId: message.id, dueAt: Date.now() + r.offline.emailAfterMs, status: 'sent' });
      if (r.pending.length > MAX_PENDING) r.pending.splice(0, r.pending.length - MAX_PENDING);
      version += 1;
      start();
    },
    webhookAnswered(receipts) {
      for (const { messageId, delivered } of receipts) {
        if (delivered) {
          resolve(messageId, 'delivered');
          continue;
        }
        const pending = state.receipts?.pending.find((p) => p.messageId === messageId);
        if (pending) pending.status = 'undelivered';
        record(messageId, 'undelivered');
      }
    },
    receipt({ messageId, status }) {
      if (status === 'failed') {
        // The app cannot deliver it: mail it now rather than at the deadline.
        const pending = state.receipts?.pending.find((p) => p.messageId === messageId);
        if (pending) {
          pending.status = 'failed';
          pending.dueAt = Date.now();
          version += 1;
        }
        record(messageId, 'failed');
        return;
      }
      const already = state.receipts?.statuses.some((s) => s.messageId === messageId && s.status === 'read');
      resolve(messageId, status);
      const message = state.messages.find((m) => m.id === messageId);
      if (status === 'read' && !already && message?.role === 'agent')
        control.tellTeam(`✓ Read by the user at ${utcTime(Date.now())}: “${quote(message.text)}”`);
    },
    stop({ address: raw, reason }) {
      const at = raw.trim().toLowerCase();
      const r = ensure();
      if (r.stopped.some((s) => s.address === at)) return;
      r.stopped.push({ address: at, reason, at: new Date(Date.now()).toISOString() });
      if (r.stopped.length > MAX_STOPPED) r.stopped.splice(0, r.stopped.length - MAX_STOPPED);
      version += 1;
      control.tellTeam(
        reason === 'bounced'
          ? '✉ The user’s address bounced: Parley mails them no more.'
          : '✉ The user unsubscribed: Parley mails them no more.',
      );
    },
    answersOurMail({ from }) {
      const mailed = state.receipts?.mailedTo;
      return mailed !== undefined && from.trim().toLowerCase() === mailed;
    },
    start,
    inFlight: () => inFlight,
    drain() {
      draining = true;
    },
  };
}
