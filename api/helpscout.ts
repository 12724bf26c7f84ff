/**
 * Help Scout's webhook, as glue: the signature (`X-HelpScout-Signature`, base64 HMAC-SHA1 of the raw body with the
 * secret Parley derives per app) first, then integrations/helpscout/inbound.ts parses and decides, then the
 * conversation is found by its Help Scout id and signalled. What a payload means is decided there, not here.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router, type Response } from 'express';
import { ZodError } from 'zod';
import type { AppConfig, ParleyConfig } from '../common/config';
import { IntegrationError } from '../common/errors';
import { findConversation } from '../common/lookup';
import type { Logger } from '../common/logger';
import type { Metrics } from '../common/metrics';
import type { HelpScoutCache } from '../integrations/helpscout/cache';
import { userIdOfConversation } from '../common/ids';
import { keepIncomingFiles, replyWithFiles } from '../integrations/files/intake';
import type { FileStore } from '../integrations/files/store';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import { helpScoutReplyFiles } from '../integrations/helpscout/files';
import {
  decideHelpScoutReply,
  HELPSCOUT_EVENT_HEADER,
  parseHelpScoutThreads,
  parseHelpScoutWebhook,
  type HelpScoutDecision,
  type HelpScoutThread,
  type HelpScoutWebhookBody,
} from '../integrations/helpscout/inbound';
import {
  HELPSCOUT_SIGNATURE_HEADER,
  helpScoutWebhookSecret,
  verifyHelpScoutSignature,
} from '../integrations/helpscout/verify';
import { agentReplySignal } from '../workflows/definitions';
import { HttpError, zodMessage } from './errors';
import { boundInboundReply, jsonOf, verifiedBody, verifiedRequest } from './inbound';

type HelpScoutApp = AppConfig & { helpscout: NonNullable<AppConfig['helpscout']> };

/**
 * How long the webhook spends fetching an agent's files before it relays the reply without the rest (the next file
 * is not started after it): Help Scout wants its answer within seconds.
 */
export const AGENT_FILES_BUDGET_MS = 7_000;

export function createHelpScoutRouter(deps: {
  config: ParleyConfig;
  temporal: Client;
  log: Logger;
  metrics?: Metrics;
  /** The API process's Help Scout tokens, for fetching threads a webhook did not embed. */
  cache: HelpScoutCache;
  /** Where agents' files are kept; without it a reply is relayed without its files. */
  files?: FileStore;
}): Router {
  const router = Router();
  const apps = new Map(
    deps.config.apps.filter((a): a is HelpScoutApp => a.helpscout !== undefined).map((a) => [a.id, a] as const),
  );
  // An app without Help Scout is checked against a secret nobody holds, so it fails exactly as a wrong signature
  // for a real app does (the same 401, after the same HMACs): the endpoint does not say which apps use Help Scout.
  const nobodysSecret = randomBytes(30).toString('base64url');
  const verified = verifiedBody<HelpScoutApp>({
    limit: '2mb',
    code: 'helpscout_signature_invalid',
    header: 'X-HelpScout-Signature',
    verify: (raw, req) => {
      const appId = String(req.params.appId);
      const app = apps.get(appId);
      const secret = helpScoutWebhookSecret(appId, app ? app.helpscout.clientSecret : nobodysSecret);
      const result = verifyHelpScoutSignature({ secret, body: raw, signature: req.get(HELPSCOUT_SIGNATURE_HEADER) });
      if (!result.ok) return result;
      return app ? { ok: true, match: app } : { ok: false, reason: 'mismatch' };
    },
  });

  /** The conversation's threads, for a payload that carries none. */
  async function fetchThreads(app: HelpScoutApp, conversationId: number): Promise<HelpScoutThread[]> {
    try {
      const client = createHelpScoutClient(app.helpscout, { cache: deps.cache });
      return parseHelpScoutThreads((await client.request('GET', `conversations/${conversationId}/threads`)).body);
    } catch (err) {
      // Help Scout said no for good (no such conversation, credentials refused): a redelivery would fare the same, so a
      // 4xx; an answer that does not parse is the same.
      if ((err instanceof IntegrationError && !err.retryable) || err instanceof ZodError)
        throw new HttpError(
          422,
          'helpscout_threads_unavailable',
          `could not read the threads: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      // Unreachable or rate-limited: a 503 so Help Scout delivers the webhook again.
      throw new HttpError(503, 'helpscout_unavailable', `could not fetch the threads: ${(err as Error).message}`, {
        cause: err,
        retryAfterSeconds: 30,
      });
    }
  }

  /** The decision, fetching the conversation's threads first when the payload carries none. */
  async function decide(app: HelpScoutApp, body: HelpScoutWebhookBody, event: string): Promise<HelpScoutDecision> {
    const first = decideHelpScoutReply(body, event);
    if (first.kind !== 'needs_threads') return first;
    const threads = await fetchThreads(app, body.id);
    return decideHelpScoutReply({ ...body, _embedded: { threads } }, event);
  }

  /**
   * The reply with its thread's files, stored as the user's: those Parley cannot keep (over `storage.maxFileBytes`, a
   * type not accepted, not fetched in time) are named in its text. A failure here never costs the reply its text.
   */
  async function withAgentFiles(
    app: HelpScoutApp,
    workflowId: string,
    decision: Extract<HelpScoutDecision, { kind: 'reply' }>,
  ) {
    const store = deps.files;
    if (!store || decision.attachments.length === 0) return decision.reply;
    try {
      const client = createHelpScoutClient(app.helpscout, { cache: deps.cache });
      const { files, notFetched } = await helpScoutReplyFiles(client, decision.conversationId, decision.attachments, {
        maxBytes: deps.config.storage.maxFileBytes,
        deadline: Date.now() + AGENT_FILES_BUDGET_MS,
      });
      const kept = await keepIncomingFiles(
        store,
        deps.config.storage,
        { appId: app.id, userId: userIdOfConversation(workflowId, app.id) },
        files,
      );
      if (notFetched.length > 0)
        deps.log.warn(
          { app: app.id, helpscoutConversation: decision.conversationId, notFetched },
          'Help Scout files not relayed',
        );
      return replyWithFiles(decision.reply, kept.attachments, [...notFetched.map((f) => f.name), ...kept.refused]);
    } catch (err) {
      deps.log.warn(
        { app: app.id, helpscoutConversation: decision.conversationId, err: (err as Error).message },
        "could not read the Help Scout reply's files; relaying the reply without them",
      );
      return decision.reply;
    }
  }

  async function relay(app: HelpScoutApp, decision: Extract<HelpScoutDecision, { kind: 'reply' }>, res: Response) {
    const workflowId = await findConversation(
      deps.temporal,
      app.id,
      'HelpScoutConversation',
      String(decision.conversationId),
    );
    if (!workflowId) {
      deps.log.warn(
        { app: app.id, helpscoutConversation: decision.conversationId },
        'Help Scout reply for a conversation Parley does not know',
      );
      res.status(200).json({ ignored: 'unknown conversation' });
      return;
    }
    const { reply } = boundInboundReply(
      deps,
      'helpscout',
      app.id,
      await withAgentFiles(app, workflowId, decision),
      `Help Scout conversation #${decision.conversationId}`,
    );
    try {
      await deps.temporal.workflow.getHandle(workflowId).signal(agentReplySignal, reply);
    } catch (err) {
      // Gone between the lookup and the signal: nothing to relay to, and nothing a redelivery would change. Temporal
      // unreachable goes on to the error handler: a 503, and Help Scout delivers the webhook again.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      res.status(200).json({ ignored: 'unknown conversation' });
      return;
    }
    deps.metrics?.relayed.inc({ integration: 'helpscout', direction: 'in' });
    res.status(200).json({ relayed: decision.threadId });
  }

  router.post('/webhook/:appId', ...verified, async (req, res) => {
    const { raw, match: app } = verifiedRequest<HelpScoutApp>(res);
    const parsed = parseHelpScoutWebhook(jsonOf(raw));
    if (!parsed.success) throw new HttpError(400, 'invalid_request', zodMessage(parsed.error));
    const decision = await decide(app, parsed.data, req.get(HELPSCOUT_EVENT_HEADER) ?? '');
    if (decision.kind === 'ignored') {
      res.status(200).json({ ignored: decision.event });
      return;
    }
    // `no_reply` (a second `needs_threads` cannot be: the fetched threads are passed in, if none then `[]`).
    if (decision.kind !== 'reply')
      throw new HttpError(400, 'helpscout_no_reply', 'the webhook carries no reply thread');
    await relay(app, decision, res);
  });
  return router;
}
