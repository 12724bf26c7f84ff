/**
 * An agent's files on a Help Scout reply thread, fetched for Parley's store: `GET
 * /v2/conversations/{id}/attachments/{attachmentId}/data` answers the bytes in base64, with the app's OAuth token.
 * Everything within one deadline (the webhook answers Help Scout in seconds); a file not fetched is named.
 */
import { z } from 'zod';
import type { IncomingFile } from '../files/intake';
import type { HelpScoutClient } from './client';
import type { HelpScoutAttachment } from './inbound';

const attachmentData = z.object({ data: z.string() });

export async function helpScoutReplyFiles(
  client: HelpScoutClient,
  conversationId: number,
  attachments: readonly HelpScoutAttachment[],
  options: { maxBytes: number; deadline: number; now?: () => number },
): Promise<{ files: IncomingFile[]; notFetched: { name: string; reason: string }[] }> {
  const now = options.now ?? Date.now;
  const files: IncomingFile[] = [];
  const notFetched: { name: string; reason: string }[] = [];
  for (const a of attachments) {
    if (a.size !== undefined && a.size > options.maxBytes) {
      notFetched.push({ name: a.filename, reason: 'too large' });
      continue;
    }
    if (now() >= options.deadline) {
      notFetched.push({ name: a.filename, reason: 'timed out' });
      continue;
    }
    try {
      const res = await client.request('GET', `conversations/${conversationId}/attachments/${a.id}/data`);
      const bytes = Buffer.from(attachmentData.parse(res.body).data, 'base64');
      if (bytes.length > options.maxBytes) notFetched.push({ name: a.filename, reason: 'too large' });
      else files.push({ name: a.filename, ...(a.mimeType ? { contentType: a.mimeType } : {}), bytes });
    } catch (err) {
      notFetched.push({ name: a.filename, reason: (err as Error).message.slice(0, 200) });
    }
  }
  return { files, notFetched };
}
