/**
 * The unsubscribe link of the fallback mails to app users (integrations/email/offline.ts): `GET` shows a page with
 * one button (mail scanners open links; a GET never unsubscribes), `POST` unsubscribes, also as RFC 8058's one-click
 * `List-Unsubscribe=One-Click`. The token, signed for one app, user and address, is the only proof: it is checked
 * before anything else, with every key the app's reply tokens verify with.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import express, { Router, type Request } from 'express';
import type { ParleyConfig } from '../common/config';
import { conversationWorkflowId } from '../common/ids';
import type { Logger } from '../common/logger';
import { escapeHtml } from '../common/text';
import { tokenSecrets } from '../integrations/email/client';
import { unsubscribeAppId, verifyUnsubscribeToken, type UnsubscribeClaim } from '../integrations/email/offline';
import { mailStopSignal } from '../workflows/definitions';
import { HttpError } from './errors';

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>' +
    `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:36em;margin:3em auto">` +
    `<h1 style="font-size:1.3em">${escapeHtml(title)}</h1>${body}</body></html>`
  );
}

export function createOfflineRouter(deps: { config: ParleyConfig; temporal: Client; log: Logger }): Router {
  const router = Router();

  const tokenOf = (req: Request): string => (typeof req.query.token === 'string' ? req.query.token : '');

  function claimOf(req: Request): UnsubscribeClaim {
    const token = tokenOf(req);
    const app = deps.config.apps.find((a) => a.id === unsubscribeAppId(token));
    const claim = app?.email ? verifyUnsubscribeToken(tokenSecrets({ ...app, email: app.email }), token) : undefined;
    if (!claim) throw new HttpError(400, 'unsubscribe_token_invalid', 'this unsubscribe link is not valid');
    return claim;
  }

  router.get('/unsubscribe', (req, res) => {
    const claim = claimOf(req);
    const action = `?token=${encodeURIComponent(tokenOf(req))}`;
    res
      .type('html')
      .send(
        page(
          'Stop these emails?',
          `<p>No more emails about your conversation will go to <strong>${escapeHtml(claim.address)}</strong>.</p>` +
            `<form method="post" action="${escapeHtml(action)}"><button type="submit">Unsubscribe</button></form>`,
        ),
      );
  });

  router.post('/unsubscribe', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const claim = claimOf(req);
    try {
      await deps.temporal.workflow
        .getHandle(conversationWorkflowId(claim.appId, claim.userId))
        .signal(mailStopSignal, { address: claim.address, reason: 'unsubscribed' });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new HttpError(404, 'conversation_not_found', 'this conversation is gone: no more mail comes from it');
      throw err;
    }
    deps.log.info({ app: claim.appId }, 'an app user unsubscribed from fallback mail');
    res.type('html').send(page('Unsubscribed', '<p>You will get no more emails about this conversation.</p>'));
  });

  return router;
}
