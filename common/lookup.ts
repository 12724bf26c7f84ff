/**
 * Finding a conversation by one of its references (a Slack channel, a Help Scout conversation, a mail thread),
 * through Temporal's visibility: the one lookup the vendor inbounds and the inbox share. Takes any client with a
 * `workflow.list` (Temporal's `Client` fits), so this module imports nothing of Temporal.
 */

/** The search attributes a conversation is found by (see workflows/definitions.ts). */
export type ConversationRef =
  'SlackChannel' | 'SlackThread' | 'ZendeskTicket' | 'HelpScoutConversation' | 'EmailThread';

export interface WorkflowLister {
  workflow: {
    list(options: { query: string; pageSize?: number }): AsyncIterable<{ workflowId: string }>;
  };
}

/** Values Parley writes into these attributes: vendor ids and hashes; anything else cannot match one. */
const SAFE_VALUE = /^[A-Za-z0-9._:@+-]{1,200}$/;

/** The workflow id of the app's running conversation with `ref = value`, or undefined. */
export async function findConversation(
  temporal: WorkflowLister,
  appId: string,
  ref: ConversationRef,
  value: string,
): Promise<string | undefined> {
  if (!SAFE_VALUE.test(value) || !SAFE_VALUE.test(appId)) return undefined;
  const query = `ParleyApp = "${appId}" AND ${ref} = "${value}" AND ExecutionStatus = "Running"`;
  for await (const execution of temporal.workflow.list({ query, pageSize: 1 })) return execution.workflowId;
  return undefined;
}

/**
 * The workflow ids of the app's active, running conversations assigned to `assignee` (a Slack user id), or to
 * nobody with `null`, newest started first, at most `max`: what a Home tab lists. An id that cannot be an
 * assignee's finds nothing.
 */
export async function assignedConversations(
  temporal: WorkflowLister,
  appId: string,
  assignee: string | null,
  max: number,
): Promise<string[]> {
  if (!SAFE_VALUE.test(appId) || (assignee !== null && !SAFE_VALUE.test(assignee))) return [];
  const who = assignee === null ? 'ParleyAssignee IS NULL' : `ParleyAssignee = "${assignee}"`;
  const query = `ParleyApp = "${appId}" AND ParleyStatus = "active" AND ${who} AND ExecutionStatus = "Running"`;
  const ids: string[] = [];
  for await (const execution of temporal.workflow.list({ query, pageSize: max })) {
    ids.push(execution.workflowId);
    if (ids.length >= max) break;
  }
  return ids;
}
