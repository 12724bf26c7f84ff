/**
 * Users' files into Slack, by the external upload flow Slack documents (docs.slack.dev/messaging/working-with-files):
 * `files.getUploadURLExternal` for each file, a POST of its bytes to the URL Slack gave, then one
 * `files.completeUploadExternal` sharing them all into the user's channel (`channel_id`). The bytes come from
 * Parley's own store (`readFile`), never from a URL anyone supplied.
 */
import type { WebClient } from '@slack/web-api';
import { integrationError } from '../../common/errors';
import type { Attachment, ConversationMessage } from '../../common/conversation';
import type { ReadFile } from '../../common/files';
import type { SlackErrorCode } from './errors';
import { userText } from './format';

export type { ReadFile } from '../../common/files';

export interface SlackFileDeps {
  client: WebClient;
  readFile: ReadFile;
  fetch?: typeof fetch;
  /** Calls Slack, mapping its errors (the adapter's `call`). */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** What a message of files alone says in Slack's text (a post needs some): `📎 screen.png, invoice.pdf`. */
export function attachmentsLine(attachments: readonly Attachment[]): string {
  return `📎 ${attachments.map((a) => userText(a.name)).join(', ')}`;
}

/** Uploads the message's files into `channel`; answers the names of those no longer stored. */
export async function shareFiles(
  deps: SlackFileDeps,
  channel: string,
  message: Pick<ConversationMessage, 'attachments'>,
  threadTs?: string,
): Promise<string[]> {
  const uploaded: { id: string; title: string }[] = [];
  const gone: string[] = [];
  for (const attachment of message.attachments ?? []) {
    const found = await deps.readFile(attachment.id);
    if (!found) {
      gone.push(attachment.name);
      continue;
    }
    const ticket = await deps.call(() =>
      deps.client.files.getUploadURLExternal({ filename: found.file.name, length: found.bytes.length }),
    );
    if (!ticket.upload_url || !ticket.file_id)
      throw integrationError<SlackErrorCode>('slack_bad_answer', 'files.getUploadURLExternal gave no upload URL', {
        retryable: true,
      });
    const res = await (deps.fetch ?? fetch)(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: found.bytes,
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok)
      throw integrationError<SlackErrorCode>(
        res.status >= 500 ? 'slack_unavailable' : 'slack_http_error',
        `the file upload answered ${res.status}`,
        { retryable: res.status >= 500 || res.status === 408 || res.status === 429 },
      );
    uploaded.push({ id: ticket.file_id, title: found.file.name });
  }
  const [first, ...rest] = uploaded;
  if (first)
    await deps.call(() =>
      deps.client.files.completeUploadExternal({
        files: [first, ...rest],
        channel_id: channel,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      }),
    );
  return gone;
}
