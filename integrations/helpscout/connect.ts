/**
 * Parley's set-up in Help Scout: its webhook, created, repaired or removed through the API (`/v2/webhooks`), and
 * the connection check ("Test connection").
 */
import { z } from 'zod';
import type { HelpScoutCache } from './cache';
import type { HelpScoutClient, HelpScoutConfig } from './client';
import { resolveMailboxId } from './mailbox';
import { helpScoutWebhookSecret } from './verify';

export const HELPSCOUT_EVENTS = ['convo.agent.reply.created'];

const webhookList = z.object({
  _embedded: z.object({ webhooks: z.array(z.looseObject({ id: z.number(), url: z.string() })) }).optional(),
});

export function webhookUrl(publicUrl: string, appId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/helpscout/webhook/${encodeURIComponent(appId)}`;
}

async function ours(client: HelpScoutClient, url: string): Promise<number[]> {
  const res = webhookList.parse((await client.request('GET', 'webhooks')).body);
  return (res._embedded?.webhooks ?? []).filter((w) => w.url === url).map((w) => w.id);
}

/** Creates Parley's webhook, or repairs the one there (events, secret, mailbox), and removes duplicates. */
export async function connectHelpScout(
  client: HelpScoutClient,
  config: HelpScoutConfig,
  cache: HelpScoutCache,
  appId: string,
  publicUrl: string,
) {
  const url = webhookUrl(publicUrl, appId);
  const mailboxId = await resolveMailboxId(client, config, cache);
  const body = {
    url,
    events: HELPSCOUT_EVENTS,
    secret: helpScoutWebhookSecret(appId, config.clientSecret),
    mailboxIds: [mailboxId],
    payloadVersion: 'V2',
    label: `Parley (${appId})`,
  };
  const [keep, ...extra] = await ours(client, url);
  for (const id of extra) await client.request('DELETE', `webhooks/${id}`);
  if (keep !== undefined) {
    await client.request('PUT', `webhooks/${keep}`, { body });
    return { webhookId: keep, url, events: HELPSCOUT_EVENTS, mailboxId, repaired: true };
  }
  const created = await client.request('POST', 'webhooks', { body });
  return { webhookId: client.resourceId(created), url, events: HELPSCOUT_EVENTS, mailboxId, repaired: false };
}

export async function disconnectHelpScout(client: HelpScoutClient, appId: string, publicUrl: string): Promise<number> {
  const ids = await ours(client, webhookUrl(publicUrl, appId));
  for (const id of ids) await client.request('DELETE', `webhooks/${id}`);
  return ids.length;
}

/** The connection check: a fresh token (the credentials work) and the configured mailbox readable. */
export async function checkHelpScout(
  client: HelpScoutClient,
  config: HelpScoutConfig,
  cache: HelpScoutCache,
): Promise<string> {
  await client.token(true);
  const mailbox = await resolveMailboxId(client, config, cache);
  await client.request('GET', `mailboxes/${mailbox}`);
  return `token granted; mailbox ${mailbox} reachable`;
}
