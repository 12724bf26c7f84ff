/**
 * Download URLs for an app's files, as the API and the workers hand them out: signed with the app's own key,
 * expiring after `storage.urlTtlSeconds`, on Parley's public URL (`server.publicUrl`; `http://localhost:3000`, where
 * `npm start` listens, without one).
 */
import type { AppConfig, ParleyConfig } from '../../common/config';
import type { Attachment, ConversationMessage } from '../../common/conversation';
import { fileUrlKeys, isFileId, signFileUrl } from '../../common/files';

export const DEFAULT_BASE_URL = 'http://localhost:3000';

export interface FileUrls {
  /** The signed URL of one of the app's files, valid from `nowMs` for the configured time. */
  url(appId: string, fileId: string, nowMs?: number): string;
  /** The attachments with fresh URLs. */
  attachments(appId: string, attachments: readonly Attachment[], nowMs?: number): Attachment[];
  /** The message as it leaves Parley: its attachments with fresh URLs (a text-only message unchanged). */
  message<M extends Pick<ConversationMessage, 'attachments'>>(appId: string, message: M, nowMs?: number): M;
  /** The keys that verify the app's URLs (first signs). */
  keys(app: AppConfig): Buffer[];
}

export function createFileUrls(config: ParleyConfig): FileUrls {
  const base = config.server.publicUrl ?? DEFAULT_BASE_URL;
  const ttlMs = config.storage.urlTtlSeconds * 1000;
  const cache = new Map<string, Buffer[]>();
  function keys(app: AppConfig): Buffer[] {
    let found = cache.get(app.id);
    if (!found) {
      found = fileUrlKeys(app.id, app.apiKeys, config.storage.signingSecret);
      cache.set(app.id, found);
    }
    return found;
  }
  function url(appId: string, fileId: string, nowMs = Date.now()): string {
    const app = config.apps.find((a) => a.id === appId);
    if (!app) throw new Error(`no app ${appId}`);
    const key = keys(app)[0] as Buffer;
    return signFileUrl({ baseUrl: base, appId, fileId, key, expiresAt: nowMs + ttlMs });
  }
  function attachments(appId: string, list: readonly Attachment[], nowMs = Date.now()): Attachment[] {
    // An image an agent linked (`![](https://…)`) is not Parley's file: its URL stays as the agent wrote it.
    return list.map((a) =>
      isFileId(a.id)
        ? { id: a.id, name: a.name, mediaType: a.mediaType, size: a.size, url: url(appId, a.id, nowMs) }
        : a,
    );
  }
  return {
    url,
    attachments,
    keys,
    message(appId, message, nowMs) {
      if (!message.attachments || message.attachments.length === 0) return message;
      return { ...message, attachments: attachments(appId, message.attachments, nowMs) };
    },
  };
}
