/** Parley's Help Scout webhook: created, repaired or removed through the API (`/v2/webhooks`). */
import { z } from 'zod';
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
  appId: string,
  publicUrl: string,
) {
  const url = webhookUrl(publicUrl, appId);
  const mailboxId = await resolveMailboxId(client, config);
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
