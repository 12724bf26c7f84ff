import { randomUUID } from 'node:crypto';

export const CONVERSATION_ID_PREFIX = 'conversation:';

/**
 * A user id as Parley keeps it: Unicode NFC, so `é` typed as one code point (U+00E9) or as `e` + U+0301 is one user
 * with one conversation. The API normalises ids as it reads them, and answers with the normalised id.
 */
export function normalizeUserId(userId: string): string {
  return userId.normalize('NFC');
}

/**
 * `conversation:<appId>:<userId>`, the user id normalised (NFC) and percent-encoded so that any id stays one
 * readable key. A conversation started before ids were normalised under an id that was not NFC keeps its old
 * workflow id; the user's next message starts one under the NFC id (a one-time split, see docs/api).
 */
export function conversationWorkflowId(appId: string, userId: string): string {
  return `${CONVERSATION_ID_PREFIX}${appId}:${encodeURIComponent(normalizeUserId(userId))}`;
}

/** The user of `conversationWorkflowId(appId, userId)`: what follows the app's prefix, decoded. */
export function userIdOfConversation(workflowId: string, appId: string): string {
  return decodeURIComponent(workflowId.slice(`${CONVERSATION_ID_PREFIX}${appId}:`.length));
}

export function inboxWorkflowId(appId: string): string {
  return `inbox:${appId}`;
}

export function newMessageId(): string {
  return `msg_${randomUUID().replace(/-/g, '')}`;
}

/** Temporal's limit on a workflow id, in bytes (its `limit.maxIDLength`, 1,000 by default). */
export const MAX_WORKFLOW_ID_BYTES = 1000;

/**
 * How many bytes the user's conversation workflow id takes (it is ASCII once percent-encoded): a CJK character costs
 * 9, an emoji 12, so 120 CJK characters or 128 emoji pass the 1,000 bytes Temporal allows.
 */
export function conversationWorkflowIdBytes(appId: string, userId: string): number {
  return conversationWorkflowId(appId, userId).length;
}
