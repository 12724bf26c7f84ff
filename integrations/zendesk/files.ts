/**
 * An agent's files on a Zendesk comment, fetched for Parley's store: the comment read by id from the ticket's newest
 * comments (the webhook carries no attachments), each attachment's `content_url` fetched with the API token. Only
 * from the account's own host: Zendesk warns a `content_url` may be hosted elsewhere, and Zendesk's credentials must
 * not go there. Everything within one deadline (the webhook answers Zendesk in seconds); a file not fetched is named.
 */
import { z } from 'zod';
import { resultOf, type ZendeskClient, type ZendeskConfig } from './client';

const commentList = z.array(
  z.looseObject({
    id: z.number(),
    attachments: z
      .array(
        z.looseObject({
          file_name: z.string(),
          content_url: z.string(),
          content_type: z.string().optional(),
          size: z.number().optional(),
          inline: z.boolean().optional(),
        }),
      )
      .optional(),
  }),
);

export interface FetchedFile {
  name: string;
  contentType?: string;
  bytes: Buffer;
}

/** The files of comment `commentId` and the names of those not fetched (too large, elsewhere, failed). */
export async function zendeskCommentFiles(
  client: ZendeskClient,
  config: Pick<ZendeskConfig, 'url' | 'email' | 'apiToken'>,
  where: { ticketId: string; commentId: string },
  options: { maxBytes: number; signal: AbortSignal; fetch?: typeof fetch },
): Promise<{ files: FetchedFile[]; notFetched: { name: string; reason: string }[] }> {
  const comments = commentList.parse(
    await resultOf(client.api.tickets.get(['tickets', where.ticketId, 'comments', { sort_order: 'desc' }])),
  );
  const comment = comments.find((c) => String(c.id) === where.commentId);
  const files: FetchedFile[] = [];
  const notFetched: { name: string; reason: string }[] = [];
  const origin = new URL(config.url).origin;
  const authorization = `Basic ${Buffer.from(`${config.email}/token:${config.apiToken}`).toString('base64')}`;
  for (const a of comment?.attachments ?? []) {
    if (a.size !== undefined && a.size > options.maxBytes) {
      notFetched.push({ name: a.file_name, reason: 'too large' });
      continue;
    }
    let url: URL;
    try {
      url = new URL(a.content_url);
    } catch {
      notFetched.push({ name: a.file_name, reason: 'no address' });
      continue;
    }
    if (url.origin !== origin) {
      notFetched.push({ name: a.file_name, reason: 'hosted elsewhere' });
      continue;
    }
    try {
      // A redirect to another host (Zendesk's file storage) drops the Authorization header, as fetch does.
      const res = await (options.fetch ?? fetch)(url, { headers: { authorization }, signal: options.signal });
      if (!res.ok) {
        notFetched.push({ name: a.file_name, reason: `answered ${res.status}` });
        continue;
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      if (bytes.length > options.maxBytes) notFetched.push({ name: a.file_name, reason: 'too large' });
      else files.push({ name: a.file_name, ...(a.content_type ? { contentType: a.content_type } : {}), bytes });
    } catch (err) {
      notFetched.push({ name: a.file_name, reason: (err as Error).name === 'TimeoutError' ? 'timed out' : 'failed' });
    }
  }
  return { files, notFetched };
}
