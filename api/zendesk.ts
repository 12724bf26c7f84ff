/**
 * Zendesk's webhook (`POST /zendesk/webhook`), glue only: the signature over timestamp + raw body is checked first
 * against the signing secret of each connected account, then integrations/zendesk/inbound.ts decides; repeats are
 * dropped by `x-zendesk-webhook-invocation-id` here and by comment id in the workflow.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import type { ParleyConfig } from '../common/config';
import type { Logger } from '../common/logger';
import type { Metrics } from '../common/metrics';
import type { VerifyRefusal } from '../common/signature';
import type { AgentReply } from '../common/conversation';
import { userIdOfConversation } from '../common/ids';
import { keepIncomingFiles, replyWithFiles } from '../integrations/files/intake';
import type { FileStore } from '../integrations/files/store';
import { createZendeskClient } from '../integrations/zendesk/client';
import { zendeskCommentFiles } from '../integrations/zendesk/files';
import {
  createInvocationLog,
  decideZendeskReply,
  zendeskAgentReply,
  zendeskAgentSchema,
  zendeskAgentSignature,
  zendeskWebhookSchema,
  type ZendeskApp,
  type ZendeskWebhook,
} from '../integrations/zendesk/inbound';
import {
  verifyZendeskSignature,
  ZENDESK_SIGNATURE_HEADER,
  ZENDESK_TIMESTAMP_HEADER,
} from '../integrations/zendesk/verify';
import { agentReplySignal } from '../workflows/definitions';
import { temporalFault } from '../common/temporal-errors';
import { HttpError, parseOr400 } from './errors';
import { boundInboundReply, jsonOf, verifiedBody, verifiedRequest } from './inbound';

/**
 * How long the webhook spends fetching an agent's files before it relays the reply without the rest: Zendesk waits
 * 12 seconds for the answer, and the signature read and the signal need some of them.
 */
export const AGENT_FILES_BUDGET_MS = 7_000;

/** Signing secrets by Zendesk URL, filled by connecting (at start-up and through the API). */
export type ZendeskSecrets = Map<string, string>;

export function createZendeskRouter(deps: {
  config: ParleyConfig;
  temporal: Client;
  log: Logger;
  metrics?: Metrics;
  secrets: ZendeskSecrets;
  /** Where agents' files are kept; without it a reply is relayed without its files. */
  files?: FileStore;
}): Router {
  const router = Router();
  const relayed = createInvocationLog(1000);

  const verified = verifiedBody<string>({
    limit: '1mb',
    code: 'zendesk_signature_invalid',
    header: 'X-Zendesk-Webhook-Signature',
    // The account whose signing secret signed the body.
    verify: (raw, req) => {
      const request = {
        body: raw,
        signature: req.get(ZENDESK_SIGNATURE_HEADER),
        timestamp: req.get(ZENDESK_TIMESTAMP_HEADER),
      };
      let refusal: VerifyRefusal = 'missing';
      for (const [url, secret] of deps.secrets) {
        const result = verifyZendeskSignature({ ...request, secret });
        if (result.ok) return { ok: true, match: url };
        refusal = result.reason;
      }
      return { ok: false, reason: refusal };
    },
  });

  /** The agent's own signature, to cut from the reply; without it the reply is relayed with only `--` cut. */
  async function agentSignature(app: ZendeskApp, agentId: number | undefined, payload: ZendeskWebhook) {
    if (agentId === undefined) return undefined;
    try {
      const { result } = await createZendeskClient(app.zendesk).api.users.show(agentId);
      return zendeskAgentSignature(zendeskAgentSchema.parse(result), payload.author_name);
    } catch (err) {
      deps.log.warn(
        { app: app.id, err: (err as Error).message },
        'could not read the Zendesk agent; relaying without stripping their own signature',
      );
      return undefined;
    }
  }

  /**
   * The reply with the comment's files, stored as the user's: those Parley cannot keep (over `storage.maxFileBytes`,
   * a type not accepted, not fetched in time) are named in its text. A failure here never costs the reply its text.
   */
  async function withAgentFiles(app: ZendeskApp, workflowId: string, payload: ZendeskWebhook, reply: AgentReply) {
    const store = deps.files;
    if (!store) return reply;
    try {
      const { files, notFetched } = await zendeskCommentFiles(
        createZendeskClient(app.zendesk),
        app.zendesk,
        { ticketId: payload.ticket_id, commentId: payload.comment_id },
        { maxBytes: deps.config.storage.maxFileBytes, signal: AbortSignal.timeout(AGENT_FILES_BUDGET_MS) },
      );
      const kept = await keepIncomingFiles(
        store,
        deps.config.storage,
        { appId: app.id, userId: userIdOfConversation(workflowId, app.id) },
        files,
      );
      if (notFetched.length > 0)
        deps.log.warn({ app: app.id, ticket: payload.ticket_id, notFetched }, 'Zendesk files not relayed');
      return replyWithFiles(reply, kept.attachments, [...notFetched.map((f) => f.name), ...kept.refused]);
    } catch (err) {
      deps.log.warn(
        { app: app.id, ticket: payload.ticket_id, err: (err as Error).message },
        "could not read the Zendesk comment's files; relaying the reply without them",
      );
      return reply;
    }
  }

  router.post('/webhook', ...verified, async (req, res) => {
    const { raw, match: account } = verifiedRequest<string>(res);
    const invocation = req.get('x-zendesk-webhook-invocation-id');
    if (invocation && relayed.has(invocation)) {
      res.status(200).json({ duplicate: invocation });
      return;
    }
    const payload = parseOr400(zendeskWebhookSchema, jsonOf(raw));
    const decision = decideZendeskReply(payload, { account, apps: deps.config.apps });
    if (decision.kind === 'ignored') {
      res.status(200).json({ ignored: decision.reason });
      return;
    }
    const { reply } = boundInboundReply(
      deps,
      'zendesk',
      decision.app.id,
      await withAgentFiles(
        decision.app,
        decision.workflowId,
        payload,
        zendeskAgentReply(payload, await agentSignature(decision.app, decision.agentId, payload)),
      ),
      `Zendesk ticket #${payload.ticket_id}`,
    );
    try {
      await deps.temporal.workflow.getHandle(decision.workflowId).signal(agentReplySignal, reply);
    } catch (err) {
      // Refused by Temporal as invalid: no redelivery would change that (a 4xx, logged by the error handler).
      if (temporalFault(err) === 'refused') throw err;
      if (!(err instanceof WorkflowNotFoundError)) {
        // Temporal unreachable or overloaded: a 5xx makes Zendesk deliver the webhook again, so the reply is not lost.
        res.set('Retry-After', '10');
        throw new HttpError(
          503,
          'temporal_unavailable',
          'the reply could not be relayed right now; it will come again',
          {
            cause: err,
          },
        );
      }
      deps.log.warn({ app: decision.app.id, ticket: payload.ticket_id }, 'Zendesk reply for an unknown conversation');
      res.status(200).json({ ignored: 'unknown conversation' });
      return;
    }
    if (invocation) relayed.add(invocation);
    deps.metrics?.relayed.inc({ integration: 'zendesk', direction: 'in' });
    res.status(200).json({ relayed: payload.comment_id });
  });
  return router;
}
