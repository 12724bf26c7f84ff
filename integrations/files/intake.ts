/**
 * Files that reach Parley from a vendor (an agent's attachment), stored as a user's upload is: the type sniffed from
 * the bytes and judged against the allow-list (common/files.ts), the size against `storage.maxFileBytes`, recorded
 * as the user's so erasing the user erases it. What is refused is answered with why, never thrown: an agent's file
 * Parley cannot keep becomes a line in the reply, not a lost reply.
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AgentReply, Attachment } from '../../common/conversation';
import { cleanFileName, DEFAULT_ALLOWED_TYPES, judgeFile, newFileId, sniffMediaType } from '../../common/files';
import type { FileStore, StoredFile } from './store';

export type IntakeResult = { ok: true; attachment: Attachment } | { ok: false; reason: string };

export async function storeIncomingFile(
  store: FileStore,
  input: {
    appId: string;
    userId: string;
    name: string;
    declared?: string;
    bytes: Buffer;
    allowed: readonly string[];
    maxBytes: number;
    now?: number;
  },
): Promise<IntakeResult> {
  const { bytes } = input;
  if (bytes.length === 0) return { ok: false, reason: 'empty' };
  if (bytes.length > input.maxBytes) return { ok: false, reason: 'too large' };
  const name = cleanFileName(input.name);
  const sniffed = await sniffMediaType(
    (offset, length) => Promise.resolve(bytes.subarray(offset, Math.min(bytes.length, offset + length))),
    bytes.length,
  );
  const verdict = judgeFile({
    sniffed,
    name,
    ...(input.declared ? { declared: input.declared } : {}),
    allowed: input.allowed,
  });
  if (!verdict.ok)
    return { ok: false, reason: verdict.code === 'file_type_mismatch' ? 'not what it claims' : 'type not accepted' };
  const file: StoredFile = {
    id: newFileId(),
    appId: input.appId,
    name,
    mediaType: verdict.mediaType,
    size: bytes.length,
    createdAt: new Date(input.now ?? Date.now()).toISOString(),
  };
  await fsp.mkdir(store.spoolDir, { recursive: true, mode: 0o700 });
  const spooled = path.join(store.spoolDir, `in_${randomBytes(12).toString('hex')}`);
  try {
    await fsp.writeFile(spooled, bytes, { mode: 0o600 });
    await store.put(file, spooled);
  } finally {
    await fsp.rm(spooled, { force: true });
  }
  await store.claim(input.appId, file.id, input.userId);
  return { ok: true, attachment: { id: file.id, name: file.name, mediaType: file.mediaType, size: file.size } };
}

/** A file as a vendor handed it over: its name, the type it claims, its bytes. */
export interface IncomingFile {
  name: string;
  contentType?: string;
  bytes: Buffer;
}

/** Stores each of an agent's files as the user's; answers what was kept and the names of what was refused. */
export async function keepIncomingFiles(
  store: FileStore,
  storage: { maxFileBytes: number; allowedTypes?: readonly string[] | undefined },
  owner: { appId: string; userId: string },
  files: readonly IncomingFile[],
): Promise<{ attachments: Attachment[]; refused: string[] }> {
  const attachments: Attachment[] = [];
  const refused: string[] = [];
  for (const file of files) {
    const kept = await storeIncomingFile(store, {
      ...owner,
      name: file.name,
      ...(file.contentType ? { declared: file.contentType } : {}),
      bytes: file.bytes,
      allowed: storage.allowedTypes ?? DEFAULT_ALLOWED_TYPES,
      maxBytes: storage.maxFileBytes,
    });
    if (kept.ok) attachments.push(kept.attachment);
    else refused.push(file.name);
  }
  return { attachments, refused };
}

/** The reply with its files, and a last line naming those the user does not get: `(not relayed: a.exe, b.zip)`. */
export function replyWithFiles(reply: AgentReply, attachments: readonly Attachment[], notRelayed: readonly string[]) {
  const all = [...(reply.attachments ?? []), ...attachments];
  return {
    ...reply,
    ...(all.length > 0 ? { attachments: all } : {}),
    // A reply of files alone whose files all failed is that line alone.
    text:
      notRelayed.length === 0
        ? reply.text
        : [reply.text, `(not relayed: ${notRelayed.join(', ')})`].filter((line) => line !== '').join('\n'),
  };
}
