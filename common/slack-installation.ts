/**
 * A Slack workspace's installation of Parley (the OAuth install, "Add to Slack"), as its workflow holds it: one
 * `slackInstallation` workflow per workspace, id `slack-installation:<teamId>` (an org-wide Enterprise Grid install,
 * which has no team, is `slack-installation:<enterpriseId>`: Slack's `E…` ids never collide with `T…` ones). Secrets
 * are sealed (common/seal.ts) before they reach the workflow; this module imports nothing, so the workflow, the
 * activities and the API all share it.
 */

export const SLACK_INSTALLATION_WORKFLOW_TYPE = 'slackInstallation';
/** The query's name; workflows/definitions.ts defines it with this name (a unit test checks they agree). */
export const SLACK_INSTALLATION_QUERY = 'slackInstallation';

/** `active`: tokens work; `needs_reinstall`: Slack refused them for good, until someone installs again. */
export type SlackInstallationStatus = 'pending' | 'active' | 'needs_reinstall';

/** Why an installation needs a reinstall: Slack's word for it. */
export type SlackReinstallReason =
  | 'invalid_refresh_token'
  | 'token_revoked'
  | 'tokens_revoked'
  | 'app_uninstalled'
  | 'invalid_auth'
  | 'account_inactive';

export const REINSTALL_REASONS: readonly SlackReinstallReason[] = [
  'invalid_refresh_token',
  'token_revoked',
  'tokens_revoked',
  'app_uninstalled',
  'invalid_auth',
  'account_inactive',
];

/** What one OAuth install (or a token refresh) gives Parley, secrets sealed. */
export interface SlackInstallationRecord {
  appId: string;
  teamId?: string;
  teamName?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  isEnterpriseInstall: boolean;
  /** Slack's id of the Slack app (`A…`). */
  slackAppId?: string;
  botUserId?: string;
  botId?: string;
  scopes: string[];
  /** Sealed bot token. */
  token: string;
  /** Sealed refresh token (token rotation on). */
  refreshToken?: string;
  /** When the bot token expires, epoch ms (token rotation on). */
  expiresAt?: number;
  incomingWebhook?: {
    channel?: string;
    channelId?: string;
    configurationUrl?: string;
    /** Sealed: the webhook URL posts into the channel without any other credential. */
    url?: string;
  };
  installerUserId?: string;
}

export interface SlackInstallationState extends Partial<SlackInstallationRecord> {
  /** The workflow's key: the team id, or the enterprise id of an org-wide install. */
  key: string;
  status: SlackInstallationStatus;
  reason?: SlackReinstallReason;
  reasonAt?: string;
  installedAt?: string;
  updatedAt: string;
  /** Bumped whenever the token changes (install or refresh): caches compare it. */
  generation: number;
  installs: number;
  refreshes: number;
  /** The next refresh, epoch ms (while active with an expiring token). */
  refreshAt?: number;
  lastError?: { code: string; message: string; at: string };
  /** Continue-as-new carries what the install left to do. */
  pending?: { resume?: boolean; notice?: boolean };
}

/** A refreshed token set, as the refresh activity returns it (sealed). */
export interface SlackTokenRefresh {
  token: string;
  refreshToken: string;
  expiresAt: number;
  scopes: string[];
}

/** The workflow key of an installation: the team, or the enterprise of an org-wide install. */
export function installationKey(install: { teamId?: string; enterpriseId?: string; isEnterpriseInstall: boolean }) {
  const key = install.isEnterpriseInstall ? install.enterpriseId : (install.teamId ?? install.enterpriseId);
  if (!key || !/^[A-Z0-9]{2,32}$/.test(key)) throw new Error('an installation needs a team or enterprise id');
  return key;
}

export function installationWorkflowId(key: string): string {
  return `slack-installation:${key}`;
}

/**
 * When to refresh a token that expires at `expiresAt`, obtained at `obtainedAt`: an hour before expiry (Slack's
 * tokens live 12 hours), or half-way through a lifetime shorter than two hours.
 */
export function refreshTime(obtainedAt: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - obtainedAt);
  return obtainedAt + Math.max(lifetime - 3_600_000, lifetime / 2);
}

export interface InstallationReader {
  workflow: {
    list(options: { query: string; pageSize?: number }): AsyncIterable<{ workflowId: string }>;
    getHandle(workflowId: string): { query<R>(name: string): Promise<R> };
  };
}

/** The installation workflow by key (`slack-installation:<key>`), or undefined when there is none. */
export async function readInstallation(
  temporal: InstallationReader,
  key: string,
): Promise<SlackInstallationState | undefined> {
  try {
    return await temporal.workflow
      .getHandle(installationWorkflowId(key))
      .query<SlackInstallationState>(SLACK_INSTALLATION_QUERY);
  } catch (err) {
    if ((err as { name?: string }).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** The workflow key of the app's installation (through visibility: installs wait until it shows), or undefined. */
export async function findInstallationKey(temporal: InstallationReader, appId: string): Promise<string | undefined> {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(appId)) return undefined;
  const query = `WorkflowType = "${SLACK_INSTALLATION_WORKFLOW_TYPE}" AND ParleyApp = "${appId}" AND ExecutionStatus = "Running"`;
  for await (const execution of temporal.workflow.list({ query, pageSize: 1 }))
    return execution.workflowId.slice('slack-installation:'.length);
  return undefined;
}
