import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router, type Response } from 'express';
import { appPriority } from '../common/fairness';
import type { AppConfig } from '../common/config';
import { integrationTargets } from '../integrations/policies';
import { conversationWorkflowId, newMessageId } from '../common/ids';
import {
  archiveSignal,
  CONTINUE_AS_NEW_AT_EVENTS,
  conversationQuery,
  handoffSignal,
  routeSignal,
  ParleyApp,
  ParleyControl,
  ParleyIntegrations,
  ParleyStatus,
  ParleyUser,
  profileUpdateSignal,
  receiptSignal,
  resumeOutboxSignal,
  CONVERSATION_WORKFLOW_TYPE,
  userMessageSignal,
  type ConversationInput,
  type ConversationState,
  type UserMessageSignal,
} from '../workflows/definitions';
import { displayName, type ConversationMessage, type OutboxState, type UserProfile } from '../common/conversation';
import type { conversation } from '../workflows/conversation';
import type { Metrics } from '../common/metrics';
import type { Logger } from '../common/logger';
import { DEFAULT_BACKLOG, measureBacklog } from '../common/backlog';
import { adminApp, authedApp } from './auth';
import { createBacklogGate, type BacklogGate } from './backlog';
import { eraseUser } from './erase';
import { HttpError, parseOr400 } from './errors';
import type { Files } from './files';
import { checkMessageBudgets, checkProfileBudgets, checkUserIdBytes } from './budgets';
import { createClientLimits, type ClientLimits } from './client-limits';
import {
  departmentBody,
  handoffBody,
  messageIdParam,
  postMessageBody,
  profileBody,
  receiptBody,
  resumeBody,
  userIdParam,
} from './schemas';

export interface ClientApiDeps {
  temporal: Client;
  taskQueue: string;
  /** Tests lower it to see continue-as-new happen. */
  continueAsNewAfterEvents?: number;
  /** How long a query may take before the API answers 503. */
  queryTimeoutMs?: number;
  metrics?: Metrics;
  /** How long `DELETE …/users/{userId}` waits for the erasure before answering 202 (default 25 s). */
  eraseWaitMs?: number;
  log?: Logger;
  /** Attachments and their URLs (api/files.ts). */
  files?: Files;
  /** The rate limits (`apps[].limits`); built here from `apiReplicas` when not given. */
  limits?: ClientLimits;
  /** `server.apiReplicas`. */
  apiReplicas?: number;
  /** Reads whether a conversation's backlog is full (api/backlog.ts); built from `temporal` when absent. */
  backlogGate?: BacklogGate;
}

/** `GET …/conversation`'s `backlog`: what the blocked outboxes hold, the limits, and whether posts are refused. */
function backlogSummary(state: ConversationState) {
  const held = measureBacklog(state.outboxes, Date.now());
  return {
    full: state.backlog?.full === true,
    messages: held.messages,
    bytes: held.bytes,
    limits: state.backlogLimits ?? DEFAULT_BACKLOG,
    ...(state.backlog?.full && state.backlog.since ? { since: state.backlog.since } : {}),
  };
}

/** A conversation's state by its `conversation` query: 404 when none (or erased), 503 when Temporal cannot answer. */
export async function queryConversation(
  temporal: Client,
  appId: string,
  userId: string,
  timeoutMs = 10_000,
): Promise<ConversationState> {
  const workflowId = conversationWorkflowId(appId, userId);
  try {
    const deadline = new Date(Date.now() + timeoutMs);
    const state = await temporal.connection.withDeadline(deadline, () =>
      temporal.workflow.getHandle(workflowId).query(conversationQuery),
    );
    // Erased (or being erased): nothing of it is shown any more, though its history may not be deleted yet.
    if (state.erasure) throw new HttpError(404, 'conversation_not_found', `the conversation of "${userId}" was erased`);
    return state;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(404, 'conversation_not_found', `no conversation for user "${userId}"`);
    throw new HttpError(503, 'temporal_unavailable', 'the conversation could not be read right now; try again', {
      cause: err,
      retryAfterSeconds: 2,
    });
  }
}

/** Signals the user's conversation if it exists (404 otherwise); returns its workflow id. */
export async function signalConversation(
  appId: string,
  userId: string,
  send: (workflowId: string) => Promise<void>,
): Promise<string> {
  const workflowId = conversationWorkflowId(appId, userId);
  try {
    await send(workflowId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(404, 'conversation_not_found', `no conversation for user "${userId}"`);
    throw err;
  }
  return workflowId;
}

/** `resumeOutbox`: one outbox (`zendesk`, `webhook:https://…`), or every paused one. */
export function resumeOutboxes(temporal: Client, appId: string, userId: string, outbox?: string): Promise<string> {
  return signalConversation(appId, userId, (id) =>
    temporal.workflow.getHandle(id).signal(resumeOutboxSignal, outbox ? { outbox } : {}),
  );
}

export function archiveConversation(temporal: Client, appId: string, userId: string, source: string): Promise<string> {
  return signalConversation(appId, userId, (id) => temporal.workflow.getHandle(id).signal(archiveSignal, { source }));
}

/** An outbox as `GET …/conversation` shows it. */
export function outboxView(box: OutboxState) {
  return {
    key: box.key,
    enabled: box.enabled,
    status: box.status,
    pending: box.queue.length,
    delivered: box.delivered,
    ...(box.holdUntil !== undefined ? { holdUntil: new Date(box.holdUntil).toISOString() } : {}),
    ...(box.fault ? { fault: { ...box.fault, nextCheckAt: new Date(box.fault.nextCheckAt).toISOString() } } : {}),
  };
}

export function createClientApi(deps: ClientApiDeps): Router {
  const router = Router({ mergeParams: true });
  const { temporal } = deps;
  const backlog = deps.backlogGate ?? createBacklogGate({ temporal });

  /** 429 while the conversation's blocked outboxes hold a full backlog (issue 15): nothing accepted is dropped. */
  async function refuseIfBacklogged(app: AppConfig, userId: string, res: Response): Promise<void> {
    const full = await backlog.read(conversationWorkflowId(app.id, userId));
    if (!full) return;
    deps.metrics?.conversationBacklogged.inc({ app: app.id });
    res.set('Retry-After', String(backlog.retryAfterSeconds(full)));
    throw new HttpError(
      429,
      'conversation_backlogged',
      `the conversation of "${userId}" holds a full backlog (${full.outbox ?? 'an outbox'} cannot deliver now); ` +
        'retry after the Retry-After seconds: what was accepted is delivered first',
    );
  }
  const limits =
    deps.limits ??
    createClientLimits({
      temporal,
      replicas: deps.apiReplicas ?? 1,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });

  function userOf(params: Record<string, string | undefined>, app?: AppConfig): string {
    const userId = parseOr400(userIdParam, params.userId, 'invalid_user_id');
    if (app) checkUserIdBytes(app.id, userId);
    return userId;
  }

  /** Starts the user's conversation if needed, with the names a developer sees in the Temporal UI. */
  function startOptions(app: AppConfig, userId: string, profile?: UserProfile) {
    const input: ConversationInput = {
      appId: app.id,
      userId,
      appName: app.name ?? app.id,
      continueAsNewAfterEvents: deps.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_AT_EVENTS,
    };
    const who = (profile && displayName(profile)) ?? userId;
    return {
      workflowId: conversationWorkflowId(app.id, userId),
      taskQueue: deps.taskQueue,
      args: [input] as [ConversationInput],
      typedSearchAttributes: [
        { key: ParleyApp, value: app.id },
        { key: ParleyUser, value: userId },
        { key: ParleyStatus, value: 'active' },
        // Set at the start, so a new conversation need not upsert it (one visibility write less per conversation).
        {
          key: ParleyIntegrations,
          value: integrationTargets(app)
            .map((t) => t.name)
            .sort(),
        },
        // Who controls a new conversation: the app's default (control.ts reads it, so no upsert is needed).
        { key: ParleyControl, value: app.control?.default ?? 'team' },
      ],
      memo: {
        appId: app.id,
        userId,
        ...(profile && displayName(profile) ? { displayName: displayName(profile) } : {}),
      },
      staticSummary: `Conversation with ${who} (${app.name ?? app.id})`,
      // One app's flood must not starve another's delivery (common/fairness.ts); the sends inherit it.
      priority: appPriority(app.id),
    };
  }

  const queryState = (app: AppConfig, userId: string): Promise<ConversationState> =>
    queryConversation(temporal, app.id, userId, deps.queryTimeoutMs);

  const signalExisting = (app: AppConfig, userId: string, send: (id: string) => Promise<void>): Promise<string> =>
    signalConversation(app.id, userId, send);

  /** A message as the app reads it: its files with fresh signed URLs. */
  function withUrls(app: AppConfig, message: ConversationMessage): ConversationMessage {
    return deps.files ? deps.files.urls.message(app.id, message) : message;
  }

  router.post('/users/:userId/messages', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    checkMessageBudgets(req.body);
    const body = parseOr400(postMessageBody, req.body);
    await limits.admit(res, app, userId, conversationWorkflowId(app.id, userId), true);
    const message: ConversationMessage = {
      id: body.id ?? newMessageId(),
      role: body.role ?? 'user',
      // A tap reads as its label where only text is shown; a message of files alone has none.
      text: body.text ?? body.postback?.text ?? '',
      at: new Date().toISOString(),
    };
    if (body.metadata) message.metadata = body.metadata;
    await refuseIfBacklogged(app, userId, res);
    if (body.attachments) {
      if (!deps.files) throw new HttpError(400, 'invalid_request', 'this Parley has no file store');
      message.attachments = await deps.files.attach(app, userId, body.attachments);
    }
    if (body.postback) message.postback = body.postback;
    const signal: UserMessageSignal = {
      id: message.id,
      text: message.text,
      at: message.at,
      integrations: integrationTargets(app),
      webhooks: app.webhooks.map((w) => w.url),
      backlog: app.limits.conversationBacklog,
      controlDefault: app.control?.default ?? 'team',
    };
    if (message.metadata) signal.metadata = message.metadata;
    if (message.attachments) signal.attachments = message.attachments;
    if (message.postback) signal.postback = message.postback;
    if (body.role === 'bot') signal.role = 'bot';
    if (body.handoff)
      signal.handoff = typeof body.handoff === 'object' && body.handoff.reason ? { reason: body.handoff.reason } : {};
    if (app.offline)
      signal.offline = { emailAfterMs: app.offline.emailAfter, emailsVerified: app.offline.emailsVerified };
    const handle = await temporal.workflow.signalWithStart<typeof conversation, [UserMessageSignal]>(
      CONVERSATION_WORKFLOW_TYPE,
      {
        ...startOptions(app, userId),
        signal: userMessageSignal,
        signalArgs: [signal],
      },
    );
    limits.known(handle.workflowId);
    deps.metrics?.relayed.inc({ integration: 'api', direction: 'in' });
    res.status(202).json({ message: withUrls(app, message), conversationId: handle.workflowId });
  });

  router.put('/users/:userId', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    checkProfileBudgets(req.body);
    const profile = parseOr400(profileBody, req.body);
    await limits.admit(res, app, userId, conversationWorkflowId(app.id, userId), true);
    const handle = await temporal.workflow.signalWithStart<typeof conversation, [{ profile: UserProfile }]>(
      CONVERSATION_WORKFLOW_TYPE,
      {
        ...startOptions(app, userId, profile),
        signal: profileUpdateSignal,
        signalArgs: [{ profile }],
      },
    );
    limits.known(handle.workflowId);
    res.status(202).json({ profile, conversationId: handle.workflowId });
  });

  router.get('/users/:userId/messages', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const state = await queryState(app, userId);
    res.json({
      conversationId: conversationWorkflowId(app.id, userId),
      status: state.status,
      control: state.control?.current ?? 'team',
      // The workflow's own bookkeeping (`seq`) stays inside.
      messages: state.messages.map(({ seq: _seq, ...message }) => withUrls(app, message)),
      deliveries: state.receipts?.statuses ?? [],
    });
  });

  router.get('/users/:userId/conversation', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const state = await queryState(app, userId);
    res.json({
      conversationId: conversationWorkflowId(app.id, userId),
      status: state.status,
      profile: state.profile,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      totalMessages: state.totalMessages,
      integrations: state.integrations,
      outboxes: Object.values(state.outboxes).map(outboxView),
      backlog: backlogSummary(state),
      control: state.control ?? { current: 'team', default: 'team', since: state.createdAt },
      ...(state.receipts
        ? {
            offline: {
              pending: state.receipts.pending.length,
              mailed: state.receipts.mailed,
              stopped: state.receipts.stopped,
            },
          }
        : {}),
      assignment: state.assignment ? { ...state.assignment, assignee: state.assignment.assignee ?? null } : null,
      routing: {
        ...(state.refs.slackRoute ? { route: state.refs.slackRoute } : {}),
        ...(typeof state.routing?.metadata.department === 'string'
          ? { department: state.routing.metadata.department }
          : {}),
      },
    });
  });

  // The app sets the conversation's department: Slack re-decides its route (`slack.routes`).
  router.put('/users/:userId/conversation', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const body = parseOr400(departmentBody, req.body);
    const conversationId = await signalExisting(app, userId, (id) =>
      temporal.workflow.getHandle(id).signal(routeSignal, { department: body.department }),
    );
    res.status(202).json({ conversationId, department: body.department });
  });

  // Human takeover: the app passes control to the team, or takes it back for its bot.
  router.post('/users/:userId/handoff', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const body = parseOr400(handoffBody, req.body);
    const conversationId = await signalExisting(app, userId, (id) =>
      temporal.workflow
        .getHandle(id)
        .signal(handoffSignal, { to: body.to, source: 'api', ...(body.reason ? { reason: body.reason } : {}) }),
    );
    res.status(202).json({ conversationId, control: body.to });
  });

  // How an agent's reply reached the user: `delivered` or `read` spare them the fallback mail.
  router.post('/users/:userId/messages/:messageId/receipt', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const messageId = parseOr400(messageIdParam, req.params.messageId, 'invalid_message_id');
    const body = parseOr400(receiptBody, req.body);
    const conversationId = await signalExisting(app, userId, (id) =>
      temporal.workflow
        .getHandle(id)
        .signal(receiptSignal, { messageId, status: body.status, at: new Date().toISOString() }),
    );
    res.status(202).json({ conversationId, messageId, status: body.status });
  });

  router.post('/users/:userId/archive', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    await limits.admit(res, app, userId, conversationWorkflowId(app.id, userId), false);
    const conversationId = await archiveConversation(temporal, app.id, userId, 'api');
    res.status(202).json({ conversationId, status: 'archived' });
  });

  router.delete('/users/:userId', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const conversationId = conversationWorkflowId(app.id, userId);
    // The user's files first: the bytes are Parley's alone (no vendor to wait for), and the request says to erase.
    const erasedFiles = deps.files ? await deps.files.store.eraseUser(app.id, userId) : [];
    const outcome = await eraseUser(
      { temporal, waitMs: deps.eraseWaitMs ?? 25_000, ...(deps.log ? { log: deps.log } : {}) },
      conversationId,
      { webhooks: app.webhooks.map((w) => w.url) },
    );
    if (outcome.kind === 'not_found')
      throw new HttpError(404, 'conversation_not_found', `no conversation for user "${userId}": nothing to erase`);
    if (outcome.kind === 'erasing') {
      res.status(202).json({ conversationId, status: 'erasing' });
      return;
    }
    const { report, history } = outcome;
    const files = erasedFiles.map((id) => ({
      system: 'parley',
      kind: 'file',
      id,
      detail: "deleted from Parley's file store",
    }));
    res
      .status(200)
      .json({ ...report, erased: [...report.erased, ...files], conversationId, status: 'erased', history });
  });

  // An admin's action: resuming re-sends to the vendors, so a client app's key cannot force it.
  router.post('/users/:userId/outboxes/resume', async (req, res) => {
    const app = adminApp(res);
    const userId = userOf(req.params, app);
    const body = parseOr400(resumeBody, req.body ?? {});
    const conversationId = await resumeOutboxes(temporal, app.id, userId, body.outbox);
    res.status(202).json({ conversationId, resumed: body.outbox ?? 'all' });
  });

  return router;
}
