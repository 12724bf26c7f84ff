import { randomUUID } from 'node:crypto';

export const CONVERSATION_ID_PREFIX = 'conversation:';

/** `conversation:<appId>:<userId>`, the user id percent-encoded so that any id stays one readable key. */
export function conversationWorkflowId(appId: string, userId: string): string {
  return `${CONVERSATION_ID_PREFIX}${appId}:${encodeURIComponent(userId)}`;
}

export function inboxWorkflowId(appId: string): string {
  return `inbox:${appId}`;
}

export function newMessageId(): string {
  return `msg_${randomUUID().replace(/-/g, '')}`;
}
