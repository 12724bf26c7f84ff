/**
 * Zendesk's webhook (`POST /zendesk/webhook`): the signature over timestamp + raw body is checked first against
 * the signing secret of each connected subdomain; repeats are dropped by `x-zendesk-webhook-invocation-id` here
 * and by comment id in the workflow; the agent's signature is stripped before the reply reaches the user.
 */
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { AppConfig, ParleyConfig } from '../common/config';
import { CONVERSATION_ID_PREFIX } from '../common/ids';
import type { Logger } from '../common/logger';
import type { Metrics } from '../common/metrics';
import { gravatarUrl } from '../common/text';
import { createZendeskClient } from '../integrations/zendesk/client';
import type { VerifyRefusal } from '../common/signature';
import {
  verifyZendeskSignature,
  ZENDESK_SIGNATURE_HEADER,
  ZENDESK_TIMESTAMP_HEADER,
} from '../integrations/zendesk/verify';
import { stripSignatures } from '../integrations/zendesk/strip';
import { agentReplySignal } from '../workflows/definitions';
import { parseOr400 } from './errors';
import { jsonOf, verifiedBody, verifiedRequest } from './inbound';

const payload = z.object({
  ticket_id: z.string(),
  external_id: z.string(),
  comment_id: z.string().min(1),
  comment: z.string(),
  public: z.string(),
  author_id: z.string(),
  author_name: z.string(),
  author_email: z.string().optional(),
  author_photo: z.string().optional(),
});
const userAnswer = z.object({
  user: z.looseObject({ name: z.string().optional(), email: z.string().nullish(), signature: z.string().nullish() }),
});

/** Signing secrets by Zendesk URL, filled by connecting (at start-up and through the API). */
export type ZendeskSecrets = Map<string, string>;

export function createZendeskRouter(deps: {
  config: ParleyConfig;
  temporal: Client;
  log: Logger;
  metrics?: Metrics;
  secrets: ZendeskSecrets;
}): Router {
  const router = Router();
  const seenInvocations: string[] = [];

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

  router.post('/webhook', ...verified, async (req, res) => {
    const { raw, match: source } = verifiedRequest<string>(res);
    const invocation = req.get('x-zendesk-webhook-invocation-id');
    if (invocation && seenInvocations.includes(invocation)) {
      res.status(200).json({ duplicate: invocation });
      return;
    }
    const body = parseOr400(payload, jsonOf(raw));
    if (body.public !== 'true') {
      res.status(200).json({ ignored: 'private note' });
      return;
    }
    // The ticket's external_id is the workflow id; it must belong to an app on the subdomain that signed.
    const appId = body.external_id.startsWith(CONVERSATION_ID_PREFIX)
      ? body.external_id.slice(CONVERSATION_ID_PREFIX.length).split(':')[0]
      : undefined;
    const app = deps.config.apps.find(
      (a): a is AppConfig & { zendesk: NonNullable<AppConfig['zendesk']> } =>
        a.id === appId && a.zendesk?.url === source,
    );
    if (!app) {
      res.status(200).json({ ignored: 'not a Parley ticket of this account' });
      return;
    }
    let agentSignature: string | undefined;
    try {
      const author = userAnswer.parse(
        (await createZendeskClient(app.zendesk).request('GET', `users/${body.author_id}.json`)).body,
      ).user;
      agentSignature =
        author.signature
          ?.replace(/\{\{agent\.name\}\}/g, author.name ?? body.author_name)
          .replace(/\{\{agent\.email\}\}/g, author.email ?? '') ?? undefined;
    } catch (err) {
      deps.log.warn(
        { app: app.id, err: (err as Error).message },
        'could not read the Zendesk agent; relaying without stripping their own signature',
      );
    }
    const text = stripSignatures(body.comment, agentSignature);
    const email = body.author_email || undefined;
    const avatarUrl = body.author_photo || (email ? gravatarUrl(email) : undefined);
    try {
      await deps.temporal.workflow.getHandle(body.external_id).signal(agentReplySignal, {
        id: `zendesk:${body.comment_id}`,
        source: 'zendesk',
        agent: { name: body.author_name, ...(email ? { email } : {}), ...(avatarUrl ? { avatarUrl } : {}) },
        text,
        at: new Date().toISOString(),
      });
    } catch (err) {
      deps.log.warn(
        { app: app.id, ticket: body.ticket_id, err: (err as Error).message },
        'Zendesk reply for an unknown conversation',
      );
      res.status(200).json({ ignored: 'unknown conversation' });
      return;
    }
    if (invocation) {
      seenInvocations.push(invocation);
      if (seenInvocations.length > 1000) seenInvocations.shift();
    }
    deps.metrics?.relayed.inc({ integration: 'zendesk', direction: 'in' });
    res.status(200).json({ relayed: body.comment_id });
  });
  return router;
}
