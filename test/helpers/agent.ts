import type { Client } from '@temporalio/client';
import { conversationWorkflowId } from '../../common/ids';
import { agentReplySignal, conversationQuery, type ConversationState } from '../../workflows/definitions';

/** Signals an agent reply exactly as an integration does. */
export async function agentReply(
  client: Client,
  appId: string,
  userId: string,
  id: string,
  text: string,
  source = 'slack',
): Promise<void> {
  await client.workflow.getHandle(conversationWorkflowId(appId, userId)).signal(agentReplySignal, {
    id,
    source,
    agent: { name: 'Ana Agent', email: 'ana@example.com' },
    text,
    at: new Date().toISOString(),
  });
}

export async function conversationState(client: Client, appId: string, userId: string): Promise<ConversationState> {
  return client.workflow.getHandle(conversationWorkflowId(appId, userId)).query(conversationQuery);
}
