import { z } from 'zod';
import { mailboxKey, type HelpScoutCache } from './cache';
import type { HelpScoutClient, HelpScoutConfig } from './client';
import { helpScoutError } from './errors';

const mailboxList = z.object({
  _embedded: z.object({ mailboxes: z.array(z.object({ id: z.number(), name: z.string() })) }).optional(),
});

const keyOf = (config: HelpScoutConfig): string => mailboxKey(config.apiUrl, config.clientId, config.mailbox);

/** Drops a looked-up id (the mailbox was deleted; one of the same name may have replaced it). */
export function forgetMailbox(cache: HelpScoutCache, config: HelpScoutConfig): void {
  cache.mailboxes.delete(keyOf(config));
}

/** The configured mailbox's id: given as a number, or looked up once by name (then kept in `cache`). */
export async function resolveMailboxId(
  client: HelpScoutClient,
  config: HelpScoutConfig,
  cache: HelpScoutCache,
): Promise<number> {
  if (typeof config.mailbox === 'number' || /^\d+$/.test(config.mailbox)) return Number(config.mailbox);
  const key = keyOf(config);
  const cached = cache.mailboxes.get(key);
  if (cached !== undefined) return cached;
  const res = mailboxList.parse((await client.request('GET', 'mailboxes')).body);
  const found = res._embedded?.mailboxes.find((m) => m.name.toLowerCase() === String(config.mailbox).toLowerCase());
  if (!found)
    throw helpScoutError('helpscout_mailbox_not_found', `no Help Scout mailbox named "${config.mailbox}"`, {
      retryable: false,
    });
  cache.mailboxes.set(key, found.id);
  return found.id;
}

const mailboxPage = z.object({
  _embedded: z
    .object({ mailboxes: z.array(z.looseObject({ id: z.number(), name: z.string(), email: z.string().optional() })) })
    .optional(),
  page: z.looseObject({ totalPages: z.number().optional() }).optional(),
});

export interface MailboxChoice {
  id: number;
  name: string;
  email?: string;
}

/** The mailboxes the credentials can see (for the admin console's picker), at most `maxPages` pages of them. */
export async function listMailboxes(client: HelpScoutClient, maxPages = 5): Promise<MailboxChoice[]> {
  const found: MailboxChoice[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const res = mailboxPage.parse((await client.request('GET', 'mailboxes', { query: { page: String(page) } })).body);
    for (const m of res._embedded?.mailboxes ?? [])
      found.push({ id: m.id, name: m.name, ...(m.email ? { email: m.email } : {}) });
    if ((res.page?.totalPages ?? 1) <= page) break;
  }
  return found;
}
