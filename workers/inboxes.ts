import type { Client } from '@temporalio/client';
import type { ParleyConfig } from '../common/config';
import { inboxWorkflowId } from '../common/ids';
import type { Logger } from '../common/logger';
import { INBOX_WORKFLOW_TYPE, ParleyApp, type InboxInput } from '../workflows/definitions';

/**
 * Makes sure every app with an `email` integration has its inbox watcher (`inbox:<appId>`) running: started when
 * missing, left alone when it runs (a second worker or a restart changes nothing).
 */
export async function ensureInboxes(client: Client, config: ParleyConfig, taskQueue: string, log: Logger) {
  for (const app of config.apps) {
    if (!app.email) continue;
    const handle = await client.workflow.start(INBOX_WORKFLOW_TYPE, {
      workflowId: inboxWorkflowId(app.id),
      taskQueue,
      args: [{ appId: app.id } satisfies InboxInput],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: ParleyApp, value: app.id }],
      staticSummary: `Inbox watcher of ${app.name ?? app.id}: ${app.email.imap.user ?? ''}@${app.email.imap.host} ${app.email.imap.mailbox}`,
    });
    log.info({ app: app.id, workflowId: handle.workflowId }, 'inbox watcher running');
  }
}
