/**
 * Requests from Slack: slash commands, events and interactions. Thin glue: each is verified on its raw body first
 * (401), parsed and decided by integrations/slack/inbound.ts (400 for what does not parse), routed to its app (by
 * signing secret, then workspace), then turned into a query or a signal, answered within Slack's 3 seconds.
 * With `slack.agents` set, only agents may `/sk`, Join and archive: anyone else is told so, and nothing happens.
 */
import type { WebClient } from '@slack/web-api';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import type { AppConfig, ParleyConfig } from '../common/config';
import type { AgentInfo, AgentReply, ConversationSummary } from '../common/conversation';
import { userIdOfConversation } from '../common/ids';
import type { Logger } from '../common/logger';
import { assignedConversations, findConversation } from '../common/lookup';
import type { Metrics } from '../common/metrics';
import type { VerifyRefusal } from '../common/signature';
import { keepIncomingFiles, replyWithFiles } from '../integrations/files/intake';
import type { FileStore } from '../integrations/files/store';
import { createSlackAgentDirectory } from '../integrations/slack/agents';
import { fetchSlackFiles, type SlackFileRef } from '../integrations/slack/agent-files';
import { createSlackClient } from '../integrations/slack/client';
import { slackTeamId } from '../integrations/slack/connect';
import { slackErrorCode, type SlackErrorCode } from '../integrations/slack/errors';
import {
  ACK_TEXT,
  AGENT_CHECK_FAILED_TEXT,
  ARCHIVED_CONFIRMATION,
  assignedConfirmation,
  CLAIMED_CONFIRMATION,
  notOnRouteText,
  RESOLVED_CONFIRMATION,
  HANDED_BACK_CONFIRMATION,
  noPowerText,
  notAgentText,
  profileText,
  replyCutNotice,
  ALREADY_SENT_TEXT,
  SHORTCUT_FAILED_TEXT,
  BOT_POST_TEXT,
  EMPTY_MESSAGE_TEXT,
  filesNotSentNotice,
  sentConfirmation,
  TEMPORAL_UNAVAILABLE_TEXT,
  usageText,
} from '../integrations/slack/format';
import {
  agentFromSlackUser,
  decideEvent,
  decideInteraction,
  decideThreadEvent,
  isInternalNote,
  RESOLVE_REACTION,
  threadRef,
  threadReplyId,
  type ThreadEventDecision,
  ephemeral,
  eventEnvelopeSchema,
  inChannel,
  interactionJson,
  interactionSchema,
  isSlackChannelId,
  parseCommandText,
  slackMessageText,
  slashCommandSchema,
  type CommandAnswer,
  type ShortcutMessage,
  type SlashCommand,
} from '../integrations/slack/inbound';
import { agentHomeView, HOME_LIST_MAX, notAgentHomeView, type HomeView } from '../integrations/slack/home';
import { verifySlackSignature } from '../integrations/slack/verify';
import { routeNamed } from '../integrations/slack/routes';
import type { SlackCredentialSource } from '../integrations/slack/installation';
import { installationEventOf, type InstallationEvent } from '../integrations/slack/oauth';
import { installationWorkflowId } from '../common/slack-installation';
import {
  agentReplyDeletedSignal,
  agentReplyEditedSignal,
  agentReplySignal,
  archiveSignal,
  assignSignal,
  conversationQuery,
  conversationSummaryQuery,
  handoffSignal,
  slackInstallationEventSignal,
} from '../workflows/definitions';
import { BUDGETS } from '../common/limits';
import { temporalFault } from '../common/temporal-errors';
import { HttpError, parseOr400 } from './errors';
import { boundInboundReply, formOf, jsonOf, verifiedBody, verifiedRequest, type Verification } from './inbound';

type SlackApp = AppConfig & { slack: NonNullable<AppConfig['slack']> };

/** Slack wants an answer within 3 seconds; slower work answers "on it" and finishes through response_url. */
const ACK_BUDGET_MS = 2500;

export interface SlackRouterDeps {
  config: ParleyConfig;
  temporal: Client;
  log: Logger;
  metrics?: Metrics;
  /** Each app's current token: static, or its OAuth installation's (integrations/slack/installation.ts). */
  credentials: SlackCredentialSource;
  /** Where agents' files go (stored as the user's); without it an agent's files are named in the reply, not sent. */
  files?: FileStore;
}

/**
 * How long an agent's files of one message may take to fetch. Neither path holds Slack's 3 seconds: the shortcut
 * answers at once and confirms through response_url; a thread reply with files is acknowledged before its fetch.
 */
export const AGENT_FILES_BUDGET_MS = 20_000;

/** The apps whose signing secret signed this body (several apps may share one Slack app); why not, when none did. */
function verifyAmong(apps: SlackApp[], body: Buffer, req: Request): Verification<SlackApp[]> {
  const request = { body, signature: req.get('x-slack-signature'), timestamp: req.get('x-slack-request-timestamp') };
  let refusal: VerifyRefusal = 'missing';
  const matches = apps.filter((app) => {
    const result = verifySlackSignature({ ...request, secret: app.slack.signingSecret });
    if (!result.ok) refusal = result.reason;
    return result.ok;
  });
  return matches.length > 0 ? { ok: true, match: matches } : { ok: false, reason: refusal };
}

/**
 * The workspace each app's token belongs to (`auth.test`), asked once and kept for this router's life; a failed
 * answer is forgotten, so the next request asks again.
 */
function createTeamLookup(
  log: Logger,
  clientFor: (app: SlackApp) => Promise<WebClient>,
): (app: SlackApp) => Promise<string | undefined> {
  const teamIds = new Map<string, Promise<string | undefined>>();
  return (app) => {
    let team = teamIds.get(app.id);
    if (!team) {
      team = clientFor(app)
        .then(slackTeamId)
        .catch((err: unknown) => {
          teamIds.delete(app.id);
          log.warn({ app: app.id, code: slackErrorCode(err), err: String(err) }, 'slack auth.test failed');
          return undefined;
        });
      teamIds.set(app.id, team);
    }
    return team;
  };
}

/**
 * Among the apps sharing a signing secret, the one installed in this workspace: an OAuth install names its app in
 * the workspace's installation workflow (by team, else by the enterprise of an org-wide install); a static token's
 * workspace is the one `auth.test` names.
 */
async function pickApp(
  candidates: SlackApp[],
  teamId: string,
  teamOf: (app: SlackApp) => Promise<string | undefined>,
  installed: (key: string) => Promise<string | undefined>,
  enterpriseId?: string,
): Promise<SlackApp | undefined> {
  if (candidates.some((a) => a.slack.clientId)) {
    for (const key of [teamId, enterpriseId]) {
      if (!key || !/^[A-Z0-9]{2,32}$/.test(key)) continue;
      const appId = await installed(key);
      const app = appId === undefined ? undefined : candidates.find((a) => a.id === appId);
      if (app) return app;
    }
    candidates = candidates.filter((a) => a.slack.botToken);
  }
  const [only, ...others] = candidates;
  if (only && others.length === 0) {
    // One app only: a workspace it cannot confirm (auth.test failing) still gets through; its token fails later.
    const team = await teamOf(only);
    return team === undefined || team === teamId ? only : undefined;
  }
  for (const app of candidates) if ((await teamOf(app)) === teamId) return app;
  return undefined;
}

/**
 * Answers within Slack's budget: the answer if it is ready in time, else "On it…" at once and the answer later
 * through `response_url`. A failure before the budget is the request's (a 5xx); after it, logged.
 */
async function answerInTime(
  res: Response,
  work: Promise<CommandAnswer>,
  responseUrl: string | undefined,
  onLateFailure: (err: unknown) => void,
): Promise<void> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ACK_BUDGET_MS).unref());
  const answer = await Promise.race([work, timeout]);
  if (answer) {
    res.json(answer);
    return;
  }
  res.json(ephemeral(ACK_TEXT));
  work
    .then(async (late) => {
      if (responseUrl)
        await fetch(responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(late),
        });
    })
    .catch(onLateFailure);
}

export function createSlackRouter(deps: SlackRouterDeps): Router {
  const router = Router();
  const apps = deps.config.apps.filter((a): a is SlackApp => a.slack !== undefined);
  const clientFor = async (app: SlackApp): Promise<WebClient> =>
    createSlackClient({ botToken: (await deps.credentials.get(app)).token, apiUrl: app.slack.apiUrl });
  const teamOf = createTeamLookup(deps.log, clientFor);
  const installed = async (key: string): Promise<string | undefined> => {
    const installation = await deps.credentials.byKey(key);
    return installation?.status === 'pending' ? undefined : installation?.appId;
  };
  const directory = createSlackAgentDirectory();
  const pick = (candidates: SlackApp[], teamId: string, enterpriseId?: string) =>
    pickApp(candidates, teamId, teamOf, installed, enterpriseId);
  const verified = verifiedBody<SlackApp[]>({
    limit: '1mb',
    code: 'slack_signature_invalid' satisfies SlackErrorCode,
    header: 'X-Slack-Signature',
    verify: (body, req) => verifyAmong(apps, body, req),
  });

  function conversationFor(app: SlackApp, channelId: string): Promise<string | undefined> {
    return isSlackChannelId(channelId)
      ? findConversation(deps.temporal, app.id, 'SlackChannel', channelId)
      : Promise.resolve(undefined);
  }

  /** Threads mode: the conversation whose thread is `<channel>:<threadTs>`. */
  function conversationOfThread(app: SlackApp, channelId: string, threadTs: string): Promise<string | undefined> {
    return isSlackChannelId(channelId)
      ? findConversation(deps.temporal, app.id, 'SlackThread', threadRef(channelId, threadTs))
      : Promise.resolve(undefined);
  }

  async function agentOf(app: SlackApp, userId: string): Promise<AgentInfo> {
    try {
      return agentFromSlackUser((await (await clientFor(app)).users.info({ user: userId })).user, userId);
    } catch (err) {
      deps.log.warn({ app: app.id, code: slackErrorCode(err) }, 'slack users.info failed; replying under the user id');
      return { name: userId };
    }
  }

  /**
   * May this member act for the app (`slack.agents`)? `unknown` when a user group Slack would not list left it open:
   * the caller refuses, and says why.
   */
  async function agentStatus(
    app: SlackApp,
    userId: string,
    agents: readonly string[] | undefined,
  ): Promise<'agent' | 'not_agent' | 'unknown'> {
    try {
      const yes = await directory.isAgent({ client: await clientFor(app), workspace: app.id, agents, userId });
      return yes ? 'agent' : 'not_agent';
    } catch (err) {
      deps.log.warn({ app: app.id, code: slackErrorCode(err), err: String(err) }, 'slack agent check failed');
      return 'unknown';
    }
  }

  /** What a member who may not act is told, or undefined for an agent. */
  async function refusal(app: SlackApp, userId: string): Promise<string | undefined> {
    const status = await agentStatus(app, userId, allAgents(app));
    if (status === 'agent') return undefined;
    deps.log.info({ app: app.id, user: userId, status }, 'slack: refused a member who is not an agent');
    return status === 'unknown' ? AGENT_CHECK_FAILED_TEXT : notAgentText(app.name ?? app.id);
  }

  /**
   * Every agent of the app: `slack.agents` and each route's. Undefined (everyone) when `agents` is unset: routes
   * then only narrow who may claim on them.
   */
  function allAgents(app: SlackApp): readonly string[] | undefined {
    if (!app.slack.agents) return undefined;
    return [...new Set([...app.slack.agents, ...(app.slack.routes ?? []).flatMap((r) => r.agents ?? [])])];
  }

  // ── App Home ────────────────────────────────────────────────────────────────────────────────────────────

  /** Summaries of these conversations; one that does not answer (gone, Temporal busy) is left out, and logged. */
  async function summaries(app: SlackApp, workflowIds: readonly string[]): Promise<ConversationSummary[]> {
    const answers = await Promise.allSettled(
      workflowIds.map((id) => deps.temporal.workflow.getHandle(id).query(conversationSummaryQuery)),
    );
    return answers.flatMap((answer, i) => {
      if (answer.status === 'fulfilled') return [answer.value];
      deps.log.warn({ app: app.id, workflowId: workflowIds[i], err: String(answer.reason) }, 'slack home: no summary');
      return [];
    });
  }

  /**
   * The Home of `userId`: their claimed conversations and the unclaimed ones of their routes, found by Temporal's
   * visibility (at most HOME_LIST_MAX of each) plus `also` (conversations just changed, which visibility may not show
   * yet), each placed by what its summary says now, not by the listing.
   */
  async function homeOf(app: SlackApp, userId: string, also: readonly string[]): Promise<HomeView> {
    const refused = await refusal(app, userId);
    if (refused) return notAgentHomeView(app.name ?? app.id, refused);
    const [mine, nobodys] = await Promise.all([
      assignedConversations(deps.temporal, app.id, userId, HOME_LIST_MAX),
      assignedConversations(deps.temporal, app.id, null, HOME_LIST_MAX),
    ]);
    const found = await summaries(app, [...new Set([...mine, ...nobodys, ...also])]);
    const active = found.filter((c) => c.status === 'active' && c.assignment?.status !== 'resolved');
    const claimed = active.filter((c) => c.assignment?.assignee?.id === userId);
    // Only conversations Slack has seen (a route decided) are anyone's to claim; each route's agents decide.
    const open = active.filter((c) => !c.assignment?.assignee && c.route !== undefined);
    const onRoute = new Map<string, boolean>();
    const unclaimed: ConversationSummary[] = [];
    for (const conversation of open) {
      const route = routeNamed(
        { dispatchChannel: '', agents: app.slack.agents, routes: app.slack.routes },
        conversation.route,
      );
      let yes = onRoute.get(route.name);
      if (yes === undefined) {
        yes = (await agentStatus(app, userId, route.agents)) === 'agent';
        onRoute.set(route.name, yes);
      }
      if (yes) unclaimed.push(conversation);
    }
    return agentHomeView({
      appName: app.name ?? app.id,
      claimed: claimed.slice(0, HOME_LIST_MAX),
      unclaimed: unclaimed.slice(0, HOME_LIST_MAX),
      now: Date.now(),
    });
  }

  /** Publishes the Home of each of `userIds`; best effort: a failure is logged, never the caller's. */
  async function publishHomes(app: SlackApp, userIds: readonly string[], also: readonly string[] = []): Promise<void> {
    for (const userId of new Set(userIds)) {
      try {
        const view = await homeOf(app, userId, also);
        await (await clientFor(app)).views.publish({ user_id: userId, view });
      } catch (err) {
        deps.log.warn(
          { app: app.id, user: userId, code: slackErrorCode(err), err: String(err) },
          'slack home not published',
        );
      }
    }
  }

  /**
   * Claim, assign, unassign or resolve the conversation of `channelId`, for `userId` (the command's or click's
   * author); `assigneeId` for an assign. Only the agents of the conversation's route may claim, be assigned or resolve.
   * What the member is told comes back.
   */
  async function changeAssignment(
    app: SlackApp,
    workflowId: string,
    action: 'claim' | 'assign' | 'unassign' | 'resolve',
    userId: string,
    assigneeId?: string,
  ): Promise<string> {
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const state = await handle.query(conversationQuery);
    const previous = state.assignment?.assignee?.source === 'slack' ? state.assignment.assignee.id : undefined;
    const route = routeNamed(
      { dispatchChannel: '', agents: app.slack.agents, routes: app.slack.routes },
      state.refs.slackRoute,
    );
    for (const who of new Set([userId, ...(assigneeId ? [assigneeId] : [])])) {
      const status = await agentStatus(app, who, route.agents);
      if (status === 'unknown') return AGENT_CHECK_FAILED_TEXT;
      if (status === 'not_agent') {
        deps.log.info(
          { app: app.id, user: who, route: route.name, action },
          'slack: refused, not an agent of the route',
        );
        return notOnRouteText(route.name);
      }
    }
    const by = await agentOf(app, userId);
    const byRef = { id: userId, name: by.name };
    const assignee =
      action === 'claim'
        ? { id: userId, name: by.name, source: 'slack' }
        : assigneeId
          ? { id: assigneeId, name: (await agentOf(app, assigneeId)).name, source: 'slack' }
          : undefined;
    await handle.signal(assignSignal, {
      action,
      ...(assignee ? { assignee } : {}),
      by: byRef,
      source: 'slack:command',
    });
    // The Homes of those it concerns, after the answer's work (a query sees the signal; visibility may lag behind).
    const involved = [userId, ...(assigneeId ? [assigneeId] : []), ...(previous ? [previous] : [])];
    void publishHomes(app, involved, [workflowId]);
    switch (action) {
      case 'claim':
        return CLAIMED_CONFIRMATION;
      case 'assign':
        return assignedConfirmation(assignee?.name ?? '');
      case 'unassign':
        return ':wave: Unassigned.';
      case 'resolve':
        return RESOLVED_CONFIRMATION;
    }
  }

  /** Claim and Resolve on a dispatch notice: for the agents of the conversation's route. */
  async function clicked(
    app: SlackApp,
    action: 'claim' | 'resolve',
    channelId: string,
    userId: string,
    responseUrl?: string,
    threadTs?: string,
  ): Promise<void> {
    const refused = await refusal(app, userId);
    if (refused) return tellClicker(app, responseUrl, refused);
    const workflowId = threadTs
      ? await conversationOfThread(app, channelId, threadTs)
      : await conversationFor(app, channelId);
    if (!workflowId) return tellClicker(app, responseUrl, noPowerText(action === 'claim' ? 'Claim' : 'Resolve'));
    await tellClicker(app, responseUrl, await changeAssignment(app, workflowId, action, userId));
  }

  /** An ephemeral answer to a button click, through its `response_url` (the message clicked stays as it is). */
  async function tellClicker(app: SlackApp, responseUrl: string | undefined, text: string): Promise<void> {
    if (!responseUrl) return;
    try {
      const res = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) deps.log.warn({ app: app.id, status: res.status }, 'slack response_url refused the answer');
    } catch (err) {
      deps.log.warn({ app: app.id, err: String(err) }, 'slack response_url unreachable');
    }
  }

  /** The Join button: whoever clicked is invited; one already in the channel is fine, other refusals are logged. */
  async function invite(app: SlackApp, channel: string, users: string): Promise<void> {
    try {
      await (await clientFor(app)).conversations.invite({ channel, users });
    } catch (err) {
      if (slackErrorCode(err) !== 'already_in_channel')
        deps.log.warn({ app: app.id, code: slackErrorCode(err) }, 'slack join failed');
    }
  }

  /** `/sk <reply>`: signed with the agent's Slack identity, signalled, confirmed in the channel. */
  async function relayReply(app: SlackApp, handle: WorkflowHandle, cmd: SlashCommand, text: string) {
    const at = new Date().toISOString();
    const bounded = boundInboundReply(
      deps,
      'slack',
      app.id,
      { id: `slack:${cmd.trigger_id}`, source: 'slack', agent: await agentOf(app, cmd.user_id), text, at },
      "the team's Slack channel",
    );
    const { reply } = bounded;
    await handle.signal(agentReplySignal, reply);
    deps.metrics?.relayed.inc({ integration: 'slack', direction: 'in' });
    const state = await handle.query(conversationQuery);
    const confirmation = sentConfirmation(state.profile, state.userId, reply.agent.name, reply.text);
    return inChannel(
      bounded.cut ? confirmation + replyCutNotice(bounded.bytes, BUDGETS.agentReplyBytes) : confirmation,
    );
  }

  /** The message's author when a person wrote it (`users.info`), else undefined: the shortcut's user signs it. */
  async function humanAuthor(app: SlackApp, authorId: string | undefined): Promise<AgentInfo | undefined> {
    if (!authorId) return undefined;
    try {
      const { user } = await (await clientFor(app)).users.info({ user: authorId });
      return user && !user.is_bot && !user.deleted ? agentFromSlackUser(user, authorId) : undefined;
    } catch (err) {
      deps.log.warn({ app: app.id, code: slackErrorCode(err) }, 'slack users.info failed; the shortcut user signs');
      return undefined;
    }
  }

  /**
   * "Send to user" on a message of a user's channel: the message (a draft, a colleague's answer) becomes a reply,
   * signed by its author when a person wrote it, else by whoever used the shortcut; confirmed in the channel. Its id
   * is the message's, so the same message sent twice reaches the user once.
   */
  async function sendToUser(
    app: SlackApp,
    channelId: string,
    userId: string,
    message: ShortcutMessage,
    responseUrl: string | undefined,
  ): Promise<void> {
    const refused = await refusal(app, userId);
    if (refused) return tellClicker(app, responseUrl, refused);
    // A message in a thread (threads mode) names its conversation by the thread; else by the user's channel.
    const workflowId =
      (message.threadTs ? await conversationOfThread(app, channelId, message.threadTs) : undefined) ??
      (await conversationFor(app, channelId));
    if (!workflowId) return tellClicker(app, responseUrl, noPowerText('Send to user'));
    if (message.fromBot) return tellClicker(app, responseUrl, BOT_POST_TEXT);
    // A message of files alone is fine: the reply is its files.
    const hasFiles = message.files.length > 0;
    if (message.text === '' && !hasFiles) return tellClicker(app, responseUrl, EMPTY_MESSAGE_TEXT);
    // A threads-mode draft is a note (`;; …`): what goes to the user is the text after the prefix.
    const prefix = app.slack.notePrefix;
    const replyText = message.text.startsWith(prefix) ? message.text.slice(prefix.length).trim() : message.text;
    if (replyText === '' && !hasFiles) return tellClicker(app, responseUrl, EMPTY_MESSAGE_TEXT);
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const id = `slack:shortcut:${channelId}:${message.ts}`;
    const before = await handle.query(conversationQuery);
    if (before.messages.some((m) => m.id === id)) return tellClicker(app, responseUrl, ALREADY_SENT_TEXT);
    const agent = (await humanAuthor(app, message.authorId)) ?? (await agentOf(app, userId));
    const withFiles = await withAgentFiles(app, workflowId, message.files, {
      id,
      source: 'slack',
      agent,
      text: replyText,
      at: new Date().toISOString(),
    });
    const bounded = boundInboundReply(deps, 'slack', app.id, withFiles.reply, "the team's Slack channel");
    await handle.signal(agentReplySignal, bounded.reply);
    deps.metrics?.relayed.inc({ integration: 'slack', direction: 'in' });
    let text = sentConfirmation(before.profile, before.userId, agent.name, bounded.reply.text);
    if (bounded.cut) text += replyCutNotice(bounded.bytes, BUDGETS.agentReplyBytes);
    if (withFiles.notRelayed.length > 0) text += filesNotSentNotice(withFiles.notRelayed);
    await tellChannel(app, responseUrl, text);
  }

  /**
   * The reply with the message's files, fetched with the app's current bot token and stored as the user's; what is
   * not (over `storage.maxFileBytes`, a type not accepted, not fetched) is named in its text and in `notRelayed`.
   * A failure here never costs the reply its text.
   */
  async function withAgentFiles(
    app: SlackApp,
    workflowId: string,
    refs: readonly SlackFileRef[],
    reply: AgentReply,
  ): Promise<{ reply: AgentReply; notRelayed: string[] }> {
    if (refs.length === 0) return { reply, notRelayed: [] };
    const named = (notRelayed: string[]) => ({ reply: replyWithFiles(reply, [], notRelayed), notRelayed });
    const store = deps.files;
    if (!store) return named(refs.map((r) => r.name));
    try {
      const { files, notFetched } = await fetchSlackFiles(refs, {
        token: (await deps.credentials.get(app)).token,
        apiUrl: app.slack.apiUrl,
        maxBytes: deps.config.storage.maxFileBytes,
        signal: AbortSignal.timeout(AGENT_FILES_BUDGET_MS),
      });
      if (notFetched.length > 0) deps.log.warn({ app: app.id, notFetched }, 'Slack files not relayed');
      const kept = await keepIncomingFiles(
        store,
        deps.config.storage,
        { appId: app.id, userId: userIdOfConversation(workflowId, app.id) },
        files,
      );
      const notRelayed = [...notFetched.map((f) => f.name), ...kept.refused];
      return { reply: replyWithFiles(reply, kept.attachments, notRelayed), notRelayed };
    } catch (err) {
      deps.log.warn({ app: app.id, err: String(err) }, "could not keep the Slack message's files; relaying its text");
      return named(refs.map((r) => r.name));
    }
  }

  /** A visible answer in the channel, through `response_url` (`in_channel`): the shortcut's confirmation. */
  async function tellChannel(app: SlackApp, responseUrl: string | undefined, text: string): Promise<void> {
    if (!responseUrl) return;
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'in_channel', replace_original: false, text }),
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) deps.log.warn({ app: app.id, status: res.status }, 'slack response_url refused the confirmation');
  }

  /** What `/sk` answers in a channel, once its app is known: nothing at all is done for a member who is not an agent. */
  async function answerCommand(app: SlackApp, cmd: SlashCommand): Promise<CommandAnswer> {
    const refused = await refusal(app, cmd.user_id);
    if (refused) return ephemeral(refused);
    const workflowId = await conversationFor(app, cmd.channel_id);
    if (!workflowId) return ephemeral(noPowerText(cmd.command));
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const intent = parseCommandText(cmd.text);
    switch (intent.kind) {
      case 'usage':
        return ephemeral(usageText(cmd.command));
      case 'profile': {
        const state = await handle.query(conversationQuery);
        return ephemeral(profileText(state.profile, state.userId));
      }
      case 'archive':
        await handle.signal(archiveSignal, { source: 'slack:command' });
        return inChannel(ARCHIVED_CONFIRMATION);
      case 'bot': {
        const agent = await agentOf(app, cmd.user_id);
        await handle.signal(handoffSignal, { to: 'bot', source: 'slack', by: agent.name });
        return ephemeral(HANDED_BACK_CONFIRMATION);
      }
      case 'claim':
      case 'resolve':
      case 'unassign':
        return ephemeral(await changeAssignment(app, workflowId, intent.kind, cmd.user_id));
      case 'assign':
        return ephemeral(await changeAssignment(app, workflowId, 'assign', cmd.user_id, intent.userId));
      case 'assign_usage':
        return ephemeral(`Usage: \`${cmd.command} !assign @name\` (mention the agent).`);
      case 'reply':
        return relayReply(app, handle, cmd, slackMessageText(intent.text));
    }
  }

  /** Tells the workspace's installation what Slack said; an event about another bot's tokens changes nothing. */
  async function signalInstallation(candidates: SlackApp[], event: InstallationEvent): Promise<void> {
    for (const key of [event.teamId, event.enterpriseId]) {
      if (!key) continue;
      const installation = await deps.credentials.byKey(key);
      if (!installation?.appId || !candidates.some((a) => a.id === installation.appId)) continue;
      if (
        event.kind === 'tokens_revoked' &&
        installation.botUserId &&
        !event.botUserIds.includes(installation.botUserId)
      )
        return;
      await deps.temporal.workflow
        .getHandle(installationWorkflowId(key))
        .signal(slackInstallationEventSignal, { kind: event.kind, at: new Date().toISOString() });
      deps.credentials.invalidate(installation.appId, key);
      deps.log.warn({ app: installation.appId, team: key, event: event.kind }, 'slack installation needs a reinstall');
      return;
    }
  }

  /** Hand back to bot (the button on a handoff notice): for agents only, like `/sk !bot`. */
  async function handBack(
    app: SlackApp,
    channelId: string,
    userId: string,
    responseUrl?: string,
    threadTs?: string,
  ): Promise<void> {
    const refused = await refusal(app, userId);
    if (refused) return tellClicker(app, responseUrl, refused);
    const workflowId = threadTs
      ? await conversationOfThread(app, channelId, threadTs)
      : await conversationFor(app, channelId);
    if (!workflowId) return tellClicker(app, responseUrl, noPowerText('Hand back to bot'));
    const agent = await agentOf(app, userId);
    await deps.temporal.workflow
      .getHandle(workflowId)
      .signal(handoffSignal, { to: 'bot', source: 'slack', by: agent.name });
    await tellClicker(app, responseUrl, HANDED_BACK_CONFIRMATION);
  }

  /**
   * Threads mode (`slack.mode: threads`): a person's reply in a conversation's thread is the agent's reply to the
   * user, unless it starts with the note prefix or its author is no agent (then it stays internal, logged); edits
   * and deletions of a relayed reply reach the app; ✅ on the parent by an agent of the route resolves. Signals are
   * deduped by Slack's ids (`slack:<channel>:<ts>`, the edit's ts), so Slack's retries change nothing twice.
   */
  async function threadEvent(app: SlackApp, decision: Exclude<ThreadEventDecision, { kind: 'ignored' }>) {
    if (decision.kind === 'reaction') {
      if (decision.reaction !== RESOLVE_REACTION) return;
      const workflowId = await conversationOfThread(app, decision.channelId, decision.ts);
      if (!workflowId) return;
      const refused = await refusal(app, decision.userId);
      const answer = refused ?? (await changeAssignment(app, workflowId, 'resolve', decision.userId));
      deps.log.info({ app: app.id, user: decision.userId, answer }, 'slack: ✅ on a thread');
      return;
    }
    const workflowId = await conversationOfThread(app, decision.channelId, decision.threadTs);
    if (!workflowId) return;
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const id = threadReplyId(decision.channelId, decision.ts);
    const at = new Date().toISOString();
    if (decision.kind === 'deleted') {
      await handle.signal(agentReplyDeletedSignal, { id, eventId: `${id}:deleted`, at });
      return;
    }
    const notePrefix = app.slack.notePrefix ?? ';;';
    if (decision.kind === 'edited') {
      // Only a reply Parley relayed changes anything (the workflow checks its id); a note stays a note.
      if (isInternalNote(decision.text, notePrefix)) return;
      const { reply } = boundInboundReply(
        deps,
        'slack',
        app.id,
        { id, source: 'slack', agent: { name: decision.userId ?? '' }, text: decision.text, at },
        "the team's Slack thread",
      );
      await handle.signal(agentReplyEditedSignal, {
        id,
        eventId: `${id}:edit:${decision.editTs}`,
        text: reply.text,
        at,
      });
      return;
    }
    if (isInternalNote(decision.text, notePrefix)) return;
    // A reply with files delivered again (acknowledged before it was relayed) keeps no second copy of them.
    if (decision.files.length > 0 && (await handle.query(conversationQuery)).messages.some((m) => m.id === id)) return;
    if (await refusal(app, decision.userId)) {
      deps.log.info({ app: app.id, user: decision.userId }, 'slack: a thread reply by a non-agent stays internal');
      return;
    }
    const withFiles = await withAgentFiles(app, workflowId, decision.files, {
      id,
      source: 'slack',
      agent: await agentOf(app, decision.userId),
      text: decision.text,
      at,
    });
    const { reply } = boundInboundReply(deps, 'slack', app.id, withFiles.reply, "the team's Slack thread");
    await handle.signal(agentReplySignal, reply);
    deps.metrics?.relayed.inc({ integration: 'slack', direction: 'in' });
  }

  /**
   * Slack never delivers a slash command again, so a 5xx would only show the agent "dispatch_failed": Temporal being
   * unreachable is said in words instead (the agent sends it again), and a conversation gone is "no power here".
   */
  async function answerCommandSafely(app: SlackApp, cmd: SlashCommand): Promise<CommandAnswer> {
    try {
      return await answerCommand(app, cmd);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return ephemeral(noPowerText(cmd.command));
      if (temporalFault(err) === 'unavailable') {
        deps.log.warn({ app: app.id, err: String(err) }, 'slash command: Temporal unavailable');
        return ephemeral(TEMPORAL_UNAVAILABLE_TEXT);
      }
      throw err;
    }
  }

  router.post('/commands', ...verified, async (_req, res) => {
    const { raw, match: candidates } = verifiedRequest<SlackApp[]>(res);
    const cmd = parseOr400(slashCommandSchema, Object.fromEntries(formOf(raw)));
    const app = await pick(candidates, cmd.team_id, formOf(raw).get('enterprise_id') ?? undefined);
    if (!app) {
      res.json(ephemeral(noPowerText(cmd.command)));
      return;
    }
    await answerInTime(res, answerCommandSafely(app, cmd), cmd.response_url, (err) =>
      deps.log.error({ err, app: app.id }, 'slash command failed after its acknowledgement'),
    );
  });

  router.post('/events', ...verified, async (_req, res) => {
    const { raw, match: candidates } = verifiedRequest<SlackApp[]>(res);
    const json = jsonOf(raw);
    // An uninstall or revoked tokens: the installation needs a reinstall (integrations/slack/oauth.ts).
    const lifecycle = installationEventOf(json);
    if (lifecycle) {
      await signalInstallation(candidates, lifecycle);
      res.status(200).end();
      return;
    }
    const envelope = parseOr400(eventEnvelopeSchema, json);
    const thread = decideThreadEvent(envelope);
    // Channels mode keeps what is typed in Slack internal, as it always did: only threads-mode apps look further.
    if (thread.kind !== 'ignored' && candidates.some((a) => a.slack.mode === 'threads')) {
      const enterprise = (json as { enterprise_id?: unknown }).enterprise_id;
      const app = await pick(candidates, thread.teamId, typeof enterprise === 'string' ? enterprise : undefined);
      if (app?.slack.mode === 'threads' && thread.kind === 'reply' && thread.files.length > 0) {
        // Files take longer than Slack's 3 seconds: acknowledged first (Slack does not deliver it again), then
        // fetched and relayed. Temporal unreachable meanwhile is waited out (about two minutes, retried with
        // backoff, as Slack would have redelivered); anything else is logged, the reply stays in the thread.
        res.status(200).end();
        void (async () => {
          for (let attempt = 0, waitMs = 1000; ; attempt++, waitMs = Math.min(waitMs * 2, 30_000)) {
            try {
              return await threadEvent(app, thread);
            } catch (err) {
              if (err instanceof WorkflowNotFoundError) return;
              if (temporalFault(err) !== 'unavailable' || attempt >= 7) throw err;
              deps.log.warn({ app: app.id, attempt }, 'slack thread reply with files: Temporal unavailable, retrying');
              await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
            }
          }
        })().catch((err: unknown) => deps.log.error({ err, app: app.id }, 'slack thread reply with files not relayed'));
        return;
      }
      if (app?.slack.mode === 'threads')
        await threadEvent(app, thread).catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
      res.status(200).end();
      return;
    }
    const decision = decideEvent(envelope);
    if (decision.kind === 'challenge') {
      res.json({ challenge: decision.challenge });
      return;
    }
    if (decision.kind === 'home') {
      // Slack only needs the 200; the Home is published after it, whatever the listing takes.
      res.status(200).end();
      const enterprise = (json as { enterprise_id?: unknown }).enterprise_id;
      const { teamId, userId } = decision;
      void pick(candidates, teamId, typeof enterprise === 'string' ? enterprise : undefined)
        .then((app) => (app ? publishHomes(app, [userId]) : undefined))
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'slack home: no app for the event'));
      return;
    }
    if (decision.kind === 'archive') {
      const enterprise = (json as { enterprise_id?: unknown }).enterprise_id;
      const app = await pick(candidates, decision.teamId, typeof enterprise === 'string' ? enterprise : undefined);
      // With `agents` set, an archive by anyone else (or by nobody Slack names) leaves the conversation open: the
      // user's next message goes on in a fresh channel, as after any archive Parley did not hear of.
      const allowed = app && (!app.slack.agents || (decision.userId && !(await refusal(app, decision.userId))));
      const workflowId = app && allowed ? await conversationFor(app, decision.channelId) : undefined;
      // Temporal unreachable goes on to the error handler: a 503, and Slack delivers the event again.
      if (workflowId)
        await deps.temporal.workflow
          .getHandle(workflowId)
          .signal(archiveSignal, { source: 'slack' })
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
    }
    res.status(200).end();
  });

  router.post('/interactions', ...verified, async (_req, res) => {
    const { raw, match: candidates } = verifiedRequest<SlackApp[]>(res);
    const json = interactionJson(formOf(raw));
    if (json === undefined) throw new HttpError(400, 'invalid_payload', 'the payload field is not valid JSON');
    const decision = decideInteraction(parseOr400(interactionSchema, json));
    if (decision.kind === 'invite') {
      const app = await pick(candidates, decision.teamId);
      const refused = app ? await refusal(app, decision.userId) : undefined;
      if (app && refused) await tellClicker(app, decision.responseUrl, refused);
      else if (app) await invite(app, decision.channelId, decision.userId);
    }
    if (decision.kind === 'claim' || decision.kind === 'resolve') {
      const app = await pick(candidates, decision.teamId);
      if (app)
        await clicked(app, decision.kind, decision.channelId, decision.userId, decision.responseUrl, decision.threadTs);
    }
    if (decision.kind === 'handback') {
      const app = await pick(candidates, decision.teamId);
      if (app) await handBack(app, decision.channelId, decision.userId, decision.responseUrl, decision.threadTs);
    }
    if (decision.kind === 'send_to_user') {
      // Answered at once: the reply and its confirmation go through response_url (a failure is said there too).
      res.status(200).end();
      const { teamId, channelId, userId, message, responseUrl } = decision;
      void (async () => {
        const app = await pick(candidates, teamId);
        if (!app) return;
        try {
          await sendToUser(app, channelId, userId, message, responseUrl);
        } catch (err) {
          deps.log.error({ err, app: app.id }, 'slack shortcut failed');
          const text =
            err instanceof WorkflowNotFoundError
              ? noPowerText('Send to user')
              : temporalFault(err) === 'unavailable'
                ? TEMPORAL_UNAVAILABLE_TEXT
                : SHORTCUT_FAILED_TEXT;
          await tellClicker(app, responseUrl, text);
        }
      })().catch((err: unknown) => deps.log.error({ err: String(err) }, 'slack shortcut: no answer'));
      return;
    }
    res.status(200).end();
  });

  return router;
}
