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
