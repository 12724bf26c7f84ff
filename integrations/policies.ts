/** Each integration's outbox policy, as the API sends it to the conversation with every user message. */
import type { IntegrationTarget, OutboxPolicy } from '../common/conversation';
import { enabledIntegrations, type AppConfig, type IntegrationName } from '../common/config';
import { emailPolicy } from './email/policy';
import { helpScoutPolicy } from './helpscout/policy';
import { sinkPolicy } from './sink/policy';
import { slackPolicy } from './slack/policy';
import { zendeskPolicy } from './zendesk/policy';

export function outboxPolicyFor(app: AppConfig, name: IntegrationName): OutboxPolicy {
  switch (name) {
    case 'slack':
      return slackPolicy();
    case 'zendesk':
      return app.zendesk ? zendeskPolicy(app.zendesk) : { batchWindowMs: 0 };
    case 'helpscout':
      return helpScoutPolicy();
    case 'email':
      return app.email ? emailPolicy(app.email) : { batchWindowMs: 0 };
    case 'sink':
      return app.sink ? sinkPolicy(app.sink) : { batchWindowMs: 0 };
  }
}

/** The app's enabled integrations with their outbox policies, as the workflow wants them. */
export function integrationTargets(app: AppConfig): IntegrationTarget[] {
  return enabledIntegrations(app).map((name) => ({ name, policy: outboxPolicyFor(app, name) }));
}
