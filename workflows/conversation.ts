import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  makeContinueAsNewFunc,
  patched,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  agentReplyDeletedSignal,
  agentReplyEditedSignal,
  agentReplySignal,
  archiveSignal,
  assignSignal,
  CARRIED_AFTER_ERASURE,
  conversationQuery,
  conversationSummaryQuery,
  eraseUserUpdate,
  handoffSignal,
  mailStopSignal,
  ParleyApp,
  ParleyIntegrations,
  ParleyStatus,
  ParleyUser,
  profileUpdateSignal,
  receiptSignal,
  resumeOutboxSignal,
  routeSignal,
  SEEN_IDS,
  userMailReplySignal,
  userMessageSignal,
  type CarriedAfterErasure,
  type ConversationInput,
  type ConversationState,
  type ErasureState,
  type StoredMessage,
  type UserMessageSignal,
} from './definitions';
import {
  conversationSummary,
  displayName,
  outboxKind,
  type ConversationMessage,
  type OutboxItem,
  type OutboxItemKind,
  type OutboxState,
  type UserProfile,
} from '../common/conversation';
import type { BacklogState } from '../common/backlog';
import type { ErasureReport } from '../common/erasure';
import { CLIENT_WEBHOOK_POLICY } from '../common/outbox';
import { jsonBytes } from '../common/budgets';
import {
  BACKLOG_PATCH,
  boundedReply,
  CARRY_PATCH,
  readyToCarry,
  boundedUserParts,
  CARRIED_BYTES,
  migrateState,
  checkedBacklog,
  seenKey,
  storeMessage,
} from './bounds';
import { MAX_ACTIONS, parseShorthand } from '../common/shorthand';
import { eraseConversation } from './erase';
import { createAssignment } from './assignment';
import { createControl } from './control';
import { createOutboxRunner, newOutbox } from './outbox';
import { createReceipts } from './receipts';

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
 * One conversation between an app user and the team. Completes only when the user is erased (`eraseUser`), with
 * the erasure's report: an archived conversation idles until the next user message reopens it. Continues-as-new at
 * `input.continueAsNewAfterEvents` (the API starts every conversation with CONTINUE_AS_NEW_AT_EVENTS) or when
 * Temporal suggests it, carrying its whole state; and after an erasure, as a fresh conversation, when the app sent
 * the user something while it ran.
 */
export async function conversation(input: ConversationInput): Promise<ErasureReport | void> {
  const state = input.state ?? initialState(input);
  // State carried from a run of older code is read into today's shape (messages kept once, the window in bytes).
  migrateState(state);
  const conversationId = workflowInfo().workflowId;
  // Control and receipts (workflows/control.ts, receipts.ts): the bot or the team, and replies mailed when unread.
  const control = createControl(state);
  const receipts = createReceipts(state, conversationId, control);
  // Who handles it and where Slack routes it (workflows/assignment.ts).
  const assignment = createAssignment(state);
  const outboxes = createOutboxRunner(state, conversationId, {
    answered: (answers) => receipts.webhookAnswered(answers),
    afterSend: checkBacklog,
  });

  function seen(id: string): boolean {
    const key = seenKey(id);
    if (state.seenIds.includes(id) || state.seenIds.includes(key)) return true;
    state.seenIds.push(key);
    if (state.seenIds.length > SEEN_IDS) state.seenIds.splice(0, state.seenIds.length - SEEN_IDS);
    return false;
  }

  /** Keeps the message once, in the window (workflows/bounds.ts); its bytes, for the outboxes' budgets. */
  function remember(message: ConversationMessage): void {
    storeMessage(state, message);
  }

  /**
   * Tells the API, through the memo, when the backlog of blocked outboxes fills up or opens again (a signal cannot
   * be refused, so the API reads the memo before it signals). Only at those changes: no upsert per message.
   */
  function checkBacklog(): void {
    const next = checkedBacklog(state, Date.now());
    if (!next || !patched(BACKLOG_PATCH)) return;
    state.backlog = next;
    upsertMemo({ backlog: next });
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
  function enqueue(
    kind: OutboxItemKind,
    message: StoredMessage | undefined,
    except?: string,
    only?: (box: OutboxState) => boolean,
  ): void {
    const bytes = message ? jsonBytes(message) : 0;
    for (const box of Object.values(state.outboxes)) {
      if (!box.enabled || box.key === except || (only && !only(box))) continue;
      const toClient = outboxKind(box.key) === 'webhook';
      // Client apps hear about agent replies and archives; integrations about everything but their own.
      // The one user message an app hears of: the user's answer by mail, which it never saw.
      if (toClient && kind === 'message:user' && message?.metadata?.via !== 'email') continue;
      const item: OutboxItem = { eventId: `evt_${uuid4().replace(/-/g, '')}`, kind, enqueuedAt: Date.now() };
      // A reference to the one stored copy, not a copy per outbox (a message not kept in the window, e.g. a
      // notice, travels as before, in the item).
      if (message?.seq !== undefined) item.seq = message.seq;
      else if (message) item.message = message;
      if (message) item.bytes = bytes;
      box.queue.push(item);
    }
    checkBacklog();
  }

  /** While erasing, what the app sends for the user waits for the fresh conversation after this run. */
  function carry(erasure: ErasureState, msg: UserMessageSignal): void {
    const carried = erasure.carried.messages;
    if (carried.some((m) => m.id === msg.id)) return;
    // Bounded in bytes too: what is carried is the next run's input.
    if (carried.length >= CARRIED_AFTER_ERASURE || jsonBytes(carried) + jsonBytes(msg) > CARRIED_BYTES)
      erasure.dropped += 1;
    else carried.push(msg);
  }

  setHandler(userMessageSignal, (msg) => {
    if (state.erasure) return carry(state.erasure, msg);
    acceptUserMessage(msg);
  });

  function acceptUserMessage(msg: UserMessageSignal): void {
    if (seen(msg.id)) return;
    if (state.status === 'archived') for (const box of Object.values(state.outboxes)) box.reopened = true;
    setStatus('active');
    const parts = boundedUserParts(msg.text, msg.metadata);
    const message: ConversationMessage = { id: msg.id, role: msg.role ?? 'user', text: parts.text, at: msg.at };
    if (parts.metadata) message.metadata = parts.metadata;
    if (msg.backlog) state.backlogLimits = msg.backlog;
    // Data only (no command changes): files as the store describes them, a button's tap.
    if (msg.attachments && msg.attachments.length > 0) message.attachments = msg.attachments;
    if (msg.postback) message.postback = msg.postback;
    control.setDefault(msg.controlDefault);
    receipts.configure(msg.offline);
    remember(message);
    state.totalMessages += 1;
    applyTargets(msg);
    if (message.role === 'user') {
      assignment.noteFirstMetadata(message.metadata);
      if (control.teamListens()) assignment.userSpoke();
    }
    // While the bot is in control the team hears nothing; the bot's own messages are the app's to show.
    if (message.role === 'user' && control.teamListens()) enqueue('message:user', message);
    if (message.role === 'bot' && msg.handoff)
      control.handoff({ to: 'team', source: 'bot', ...(msg.handoff.reason ? { reason: msg.handoff.reason } : {}) });
  }

  setHandler(agentReplySignal, (received) => {
    // The conversation is being erased: a reply has nowhere to go (its vendor conversation is going too).
    if (state.erasure) {
      state.erasure.dropped += 1;
      return;
    }
    if (seen(received.id)) return;
    // The inbound paths cut a reply over their budget; this is the workflow's own defence against one that was not.
    const bounded = boundedReply(received);
    if (bounded.cutFrom !== undefined)
      log.warn('agent reply cut to its budget', { source: received.source, id: received.id, bytes: bounded.cutFrom });
    const reply = bounded.reply;
    // The agent's shorthand (`%[Yes](postback:YES)`, `![](https://…)`) becomes buttons and images; data only.
    const shorthand = parseShorthand(reply.text);
    const message: ConversationMessage = {
      id: reply.id,
      role: 'agent',
      text: shorthand.text,
      at: reply.at,
      source: reply.source,
      agent: reply.agent,
    };
    const attachments = [...(reply.attachments ?? []), ...shorthand.images];
    const actions = [...(reply.actions ?? []), ...shorthand.actions].slice(0, MAX_ACTIONS);
    if (attachments.length > 0) message.attachments = attachments;
    if (actions.length > 0) message.actions = actions;
    remember(message);
    // The app always gets an agent's reply; the other integrations mirror it only while the team is in control.
    const teamListens = control.teamListens();
    enqueue('message:agent', message, reply.source, (box) => teamListens || outboxKind(box.key) === 'webhook');
    receipts.track(message);
  });

  // Slack threads mode: an agent edited or deleted a reply Parley relayed. New handlers only: replay-safe.
  setHandler(agentReplyEditedSignal, ({ id, eventId, text, at }) => reviseAgentReply(id, eventId, at, text));
  setHandler(agentReplyDeletedSignal, ({ id, eventId, at }) => reviseAgentReply(id, eventId, at, undefined));

  /**
   * An edit (`text`) or a deletion (no text) of an agent's reply: only of one Parley relayed (its id was seen). The
   * stored copy changes when it is still kept; the app hears of it (`message:agent:updated` / `…:deleted`), the
   * integrations do not (the reply never went to them as the agent's own words changed).
   */
  function reviseAgentReply(id: string, eventId: string, at: string, text: string | undefined): void {
    if (state.erasure) return;
    if (!state.seenIds.includes(seenKey(id)) && !state.seenIds.includes(id)) return;
    if (seen(eventId)) return;
    const stored = [...state.messages, ...(state.held ?? [])].find((m) => m.id === id && m.role === 'agent');
    const next =
      text === undefined ? '' : boundedReply({ id, source: 'slack', agent: { name: '' }, text, at }).reply.text;
    if (stored) {
      const before = jsonBytes(stored);
      stored.text = next;
      const delta = jsonBytes(stored) - before;
      if (state.messages.includes(stored)) state.windowBytes = (state.windowBytes ?? 0) + delta;
      else state.heldBytes = (state.heldBytes ?? 0) + delta;
    }
    const change: ConversationMessage = {
      id,
      role: 'agent',
      text: next,
      at,
      ...(stored?.source ? { source: stored.source } : {}),
      ...(stored?.agent ? { agent: stored.agent } : {}),
    };
    enqueue(
      text === undefined ? 'message:agent:deleted' : 'message:agent:updated',
      change,
      undefined,
      (box) => outboxKind(box.key) === 'webhook',
    );
  }

  setHandler(archiveSignal, ({ source }) => archive(source));

  function archive(source: string | undefined): void {
    if (state.erasure) return;
    if (state.status === 'archived') return;
    setStatus('archived');
    state.updatedAt = new Date(Date.now()).toISOString();
    // Under the bot, only integrations that heard of the conversation before (a team period) close their side.
    const heard = (box: OutboxState) =>
      control.teamListens() || outboxKind(box.key) === 'webhook' || box.delivered > 0 || box.queue.length > 0;
    enqueue('conversation:archived', undefined, source, heard);
    control.archived();
  }

  // Claim, assign, resolve (a resolve archives, as `/sk !archive` does); the department re-routes.
  setHandler(assignSignal, (signal) => {
    if (state.erasure) return;
    assignment.apply(signal);
    if (signal.action === 'resolve') archive(signal.source);
  });

  setHandler(routeSignal, ({ department }) => {
    if (state.erasure) return;
    assignment.setDepartment(department);
  });

  setHandler(handoffSignal, (signal) => {
    if (state.erasure) return;
    control.handoff(signal);
  });

  setHandler(receiptSignal, (signal) => {
    if (state.erasure) return;
    receipts.receipt(signal);
  });

  setHandler(mailStopSignal, (signal) => {
    if (state.erasure) return;
    receipts.stop(signal);
  });

  // The user answered a fallback mail: their message, as if posted in the app (the app hears of it by webhook).
  setHandler(userMailReplySignal, (reply) => {
    if (state.erasure || !receipts.answersOurMail(reply) || seen(reply.id)) return;
    setStatus('active');
    const message: ConversationMessage = {
      id: reply.id,
      role: 'user',
      text: reply.text,
      at: reply.at,
      metadata: { via: 'email' },
    };
    remember(message);
    state.totalMessages += 1;
    const teamListens = control.teamListens();
    enqueue('message:user', message, undefined, (box) => teamListens || outboxKind(box.key) === 'webhook');
  });

  setHandler(profileUpdateSignal, ({ profile }) => {
    if (state.erasure) {
      state.erasure.carried.profile = { ...state.erasure.carried.profile, ...profile };
      return;
    }
    acceptProfile(profile);
  });

  function acceptProfile(profile: UserProfile): void {
    const before = nameAsGiven(state.profile);
    const properties = JSON.stringify(state.profile.properties ?? {});
    state.profile = { ...state.profile, ...profile };
    if (nameAsGiven(state.profile) !== before) upsertMemo({ displayName: displayName(state.profile) });
    // A property may route the conversation elsewhere in Slack.
    if (JSON.stringify(state.profile.properties ?? {}) !== properties) assignment.profileChanged();
  }

  setHandler(resumeOutboxSignal, ({ outbox }) => {
    for (const box of Object.values(state.outboxes)) {
      if (outbox !== undefined && box.key !== outbox) continue;
      // Data for the next send only (no command changes): what the operator resumed from.
      if (box.fault) box.resumedFrom = box.fault.type;
      box.fault = undefined;
      box.holdUntil = undefined;
    }
  });

  setHandler(conversationQuery, () => state);
  setHandler(conversationSummaryQuery, () => conversationSummary(state));

  setHandler(eraseUserUpdate, async (request) => {
    if (state.erasure) {
      // Asked again (a retried DELETE): the same erasure's answer.
      await condition(() => state.erasure?.report !== undefined);
    } else {
      state.erasure = { requestedAt: new Date(Date.now()).toISOString(), carried: { messages: [] }, dropped: 0 };
      state.erasure.report = await eraseConversation(state, conversationId, outboxes, request);
    }
    return state.erasure.report as ErasureReport;
  });

  /** The erased run ends: with its report, or as a fresh conversation with what arrived for the user meanwhile. */
  async function endErased(erasure: ErasureState): Promise<ErasureReport> {
    await condition(() => erasure.report !== undefined && allHandlersFinished());
    const { carried } = erasure;
    if (carried.messages.length > 0 || carried.profile) await startAfresh(carried);
    return erasure.report as ErasureReport;
  }

  async function startAfresh(carried: CarriedAfterErasure): Promise<never> {
    const names = (carried.messages.at(-1)?.integrations ?? []).map((t) => t.name).sort();
    const name = carried.profile ? displayName(carried.profile) : undefined;
    const fresh = makeContinueAsNewFunc<typeof conversation>({
      typedSearchAttributes: [
        { key: ParleyApp, value: input.appId },
        { key: ParleyUser, value: input.userId },
        { key: ParleyStatus, value: 'active' },
        { key: ParleyIntegrations, value: names },
      ],
      memo: { appId: input.appId, userId: input.userId, ...(name ? { displayName: name } : {}) },
    });
    const { state: _erased, ...rest } = input;
    return fresh({ ...rest, afterErasure: carried });
  }

  // A fresh conversation after an erasure: what the app sent while it ran, as if it came now (once: a later run
  // carries its state instead).
  if (input.afterErasure && !input.state) {
    if (input.afterErasure.profile) acceptProfile(input.afterErasure.profile);
    for (const msg of input.afterErasure.messages) acceptUserMessage(msg);
  }

  // The memo does not follow continue-as-new by itself: a run that carries a full (or near) backlog says so again,
  // or the API would take its view for open.
  const memoBacklog = workflowInfo().memo?.backlog as BacklogState | undefined;
  if (state.backlog && JSON.stringify(memoBacklog) !== JSON.stringify(state.backlog) && patched(BACKLOG_PATCH))
    upsertMemo({ backlog: state.backlog });

  // Outboxes carried over from the previous run pick up where they were (deadlines are absolute).
  for (const key of Object.keys(state.outboxes)) outboxes.ensureRunning(key);
  receipts.start();

  const limit = input.continueAsNewAfterEvents;
  await condition(
    () =>
      workflowInfo().continueAsNewSuggested ||
      (limit !== undefined && workflowInfo().historyLength >= limit) ||
      state.erasure !== undefined,
  );
  if (state.erasure) return endErased(state.erasure);
  // The next run's input carries every message still queued: while outboxes that can deliver are working through
  // more than the backlog's bytes (a jam of large messages inside a batch window), let them send first.
  if (patched(CARRY_PATCH)) await condition(() => state.erasure !== undefined || readyToCarry(state, Date.now()));
  if (state.erasure) return endErased(state.erasure);
  outboxes.drain();
  receipts.drain();
  await condition(() => outboxes.inFlight() === 0 && receipts.inFlight() === 0 && allHandlersFinished());
  // An erasure that began while draining ends the run instead.
  if (state.erasure) return endErased(state.erasure);
  await continueAsNew<typeof conversation>({ ...input, state });
}
