import { z } from 'zod';
import { IntegrationError } from '../../common/errors';
import type { HelpScoutClient, HelpScoutConfig } from './client';

const mailboxList = z.object({
  _embedded: z.object({ mailboxes: z.array(z.object({ id: z.number(), name: z.string() })) }).optional(),
});
const mailboxIds = new Map<string, number>();

const cacheKey = (config: HelpScoutConfig): string => `${config.apiUrl}|${config.clientId}|${config.mailbox}`;

/** Drops a looked-up id (the mailbox was deleted; one of the same name may have replaced it). */
export function forgetMailbox(config: HelpScoutConfig): void {
  mailboxIds.delete(cacheKey(config));
}

/** The configured mailbox's id: given as a number, or looked up once by name. */
export async function resolveMailboxId(client: HelpScoutClient, config: HelpScoutConfig): Promise<number> {
  if (typeof config.mailbox === 'number' || /^\d+$/.test(config.mailbox)) return Number(config.mailbox);
  const key = cacheKey(config);
  const cached = mailboxIds.get(key);
  if (cached !== undefined) return cached;
  const res = mailboxList.parse((await client.request('GET', 'mailboxes')).body);
  const found = res._embedded?.mailboxes.find((m) => m.name.toLowerCase() === String(config.mailbox).toLowerCase());
  if (!found)
    throw new IntegrationError('helpscout_mailbox_not_found', `no Help Scout mailbox named "${config.mailbox}"`, {
      retryable: false,
    });
  mailboxIds.set(key, found.id);
  return found.id;
}
