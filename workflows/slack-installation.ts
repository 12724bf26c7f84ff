/**
 * One Slack workspace's installation (type `slackInstallation`, id `slack-installation:<teamId>`): the one writer of
 * its tokens. It refreshes a rotating token about an hour before it expires, on a durable timer, so two workers never
 * race a refresh (Slack's refresh tokens are single-use: a second refresh with the same one fails for good). When
 * Slack refuses the refresh token, or says the app was uninstalled or its tokens revoked, the installation turns
 * `needs_reinstall`; the Slack outboxes then pause on their own (the send activity reads the status), and the next
 * install resumes every one of them. Secrets arrive sealed and stay sealed: this code never sees a token.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type {
  SlackInstallationRecord,
  SlackInstallationState,
  SlackReinstallReason,
} from '../common/slack-installation';
import {
  installSlackUpdate,
  ParleyApp,
  slackInstallationEventSignal,
  slackInstallationQuery,
  type SlackInstallationInput,
} from './definitions';

const { refreshSlackToken } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Transient faults (Slack down, a timeout) are retried for up to 20 minutes; the loop tries again after that.
  scheduleToCloseTimeout: '20 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { resumeSlackOutboxes } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

// "When one can still be posted": after an uninstall no token works, so a couple of tries and no more.
const { postSlackInstallationNotice } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
});

/** Slack's refresh answers after which only a new install helps. */
const FATAL_REFRESH: Record<string, SlackReinstallReason> = {
  slack_invalid_refresh_token: 'invalid_refresh_token',
  slack_token_revoked: 'token_revoked',
  slack_app_uninstalled: 'app_uninstalled',
  slack_invalid_auth: 'invalid_auth',
  slack_account_inactive: 'account_inactive',
};

/** A refresh that failed for another reason (a wrong client secret, retries exhausted) is tried again after this. */
const RETRY_FAILED_REFRESH_MS = 5 * 60_000;

/** Same rule as common/slack-installation.ts `refreshTime` (workflows import only the domain modules' values). */
function refreshTime(obtainedAt: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - obtainedAt);
  return obtainedAt + Math.max(lifetime - 3_600_000, lifetime / 2);
}

function failureOf(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'ApplicationFailure', message: cause.message };
  return { type: 'unknown', message: cause instanceof Error ? cause.message : String(cause) };
}

export async function slackInstallation(input: SlackInstallationInput): Promise<void> {
  const now = (): string => new Date(Date.now()).toISOString();
  const state: SlackInstallationState = input.state ?? {
    key: input.key,
    status: 'pending',
    updatedAt: now(),
    generation: 0,
    installs: 0,
    refreshes: 0,
  };
  let replaced = false;

  function needsReinstall(reason: SlackReinstallReason): void {
    if (state.status === 'needs_reinstall') return;
    state.status = 'needs_reinstall';
    state.reason = reason;
    state.reasonAt = now();
    state.refreshAt = undefined;
    state.updatedAt = state.reasonAt;
    state.pending = { ...state.pending, notice: true };
  }

  setHandler(slackInstallationQuery, () => state);

  setHandler(
    installSlackUpdate,
    (record: SlackInstallationRecord) => {
      // The app is found by it (common/slack-installation.ts `findInstallationKey`); the API starts the workflow with it.
      if (state.appId !== record.appId) upsertSearchAttributes([{ key: ParleyApp, value: record.appId }]);
      const at = Date.now();
      Object.assign(state, record);
      // A field the new install does not have must not survive from the old one.
      if (record.refreshToken === undefined) state.refreshToken = undefined;
      if (record.expiresAt === undefined) state.expiresAt = undefined;
      if (record.incomingWebhook === undefined) state.incomingWebhook = undefined;
      state.status = 'active';
      state.reason = undefined;
      state.reasonAt = undefined;
      state.lastError = undefined;
      state.installedAt = new Date(at).toISOString();
      state.updatedAt = state.installedAt;
      state.generation += 1;
      state.installs += 1;
      state.refreshAt = record.expiresAt !== undefined ? refreshTime(at, record.expiresAt) : undefined;
      // Every install resumes the app's Slack outboxes: those paused for a reinstall, and any that waited for the
      // first install.
      state.pending = { ...state.pending, resume: true, notice: false };
      return state;
    },
    {
      validator: (record: SlackInstallationRecord) => {
        // A workspace is bound to one app: another app's install must not take it over (and its conversations).
        if (state.appId !== undefined && state.appId !== record.appId && state.status !== 'needs_reinstall')
          throw new Error(`this Slack workspace is installed for app "${state.appId}"`);
        if (!record.token) throw new Error('an install needs a bot token');
      },
    },
  );

  setHandler(slackInstallationEventSignal, ({ kind }) => {
    if (kind === 'replaced') {
      replaced = true;
      return;
    }
    needsReinstall(kind);
  });

  async function refresh(): Promise<void> {
    const generation = state.generation;
    const appId = state.appId;
    const refreshToken = state.refreshToken;
    if (!appId || !refreshToken) {
      state.refreshAt = undefined;
      return;
    }
    try {
      const next = await refreshSlackToken({ appId, key: state.key, refreshToken });
      // A reinstall while the refresh ran brought newer tokens: they win.
      if (state.generation !== generation || state.status !== 'active') return;
      const at = Date.now();
      state.token = next.token;
      state.refreshToken = next.refreshToken;
      state.expiresAt = next.expiresAt;
      state.scopes = next.scopes.length > 0 ? next.scopes : (state.scopes ?? []);
      state.generation += 1;
      state.refreshes += 1;
      state.lastError = undefined;
      state.updatedAt = new Date(at).toISOString();
      state.refreshAt = refreshTime(at, next.expiresAt);
    } catch (err) {
      if (state.generation !== generation) return;
      const failure = failureOf(err);
      state.lastError = { code: failure.type, message: failure.message, at: now() };
      const reason = FATAL_REFRESH[failure.type];
      if (reason) needsReinstall(reason);
      else state.refreshAt = Date.now() + RETRY_FAILED_REFRESH_MS;
    }
  }

  const shouldContinue = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000;

  for (;;) {
    if (replaced || shouldContinue()) break;
    if (state.pending?.resume && state.appId) {
      const appId = state.appId;
      state.pending = { ...state.pending, resume: false };
      await resumeSlackOutboxes({ appId });
      continue;
    }
    if (state.pending?.notice && state.appId && state.reason) {
      state.pending = { ...state.pending, notice: false };
      try {
        await postSlackInstallationNotice({ appId: state.appId, key: state.key, reason: state.reason });
      } catch {
        // Expected after an uninstall: the notice is a courtesy, the outboxes show the pause either way.
      }
      continue;
    }
    const generation = state.generation;
    const status = state.status;
    const woken = () =>
      replaced ||
      state.generation !== generation ||
      state.status !== status ||
      Boolean(state.pending?.resume || state.pending?.notice);
    const due = state.status === 'active' ? state.refreshAt : undefined;
    if (due === undefined) {
      await condition(() => woken() || shouldContinue());
      continue;
    }
    const wait = due - Date.now();
    if (wait > 0 && (await condition(woken, wait))) continue;
    await refresh();
  }

  await condition(allHandlersFinished);
  if (replaced) return;
  await continueAsNew<typeof slackInstallation>({ key: state.key, state });
}
