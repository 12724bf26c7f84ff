/**
 * An agent's files in Slack (a file_share message: "Send to user" on it, or a thread reply in threads mode), fetched
 * for Parley's store. Slack's `url_private_download` needs the bot token (`files:read`); the token goes only to
 * Slack's own file host (`files.slack.com`, or the configured `slack.apiUrl`'s host for an emulator): a message's
 * file URL pointing anywhere else is not followed. Bounded in bytes (`storage.maxFileBytes`, checked against the
 * size Slack states and again while reading) and in time (one signal for all); a file not fetched is named.
 */
import { z } from 'zod';
import type { IncomingFile } from '../files/intake';

/** A file object as Slack puts it on a message (docs.slack.dev/reference/objects/file-object); what Parley reads. */
const slackFileSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  title: z.string().optional(),
  mimetype: z.string().optional(),
  size: z.number().optional(),
  url_private: z.string().optional(),
  url_private_download: z.string().optional(),
  /** `hosted` for a file in Slack; external files (Google Drive…) and tombstones are not Slack's to hand over. */
  mode: z.string().optional(),
});

/** A file an agent shared with a message: its name, the type Slack states, its size and where to fetch it. */
export interface SlackFileRef {
  name: string;
  mimetype?: string;
  size?: number;
  /** `url_private_download`, else `url_private`; absent for a file Slack does not host (named, not fetched). */
  url?: string;
}

/** At most this many files of one message are fetched (Slack allows 10 per message); the rest are named. */
export const MAX_SLACK_FILES = 10;

/** The files of a message (`files` as Slack sends it); anything unreadable is left out, never thrown. */
export function slackFilesOf(raw: unknown): SlackFileRef[] {
  if (!Array.isArray(raw)) return [];
  const refs: SlackFileRef[] = [];
  for (const item of raw) {
    const parsed = slackFileSchema.safeParse(item);
    if (!parsed.success) continue;
    const f = parsed.data;
    const name = (f.name ?? f.title ?? f.id ?? 'file').slice(0, 255);
    const url = f.mode === undefined || f.mode === 'hosted' ? (f.url_private_download ?? f.url_private) : undefined;
    refs.push({
      name,
      ...(f.mimetype ? { mimetype: f.mimetype } : {}),
      ...(f.size !== undefined ? { size: f.size } : {}),
      ...(url ? { url } : {}),
    });
  }
  return refs;
}

/** Slack's own file host, and the host of `slack.apiUrl` (an emulator, a proxy the operator configured). */
export const SLACK_FILES_HOST = 'files.slack.com';

/** May the bot token be sent to this URL? Only over https to Slack's file host, or to the configured API's origin. */
export function isSlackFileUrl(url: string, apiUrl: string | undefined): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol === 'https:' && target.hostname === SLACK_FILES_HOST && target.port === '') return true;
  if (!apiUrl) return false;
  try {
    return target.origin === new URL(apiUrl).origin;
  } catch {
    return false;
  }
}

/** Reads a body up to `maxBytes`; undefined as soon as it grows past them (the rest is not read). */
async function boundedBody(res: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/**
 * Fetches each file with the bot token. Slack answers a download it will not serve (no token, a bad one) with its
 * sign-in page as HTML and a 200: an HTML answer for a file Slack did not call HTML is "not served", not a file.
 */
export async function fetchSlackFiles(
  refs: readonly SlackFileRef[],
  options: { token: string; apiUrl?: string; maxBytes: number; signal: AbortSignal; fetch?: typeof fetch },
): Promise<{ files: IncomingFile[]; notFetched: { name: string; reason: string }[] }> {
  const files: IncomingFile[] = [];
  const notFetched: { name: string; reason: string }[] = [];
  for (const [i, ref] of refs.entries()) {
    if (i >= MAX_SLACK_FILES) {
      notFetched.push({ name: ref.name, reason: 'too many files' });
      continue;
    }
    if (ref.size !== undefined && ref.size > options.maxBytes) {
      notFetched.push({ name: ref.name, reason: 'too large' });
      continue;
    }
    if (!ref.url || !isSlackFileUrl(ref.url, options.apiUrl)) {
      notFetched.push({ name: ref.name, reason: ref.url ? 'hosted elsewhere' : 'not hosted by Slack' });
      continue;
    }
    try {
      // `redirect: 'error'`: the token never follows a redirect off the host checked above.
      const res = await (options.fetch ?? fetch)(ref.url, {
        headers: { authorization: `Bearer ${options.token}` },
        redirect: 'error',
        signal: options.signal,
      });
      if (!res.ok) {
        notFetched.push({ name: ref.name, reason: `answered ${res.status}` });
        continue;
      }
      const type = res.headers.get('content-type') ?? '';
      if (/^text\/html/i.test(type) && !/html/i.test(ref.mimetype ?? '')) {
        await res.body?.cancel().catch(() => undefined);
        notFetched.push({ name: ref.name, reason: 'not served (token refused?)' });
        continue;
      }
      const bytes = await boundedBody(res, options.maxBytes);
      if (!bytes) notFetched.push({ name: ref.name, reason: 'too large' });
      else files.push({ name: ref.name, ...(ref.mimetype ? { contentType: ref.mimetype } : {}), bytes });
    } catch (err) {
      notFetched.push({ name: ref.name, reason: (err as Error).name === 'TimeoutError' ? 'timed out' : 'failed' });
    }
  }
  return { files, notFetched };
}
