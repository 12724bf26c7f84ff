import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  createNonceRegistry,
  installationEventOf,
  newClaims,
  reinstallNoticeText,
  SLACK_BOT_SCOPES,
  SLACK_INSTALL_SCOPES,
  signClaims,
  unverifiedApp,
  verifyClaims,
} from '../../../../integrations/slack/oauth';

const secret = 'client-secret-of-the-app';
const now = 1_800_000_000_000;

describe('signed state and install links', () => {
  const good = signClaims(secret, 'state', newClaims('acme', 600, now));

  test.each([
    ['accepted', good, { app: 'acme', nowMs: now }, 'ok'],
    ['expired', good, { app: 'acme', nowMs: now + 601_000 }, 'expired'],
    ['another app', good, { app: 'beta', nowMs: now }, 'wrong_app'],
    [
      'another secret',
      signClaims('other', 'state', newClaims('acme', 600, now)),
      { app: 'acme', nowMs: now },
      'bad_signature',
    ],
    [
      'an install link is no state',
      signClaims(secret, 'install-link', newClaims('acme', 600, now)),
      { app: 'acme', nowMs: now },
      'bad_signature',
    ],
    [
      'a claim changed',
      `${Buffer.from('{"app":"acme","exp":9999999999,"nonce":"x"}').toString('base64url')}.${good.split('.')[1]}`,
      { app: 'acme', nowMs: now },
      'bad_signature',
    ],
    ['malformed', 'not-a-token', { app: 'acme', nowMs: now }, 'malformed'],
    ['too long', 'a'.repeat(3000), { app: 'acme', nowMs: now }, 'malformed'],
  ])('%s', (_what, token, expected, outcome) => {
    const result = verifyClaims(secret, 'state', token, expected);
    expect(result.ok ? 'ok' : result.reason).toBe(outcome);
  });

  test('the app is read before the check (to pick its secret), and a redirect URI rides along', () => {
    expect(unverifiedApp(good)).toBe('acme');
    expect(unverifiedApp('garbage')).toBeUndefined();
    const withUri = signClaims(secret, 'state', {
      ...newClaims('acme', 600, now),
      redirectUri: 'https://p/slack/oauth_redirect',
    });
    const result = verifyClaims(secret, 'state', withUri, { app: 'acme', nowMs: now });
    expect(result.ok && result.claims.redirectUri).toBe('https://p/slack/oauth_redirect');
  });

  test('a nonce is good once until it expires; the registry stays bounded', () => {
    const used = createNonceRegistry(3);
    expect(used.use('a', now + 1000, now)).toBe(true);
    expect(used.use('a', now + 1000, now)).toBe(false);
    for (const n of ['b', 'c', 'd', 'e']) used.use(n, now + 1000, now);
    expect(used.use('e', now + 1000, now)).toBe(false);
  });
});

describe('scopes', () => {
  test('Parley asks for exactly the manifest scopes, with incoming-webhook for the channel picker', () => {
    const manifest = YAML.parse(
      fs.readFileSync(path.resolve(__dirname, '../../../../slack-app-manifest.yaml'), 'utf8'),
    ) as {
      oauth_config: { scopes: { bot: string[] }; redirect_urls: string[] };
      settings: { token_rotation_enabled: boolean; event_subscriptions: { bot_events: string[] } };
    };
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...SLACK_INSTALL_SCOPES].sort());
    expect(SLACK_BOT_SCOPES).not.toContain('incoming-webhook');
    expect(manifest.oauth_config.redirect_urls).toEqual(['https://parley.example.com/slack/oauth_redirect']);
    expect(manifest.settings.token_rotation_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['app_uninstalled', 'tokens_revoked']),
    );
  });
});

describe('lifecycle events', () => {
  test('app_uninstalled and tokens_revoked, as Slack sends them; other events are not', () => {
    expect(
      installationEventOf({
        type: 'event_callback',
        team_id: 'T1',
        event: { type: 'tokens_revoked', tokens: { oauth: [], bot: ['U0BOT'] } },
      }),
    ).toEqual({ kind: 'tokens_revoked', teamId: 'T1', botUserIds: ['U0BOT'] });
    expect(
      installationEventOf({
        type: 'event_callback',
        team_id: 'T1',
        enterprise_id: 'E1',
        event: { type: 'app_uninstalled' },
      }),
    ).toEqual({
      kind: 'app_uninstalled',
      teamId: 'T1',
      enterpriseId: 'E1',
      botUserIds: [],
    });
    expect(
      installationEventOf({ type: 'event_callback', team_id: 'T1', event: { type: 'channel_archive' } }),
    ).toBeUndefined();
    expect(installationEventOf({ type: 'url_verification', challenge: 'x' })).toBeUndefined();
  });

  test('the reinstall notice escapes what it names', () => {
    const text = reinstallNoticeText('<!channel> & co', 'invalid_refresh_token', 'https://p.example/', 'acme');
    expect(text).toContain('&lt;!channel&gt; &amp; co');
    expect(text).toContain('https://p.example/slack/install?app=acme');
    expect(text).not.toContain('<!channel>');
  });
});
