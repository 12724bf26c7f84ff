import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { appPriority } from '../common/fairness';
import type { AppConfig } from '../common/config';
import { integrationTargets } from '../integrations/policies';
import { conversationWorkflowId, newMessageId } from '../common/ids';
import {
  archiveSignal,
  CONTINUE_AS_NEW_AT_EVENTS,
  conversationQuery,
  handoffSignal,
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
import { displayName, type ConversationMessage, type UserProfile } from '../common/conversation';
import type { conversation } from '../workflows/conversation';
import type { Metrics } from '../common/metrics';
import type { Logger } from '../common/logger';
import { adminApp, authedApp } from './auth';
import { eraseUser } from './erase';
import { HttpError, parseOr400 } from './errors';
import { checkMessageBudgets, checkProfileBudgets, checkUserIdBytes } from './budgets';
import { createClientLimits, type ClientLimits } from './client-limits';
import {
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
  /** The rate limits (`apps[].limits`); built here from `apiReplicas` when not given. */
  limits?: ClientLimits;
  /** `server.apiReplicas`. */
  apiReplicas?: number;
}

export function createClientApi(deps: ClientApiDeps): Router {
  const router = Router({ mergeParams: true });
  const { temporal } = deps;
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

  async function queryState(app: AppConfig, userId: string): Promise<ConversationState> {
    const workflowId = conversationWorkflowId(app.id, userId);
    try {
      const deadline = new Date(Date.now() + (deps.queryTimeoutMs ?? 10_000));
      const state = await temporal.connection.withDeadline(deadline, () =>
        temporal.workflow.getHandle(workflowId).query(conversationQuery),
      );
      // Erased (or being erased): nothing of it is shown any more, though its history may not be deleted yet.
      if (state.erasure)
        throw new HttpError(404, 'conversation_not_found', `the conversation of "${userId}" was erased`);
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

  async function signalExisting(app: AppConfig, userId: string, send: (id: string) => Promise<void>): Promise<string> {
    const workflowId = conversationWorkflowId(app.id, userId);
    try {
      await send(workflowId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(404, 'conversation_not_found', `no conversation for user "${userId}"`);
      throw err;
    }
    return workflowId;
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
      text: body.text,
      at: new Date().toISOString(),
    };
    if (body.metadata) message.metadata = body.metadata;
    const signal: UserMessageSignal = {
      id: message.id,
      text: message.text,
      at: message.at,
      integrations: integrationTargets(app),
      webhooks: app.webhooks.map((w) => w.url),
      controlDefault: app.control?.default ?? 'team',
    };
    if (message.metadata) signal.metadata = message.metadata;
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
    res.status(202).json({ message, conversationId: handle.workflowId });
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
      messages: state.messages,
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
      outboxes: Object.values(state.outboxes).map((box) => ({
        key: box.key,
        enabled: box.enabled,
        status: box.status,
        pending: box.queue.length,
        delivered: box.delivered,
        ...(box.holdUntil !== undefined ? { holdUntil: new Date(box.holdUntil).toISOString() } : {}),
        ...(box.fault ? { fault: { ...box.fault, nextCheckAt: new Date(box.fault.nextCheckAt).toISOString() } } : {}),
      })),
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
    });
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
    const conversationId = await signalExisting(app, userId, (id) =>
      temporal.workflow.getHandle(id).signal(archiveSignal, { source: 'api' }),
    );
    res.status(202).json({ conversationId, status: 'archived' });
  });

  router.delete('/users/:userId', async (req, res) => {
    const app = authedApp(res);
    const userId = userOf(req.params, app);
    const conversationId = conversationWorkflowId(app.id, userId);
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
    res.status(200).json({ ...report, conversationId, status: 'erased', history });
  });

  // An admin's action: resuming re-sends to the vendors, so a client app's key cannot force it.
  router.post('/users/:userId/outboxes/resume', async (req, res) => {
    const app = adminApp(res);
    const userId = userOf(req.params, app);
    const body = parseOr400(resumeBody, req.body ?? {});
    const conversationId = await signalExisting(app, userId, (id) =>
      temporal.workflow.getHandle(id).signal(resumeOutboxSignal, body.outbox ? { outbox: body.outbox } : {}),
    );
    res.status(202).json({ conversationId, resumed: body.outbox ?? 'all' });
  });

  return router;
}
