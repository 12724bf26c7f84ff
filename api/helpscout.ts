/**
 * Help Scout's webhook: the signature (`X-HelpScout-Signature`, base64 HMAC-SHA1 of the raw body with the secret
 * Parley derives per app) is checked before anything else; an agent's reply becomes an `agentReply` signal.
 * Notes stay internal; a redelivery carries the same thread id and is dropped by the workflow.
 */
import type { Client } from '@temporalio/client';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppConfig, ParleyConfig } from '../common/config';
import { findConversation } from '../common/lookup';
import type { Logger } from '../common/logger';
import type { Metrics } from '../common/metrics';
import { createHelpScoutClient } from '../integrations/helpscout/client';
import {
  HELPSCOUT_SIGNATURE_HEADER,
  helpScoutWebhookSecret,
  verifyHelpScoutSignature,
} from '../integrations/helpscout/verify';
import { gravatarUrl, htmlToText } from '../common/text';
import { agentReplySignal } from '../workflows/definitions';
import { HttpError, parseOr400 } from './errors';
import { jsonOf, verifiedBody, verifiedRequest } from './inbound';

type HelpScoutApp = AppConfig & { helpscout: NonNullable<AppConfig['helpscout']> };

const person = z.looseObject({
  type: z.string().optional(),
  first: z.string().nullish(),
  last: z.string().nullish(),
  email: z.string().nullish(),
  photoUrl: z.string().nullish(),
});
const conversationBody = z.looseObject({
  id: z.number(),
  _embedded: z
    .looseObject({
      threads: z.array(
        z.looseObject({
          id: z.number(),
          type: z.string(),
          body: z.string().nullish(),
          createdAt: z.string().nullish(),
          createdBy: person.nullish(),
        }),
      ),
    })
    .optional(),
});

export function createHelpScoutRouter(deps: {
  config: ParleyConfig;
  temporal: Client;
  log: Logger;
  metrics?: Metrics;
}): Router {
  const router = Router();
  const appOf = (req: Request): HelpScoutApp => {
    const app = deps.config.apps.find((a): a is HelpScoutApp => a.id === req.params.appId && a.helpscout !== undefined);
    if (!app) throw new HttpError(404, 'app_not_found', 'no app with Help Scout here');
    return app;
  };
  const verified = verifiedBody<HelpScoutApp>({
    limit: '2mb',
    code: 'helpscout_signature_invalid',
    header: 'X-HelpScout-Signature',
    verify: (raw, req) => {
      const app = appOf(req);
      const secret = helpScoutWebhookSecret(app.id, app.helpscout.clientSecret);
      const result = verifyHelpScoutSignature({ secret, body: raw, signature: req.get(HELPSCOUT_SIGNATURE_HEADER) });
      return result.ok ? { ok: true, match: app } : result;
    },
  });

  router.post('/webhook/:appId', ...verified, async (req, res) => {
    const { raw, match: app } = verifiedRequest<HelpScoutApp>(res);
    const json = jsonOf(raw);
    const event = req.get('x-helpscout-event') ?? '';
    const body = parseOr400(conversationBody, json);
    if (event !== 'convo.agent.reply.created') {
      res.status(200).json({ ignored: event });
      return;
    }
    // The new reply: the newest agent-written reply thread of the embedded ones.
    let threads = body._embedded?.threads;
    if (!threads) {
      // A payload without embedded threads: fetch them.
      try {
        const fetched = await createHelpScoutClient(app.helpscout).request('GET', `conversations/${body.id}/threads`);
        threads = conversationBody.omit({ id: true }).parse(fetched.body)._embedded?.threads ?? [];
      } catch (err) {
        // Help Scout retries a webhook that failed: answer 503 so it comes again.
        throw new HttpError(503, 'helpscout_unavailable', `could not fetch the threads: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    const reply = threads
      .filter((t) => t.type === 'reply' && t.createdBy?.type !== 'customer')
      .sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? ''))[0];
    if (!reply) throw new HttpError(400, 'helpscout_no_reply', 'the webhook carries no reply thread');
    const workflowId = await findConversation(deps.temporal, app.id, 'HelpScoutConversation', String(body.id));
    if (!workflowId) {
      deps.log.warn(
        { app: app.id, helpscoutConversation: body.id },
        'Help Scout reply for a conversation Parley does not know',
      );
      res.status(200).json({ ignored: 'unknown conversation' });
      return;
    }
    const by = reply.createdBy;
    const name = [by?.first, by?.last].filter(Boolean).join(' ') || by?.email || 'Help Scout agent';
    const avatarUrl = by?.photoUrl ?? (by?.email ? gravatarUrl(by.email) : undefined);
    await deps.temporal.workflow.getHandle(workflowId).signal(agentReplySignal, {
      id: `helpscout:${reply.id}`,
      source: 'helpscout',
      agent: { name, ...(by?.email ? { email: by.email } : {}), ...(avatarUrl ? { avatarUrl } : {}) },
      text: htmlToText(reply.body ?? ''),
      at: reply.createdAt ?? new Date().toISOString(),
    });
    deps.metrics?.relayed.inc({ integration: 'helpscout', direction: 'in' });
    res.status(200).json({ relayed: reply.id });
  });
  return router;
}
