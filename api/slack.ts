/**
 * Requests from Slack: slash commands, events and interactions. Each is verified on its raw body first (401),
 * parsed with zod (400), routed to its app (by signing secret, then workspace), then turned into a signal.
 */
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { AppConfig, ParleyConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { findConversation } from '../common/lookup';
import type { Metrics } from '../common/metrics';
import type { VerifyRefusal } from '../common/signature';
import { createSlackClient } from '../integrations/slack/client';
import { slackErrorCode } from '../integrations/slack/errors';
import { profileText, userLabel } from '../integrations/slack/format';
import { gravatarUrl } from '../common/text';
import { verifySlackSignature } from '../integrations/slack/verify';
import { agentReplySignal, archiveSignal, conversationQuery } from '../workflows/definitions';
import { type AgentInfo } from '../common/conversation';
import { HttpError, parseOr400 } from './errors';
import { formOf, jsonOf, verifiedBody, verifiedRequest } from './inbound';

type SlackApp = AppConfig & { slack: NonNullable<AppConfig['slack']> };

const commandSchema = z.object({
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  command: z.string().min(1),
  text: z.string().default(''),
  response_url: z.url().optional(),
  trigger_id: z.string().min(1),
  api_app_id: z.string().optional(),
});

const eventSchema = z.union([
  z.object({ type: z.literal('url_verification'), challenge: z.string() }),
  z.object({
    type: z.literal('event_callback'),
    team_id: z.string(),
    api_app_id: z.string().optional(),
    event_id: z.string(),
    event: z.looseObject({
      type: z.string(),
      channel: z.union([z.string(), z.looseObject({ id: z.string() })]).optional(),
      user: z.string().optional(),
    }),
  }),
]);

const interactionSchema = z.looseObject({
  type: z.string(),
  team: z.object({ id: z.string() }).optional(),
  user: z.object({ id: z.string() }),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).optional(),
  response_url: z.string().optional(),
});

/** Slack wants an answer within 3 seconds; slower work answers "on it" and finishes through response_url. */
const ACK_BUDGET_MS = 2500;

export interface SlackRouterDeps {
  config: ParleyConfig;
  temporal: Client;
  log: Logger;
  metrics?: Metrics;
}

export function createSlackRouter(deps: SlackRouterDeps): Router {
  const router = Router();
  const apps = deps.config.apps.filter((a): a is SlackApp => a.slack !== undefined);
  const teamIds = new Map<string, Promise<string | undefined>>();

  function teamOf(app: SlackApp): Promise<string | undefined> {
    let team = teamIds.get(app.id);
    if (!team) {
      team = createSlackClient(app.slack)
        .auth.test()
        .then((r) => r.team_id)
        .catch((err: unknown) => {
          teamIds.delete(app.id);
          deps.log.warn({ app: app.id, err: (err as Error).message }, 'slack auth.test failed');
          return undefined;
        });
      teamIds.set(app.id, team);
    }
    return team;
  }

  /** The apps whose signing secret signed this body (several apps may share one Slack app); 401 when none did. */
  const verified = verifiedBody<SlackApp[]>({
    limit: '1mb',
    code: 'slack_signature_invalid',
    header: 'X-Slack-Signature',
    verify: (body, req) => {
      const request = {
        body,
        signature: req.get('x-slack-signature'),
        timestamp: req.get('x-slack-request-timestamp'),
      };
      let refusal: VerifyRefusal = 'missing';
      const matches = apps.filter((app) => {
        const result = verifySlackSignature({ ...request, secret: app.slack.signingSecret });
        if (!result.ok) refusal = result.reason;
        return result.ok;
      });
      return matches.length > 0 ? { ok: true, match: matches } : { ok: false, reason: refusal };
    },
  });

  /** Among the apps sharing a signing secret, the one installed in this workspace. */
  async function pick(candidates: SlackApp[], teamId: string): Promise<SlackApp | undefined> {
    if (candidates.length === 1) {
      const only = candidates[0] as SlackApp;
      const team = await teamOf(only);
      return team === undefined || team === teamId ? only : undefined;
    }
    for (const app of candidates) if ((await teamOf(app)) === teamId) return app;
    return undefined;
  }

  function conversationFor(app: SlackApp, channelId: string): Promise<string | undefined> {
    return /^[A-Z0-9]+$/.test(channelId)
      ? findConversation(deps.temporal, app.id, 'SlackChannel', channelId)
      : Promise.resolve(undefined);
  }

  async function agentOf(app: SlackApp, userId: string): Promise<AgentInfo> {
    try {
      const res = await createSlackClient(app.slack).users.info({ user: userId });
      const profile = res.user?.profile;
      const name = profile?.real_name || profile?.display_name || res.user?.real_name || res.user?.name || userId;
      const email = profile?.email;
      const avatarUrl = email ? gravatarUrl(email) : profile?.image_192;
      return { name, ...(email ? { email } : {}), ...(avatarUrl ? { avatarUrl } : {}) };
    } catch (err) {
      deps.log.warn({ app: app.id, code: slackErrorCode(err) }, 'slack users.info failed; replying under the user id');
      return { name: userId };
    }
  }

  router.post('/commands', ...verified, async (_req, res) => {
    const { raw, match: candidates } = verifiedRequest<SlackApp[]>(res);
    const form = Object.fromEntries(formOf(raw));
    const cmd = parseOr400(commandSchema, form);
    const app = await pick(candidates, cmd.team_id);
    const notLinked = {
      response_type: 'ephemeral',
      text: `${cmd.command} has no power here: this channel is not linked to a user. Use it in a user's \`sk-\` channel.`,
    };
    if (!app) {
      res.json(notLinked);
      return;
    }
    const work = (async (): Promise<Record<string, unknown>> => {
      const workflowId = await conversationFor(app, cmd.channel_id);
      if (!workflowId) return notLinked;
      const handle = deps.temporal.workflow.getHandle(workflowId);
      const text = cmd.text.trim();
      if (text === '')
        return {
          response_type: 'ephemeral',
          text: `Usage: \`${cmd.command} your reply\`, \`${cmd.command} !profile\`, \`${cmd.command} !archive\``,
        };
      if (text === '!profile') {
        const state = await handle.query(conversationQuery);
        return { response_type: 'ephemeral', text: profileText(state.profile, state.userId) };
      }
      if (text === '!archive') {
        await handle.signal(archiveSignal, { source: 'slack:command' });
        return {
          response_type: 'in_channel',
          text: ':file_cabinet: Conversation archived. The next message from the user reopens it.',
        };
      }
      const agent = await agentOf(app, cmd.user_id);
      await handle.signal(agentReplySignal, {
        id: `slack:${cmd.trigger_id}`,
        source: 'slack',
        agent,
        text,
        at: new Date().toISOString(),
      });
      deps.metrics?.relayed.inc({ integration: 'slack', direction: 'in' });
      const state = await handle.query(conversationQuery);
      return {
        response_type: 'in_channel',
        text: `:white_check_mark: Sent to ${userLabel(state.profile, state.userId)} by ${agent.name}:\n>${text.replace(/\n/g, '\n>')}`,
      };
    })();
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ACK_BUDGET_MS).unref());
    const answer = await Promise.race([work, timeout]);
    if (answer) {
      res.json(answer);
      return;
    }
    res.json({ response_type: 'ephemeral', text: 'On it…' });
    work.then(
      async (late) => {
        if (cmd.response_url)
          await fetch(cmd.response_url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(late),
          });
      },
      (err: unknown) => deps.log.error({ err, app: app.id }, 'slash command failed after its acknowledgement'),
    );
  });

  router.post('/events', ...verified, async (_req, res) => {
    const { raw, match: candidates } = verifiedRequest<SlackApp[]>(res);
    const body = parseOr400(eventSchema, jsonOf(raw));
    if (body.type === 'url_verification') {
      res.json({ challenge: body.challenge });
      return;
    }
    const app = await pick(candidates, body.team_id);
    if (app && body.event.type === 'channel_archive' && typeof body.event.channel === 'string') {
      // Idempotent: Slack's retries (X-Slack-Retry-Num) find the conversation archived already.
      const workflowId = await conversationFor(app, body.event.channel);
      if (workflowId) await deps.temporal.workflow.getHandle(workflowId).signal(archiveSignal, { source: 'slack' });
    }
    // Everything else (messages typed in the channel, Parley's own posts) stays internal.
    res.status(200).end();
  });

  router.post('/interactions', ...verified, async (_req, res) => {
    const { raw, match: candidates } = verifiedRequest<SlackApp[]>(res);
    const form = formOf(raw);
    let json: unknown;
    try {
      json = JSON.parse(form.get('payload') ?? '');
    } catch {
      throw new HttpError(400, 'invalid_payload', 'the payload field is not valid JSON');
    }
    const payload = parseOr400(interactionSchema, json);
    const app = payload.team ? await pick(candidates, payload.team.id) : undefined;
    const join = payload.actions?.find((a) => a.action_id === 'parley_join');
    if (app && payload.type === 'block_actions' && join?.value) {
      try {
        await createSlackClient(app.slack).conversations.invite({ channel: join.value, users: payload.user.id });
      } catch (err) {
        if (slackErrorCode(err) !== 'already_in_channel')
          deps.log.warn({ app: app.id, code: slackErrorCode(err) }, 'slack join failed');
      }
    }
    res.status(200).end();
  });

  return router;
}
