import { randomBytes } from 'node:crypto';
import { createSealer } from '../../../../common/seal';
import type { SlackInstallationState } from '../../../../common/slack-installation';
import { isIntegrationError } from '../../../../common/errors';
import {
  createRotatingSlackClient,
  createSlackCredentialSource,
  dispatchChannelOf,
} from '../../../../integrations/slack/installation';
import { startSlackEmulator } from '../../../emulators/slack';

const sealer = createSealer([{ id: 'k', key: randomBytes(32) }]);

/** An installation workflow as the query answers it, read through a fake visibility and query, counted. */
function fakeTemporal(state: () => SlackInstallationState | undefined) {
  const counts = { list: 0, query: 0 };
  return {
    counts,
    workflow: {
      list: () => {
        counts.list += 1;
        const s = state();
        // Visibility answers an async iterable of executions.
        const found = s ? [{ workflowId: `slack-installation:${s.key}` }] : [];
        return {
          [Symbol.asyncIterator]: () => {
            const it = found[Symbol.iterator]();
            return { next: () => Promise.resolve(it.next()) };
          },
        };
      },
      getHandle: () => ({
        query: <R>() => {
          counts.query += 1;
          return Promise.resolve(state() as R);
        },
      }),
    },
  };
}

const installed = (over: Partial<SlackInstallationState> = {}): SlackInstallationState => ({
  key: 'T1',
  appId: 'acme',
  status: 'active',
  updatedAt: new Date().toISOString(),
  generation: 1,
  installs: 1,
  refreshes: 0,
  token: sealer.seal('xoxe.xoxb-first'),
  expiresAt: Date.now() + 3_600_000,
  incomingWebhook: { channel: 'support', channelId: 'C0SUPPORT' },
  ...over,
});

const oauthApp = { id: 'acme', slack: { clientId: 'cid' } };

describe('Slack credentials', () => {
  test('a static token needs no installation', async () => {
    const temporal = fakeTemporal(() => undefined);
    const source = createSlackCredentialSource({ temporal, sealer });
    await expect(source.get({ id: 'a', slack: { botToken: 'xoxb-static' } })).resolves.toMatchObject({
      token: 'xoxb-static',
      dispatchChannel: 'general',
      source: 'static',
    });
    expect(temporal.counts.list).toBe(0);
  });

  test('an OAuth app: not installed, installed (token opened, channel picked at install), needs a reinstall', async () => {
    let state: SlackInstallationState | undefined;
    let clock = 1_000_000;
    const source = createSlackCredentialSource({ temporal: fakeTemporal(() => state), sealer, now: () => clock });
    const error = await source.get(oauthApp).catch((err: unknown) => err);
    expect(isIntegrationError(error, 'slack_not_installed')).toBe(true);

    state = installed({ expiresAt: clock + 3_600_000 });
    clock += 3_000; // a missing installation is asked again after 2 s
    await expect(source.get(oauthApp)).resolves.toMatchObject({
      token: 'xoxe.xoxb-first',
      dispatchChannel: 'C0SUPPORT',
      source: 'oauth',
    });
    state = installed({ status: 'needs_reinstall', reason: 'invalid_refresh_token' });
    source.invalidate('acme');
    const paused = await source.get(oauthApp).catch((err: unknown) => err);
    expect(isIntegrationError(paused, 'slack_needs_reinstall')).toBe(true);
    expect((paused as Error).message).toContain('invalid_refresh_token');
  });

  test('reads are cached for the TTL and never past the token’s last 10 seconds', async () => {
    let clock = 1_000_000;
    const state = installed({ expiresAt: clock + 60_000 });
    const temporal = fakeTemporal(() => state);
    const source = createSlackCredentialSource({ temporal, sealer, ttlMs: 30_000, now: () => clock });
    await source.get(oauthApp);
    await source.get(oauthApp);
    expect(temporal.counts.query).toBe(1);
    clock += 31_000;
    await source.get(oauthApp);
    expect(temporal.counts.query).toBe(2);
    clock += 21_000; // 8 s before expiry: read again
    await source.get(oauthApp);
    expect(temporal.counts.query).toBe(3);
  });

  test('a refresh here is the newest token at once; a lagging read does not bring the old one back', async () => {
    const clock = 1_000_000;
    const state = installed({ expiresAt: clock + 60_000 });
    const source = createSlackCredentialSource({ temporal: fakeTemporal(() => state), sealer, now: () => clock });
    await source.get(oauthApp);
    source.rotated('acme', 'xoxe.xoxb-second', clock + 120_000);
    expect(source.newest('acme')).toBe('xoxe.xoxb-second');
    await expect(source.get(oauthApp)).resolves.toMatchObject({ token: 'xoxe.xoxb-second' });
  });

  test('the dispatch channel: config first, then the one picked at install, then general', () => {
    expect(dispatchChannelOf({ dispatchChannel: 'ops' }, { incomingWebhook: { channelId: 'C1' } })).toBe('ops');
    expect(dispatchChannelOf({}, { incomingWebhook: { channelId: 'C1' } })).toBe('C1');
    expect(dispatchChannelOf({}, undefined)).toBe('general');
  });

  test('the rotating client sends each call with the newest token', async () => {
    const slack = await startSlackEmulator();
    try {
      let token = slack.botToken;
      const client = createRotatingSlackClient(slack.apiUrl, () => token);
      await client.auth.test();
      token = 'xoxb-second-emulated';
      slack.addToken(token);
      await client.auth.test();
      expect(slack.calls.filter((c) => c.method === 'auth.test').map((c) => c.token)).toEqual([
        slack.botToken,
        'xoxb-second-emulated',
      ]);
    } finally {
      await slack.close();
    }
  });
});
