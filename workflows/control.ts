/**
 * The conversation's control part (human takeover): whether the app's bot or the team is in control, and what a
 * change of control tells the outboxes. While the bot is in control the app posts both sides and nothing goes to the
 * integrations; a handoff to the team sends them the recent exchange with the bot, as for a new conversation.
 * Workflow code: state changes, one search-attribute upsert per change (behind `patched`), outbox items.
 */
import { patched, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import { cutToBudget } from '../common/budgets';
import {
  outboxKind,
  type Control,
  type ConversationMessage,
  type HandoffInfo,
  type OutboxItem,
  type OutboxItemKind,
  type OutboxState,
} from '../common/conversation';
import { ParleyControl, type ConversationState, type HandoffSignal } from './definitions';

/** The patch of the whole control feature (its upserts, and the items it queues). */
export const HANDOFF_PATCH = 'parley-handoff';

/** At most this many messages of the bot exchange go to the team at a handoff, each text cut to the budget. */
const HANDOFF_HISTORY = 20;
const HANDOFF_TEXT_BYTES = 1000;

export interface ControlPart {
  current(): Control;
  /** The team hears of this conversation's messages (not while the bot is in control). */
  teamListens(): boolean;
  /** The app's default, as the API sent it with a message; a new conversation starts with it. */
  setDefault(value: Control | undefined): void;
  /** Passes control; false when it already was there. */
  handoff(signal: HandoffSignal): boolean;
  /** Archive: control returns to the app's default. */
  archived(): void;
  /** Queues a line for the team (`delivery:status`) on every enabled integration, when the team listens. */
  tellTeam(notice: string): void;
}

function isClient(box: OutboxState): boolean {
  return outboxKind(box.key) === 'webhook';
}

export function createControl(state: ConversationState): ControlPart {
  // A conversation the API started carries the app's default as a start attribute: no upsert needed for it.
  if (!state.control) {
    const atStart = workflowInfo().typedSearchAttributes.get(ParleyControl);
    if (atStart === 'bot' || atStart === 'team')
      state.control = { current: atStart, default: atStart, since: state.createdAt };
  }

  const current = (): Control => state.control?.current ?? 'team';

  function queue(only: (box: OutboxState) => boolean, kind: OutboxItemKind, fields: Partial<OutboxItem>): void {
    for (const box of Object.values(state.outboxes)) {
      if (!box.enabled || !only(box)) continue;
      box.queue.push({ eventId: `evt_${uuid4().replace(/-/g, '')}`, kind, enqueuedAt: Date.now(), ...fields });
    }
  }

  /** The messages since the bot took control, the last HANDOFF_HISTORY, texts cut (outbox items stay small). */
  function botExchange(): ConversationMessage[] {
    const since = state.control?.since ?? state.createdAt;
    return state.messages
      .filter((m) => m.at >= since)
      .slice(-HANDOFF_HISTORY)
      .map((m) => ({ ...m, text: cutToBudget(m.text, HANDOFF_TEXT_BYTES, ' […]').text }));
  }

  function setControl(to: Control, reason?: string): void {
    const now = new Date(Date.now()).toISOString();
    state.control = {
      current: to,
      default: state.control?.default ?? 'team',
      since: now,
      ...(reason ? { reason } : {}),
    };
    if (patched(HANDOFF_PATCH)) upsertSearchAttributes([{ key: ParleyControl, value: to }]);
  }

  return {
    current,
    teamListens: () => current() === 'team',
    setDefault(value) {
      if (!value) return;
      if (!state.control) {
        // Started by an older API (no start attribute): a conversation already going stays with the team.
        state.control = { current: 'team', default: value, since: state.createdAt };
        if (value === 'bot' && state.messages.length === 0) setControl('bot');
        return;
      }
      state.control.default = value;
    },
    handoff(signal) {
      const from = current();
      if (from === signal.to) return false;
      const history = signal.to === 'team' ? botExchange() : undefined;
      setControl(signal.to, signal.reason);
      const info: HandoffInfo = {
        to: signal.to,
        from,
        source: signal.source,
        ...(signal.reason ? { reason: signal.reason } : {}),
        ...(signal.by ? { by: signal.by } : {}),
      };
      // The team: every integration (also the one it came from, so its channel shows it); the app: each webhook.
      queue((box) => !isClient(box), 'conversation:handoff', { handoff: history ? { ...info, history } : info });
      queue(isClient, 'conversation:handoff', { handoff: info });
      return true;
    },
    archived() {
      const back = state.control?.default ?? 'team';
      if (state.control && state.control.current !== back) setControl(back);
    },
    tellTeam(notice) {
      if (current() !== 'team') return;
      queue((box) => !isClient(box), 'delivery:status', { notice });
    },
  };
}
