import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  agentReplySignal,
  archiveSignal,
  conversationQuery,
  ParleyIntegrations,
  ParleyStatus,
  profileUpdateSignal,
  resumeOutboxSignal,
  SEEN_IDS,
  userMessageSignal,
  WINDOW_SIZE,
  type ConversationInput,
  type ConversationState,
  type UserMessageSignal,
} from './definitions';
import {
  displayName,
  outboxKind,
  type ConversationMessage,
  type OutboxItem,
  type OutboxItemKind,
  type UserProfile,
} from '../common/conversation';
import { CLIENT_WEBHOOK_POLICY } from '../common/outbox';
import { createOutboxRunner, newOutbox } from './outbox';

/**
 * The name as `displayName` made it before names were cleaned (issue 16). Whether a profile update upserts the memo
 * is decided on it, so histories recorded earlier replay: a rename that changes only invisible characters or
 * whitespace upserted then, and must still upsert. The memo itself shows the cleaned name.
 */
function nameAsGiven(profile: UserProfile): string | undefined {
  const name = [profile.givenName, profile.surname].filter(Boolean).join(' ').trim();
  return name || profile.email || undefined;
}

function initialState(input: ConversationInput): ConversationState {
  const now = new Date(Date.now()).toISOString();
  return {
    appId: input.appId,
    userId: input.userId,
    profile: {},
    status: 'active',
    createdAt: now,
    updatedAt: now,
    messages: [],
    seenIds: [],
    // The API sets ParleyIntegrations when it starts a conversation; the first message upserts it only if it differs.
    integrations: [...(workflowInfo().typedSearchAttributes.get(ParleyIntegrations) ?? [])],
    outboxes: {},
    refs: {},
    totalMessages: 0,
  };
}

/**
 * One conversation between an app user and the team. Never completes: an archived conversation idles until
 * the next user message reopens it. Continues-as-new at `input.continueAsNewAfterEvents` (the API starts every
 * conversation with CONTINUE_AS_NEW_AT_EVENTS) or when Temporal suggests it, carrying its whole state.
 */
export async function conversation(input: ConversationInput): Promise<void> {
  const state = input.state ?? initialState(input);
  const conversationId = workflowInfo().workflowId;
  const outboxes = createOutboxRunner(state, conversationId);

  function seen(id: string): boolean {
    if (state.seenIds.includes(id)) return true;
    state.seenIds.push(id);
    if (state.seenIds.length > SEEN_IDS) state.seenIds.splice(0, state.seenIds.length - SEEN_IDS);
    return false;
  }

  function remember(message: ConversationMessage): void {
    state.messages.push(message);
    if (state.messages.length > WINDOW_SIZE) state.messages.splice(0, state.messages.length - WINDOW_SIZE);
    state.updatedAt = message.at;
  }

  function setStatus(status: ConversationState['status']): void {
    if (state.status === status) return;
    state.status = status;
    upsertSearchAttributes([{ key: ParleyStatus, value: status }]);
  }

  /** Applies the app's current integrations and webhooks, as the API sent them with the message. */
  function applyTargets(msg: UserMessageSignal): void {
    const wanted = new Map<string, UserMessageSignal['integrations'][number]['policy']>();
    for (const target of msg.integrations) wanted.set(target.name, target.policy);
    for (const url of msg.webhooks) wanted.set(`webhook:${url}`, CLIENT_WEBHOOK_POLICY);
    for (const box of Object.values(state.outboxes)) box.enabled = wanted.has(box.key);
    for (const [key, policy] of wanted) {
      const box = state.outboxes[key];
      if (box) box.policy = policy;
      else state.outboxes[key] = newOutbox(key, policy);
      outboxes.ensureRunning(key);
    }
    const names = msg.integrations.map((t) => t.name).sort();
    if (names.join(',') !== state.integrations.join(',')) {
      state.integrations = names;
      upsertSearchAttributes([{ key: ParleyIntegrations, value: names }]);
    }
  }

  /** Queues an item on every enabled outbox that should get it (not back to where it came from). */
  function enqueue(kind: OutboxItemKind, message: ConversationMessage | undefined, except?: string): void {
    for (const box of Object.values(state.outboxes)) {
      if (!box.enabled || box.key === except) continue;
      const toClient = outboxKind(box.key) === 'webhook';
      // Client apps hear about agent replies and archives; integrations about everything but their own.
      if (toClient && kind === 'message:user') continue;
      const item: OutboxItem = { eventId: `evt_${uuid4().replace(/-/g, '')}`, kind, enqueuedAt: Date.now() };
      if (message) item.message = message;
      box.queue.push(item);
    }
  }

  setHandler(userMessageSignal, (msg) => {
    if (seen(msg.id)) return;
    if (state.status === 'archived') for (const box of Object.values(state.outboxes)) box.reopened = true;
    setStatus('active');
    const message: ConversationMessage = { id: msg.id, role: 'user', text: msg.text, at: msg.at };
    if (msg.metadata) message.metadata = msg.metadata;
    remember(message);
    state.totalMessages += 1;
    applyTargets(msg);
    enqueue('message:user', message);
  });

  setHandler(agentReplySignal, (reply) => {
    if (seen(reply.id)) return;
    const message: ConversationMessage = {
      id: reply.id,
      role: 'agent',
      text: reply.text,
      at: reply.at,
      source: reply.source,
      agent: reply.agent,
    };
    remember(message);
    enqueue('message:agent', message, reply.source);
  });

  setHandler(archiveSignal, ({ source }) => {
    if (state.status === 'archived') return;
    setStatus('archived');
    state.updatedAt = new Date(Date.now()).toISOString();
    enqueue('conversation:archived', undefined, source);
  });

  setHandler(profileUpdateSignal, ({ profile }) => {
    const before = nameAsGiven(state.profile);
    state.profile = { ...state.profile, ...profile };
    if (nameAsGiven(state.profile) !== before) upsertMemo({ displayName: displayName(state.profile) });
  });

  setHandler(resumeOutboxSignal, ({ outbox }) => {
    for (const box of Object.values(state.outboxes)) {
      if (outbox !== undefined && box.key !== outbox) continue;
      box.fault = undefined;
      box.holdUntil = undefined;
    }
  });

  setHandler(conversationQuery, () => state);

  // Outboxes carried over from the previous run pick up where they were (deadlines are absolute).
  for (const key of Object.keys(state.outboxes)) outboxes.ensureRunning(key);

  const limit = input.continueAsNewAfterEvents;
  await condition(
    () => workflowInfo().continueAsNewSuggested || (limit !== undefined && workflowInfo().historyLength >= limit),
  );
  outboxes.drain();
  await condition(() => outboxes.inFlight() === 0 && allHandlersFinished());
  await continueAsNew<typeof conversation>({ ...input, state });
}
