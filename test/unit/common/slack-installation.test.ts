import { installationKey, refreshTime, SLACK_INSTALLATION_QUERY } from '../../../common/slack-installation';
import { slackInstallationQuery } from '../../../workflows/definitions';

const H = 3_600_000;

describe('Slack installations', () => {
  test.each([
    ['a 12-hour token: an hour before expiry', 12 * H, 11 * H],
    ['a 2-hour token: an hour before', 2 * H, 1 * H],
    ['a 1-hour token: half-way', 1 * H, 0.5 * H],
    ['a 4-second token: half-way', 4_000, 2_000],
    ['an expired token: now', 0, 0],
  ])('%s', (_what, lifetime, after) => {
    expect(refreshTime(1_000, 1_000 + lifetime)).toBe(1_000 + after);
  });

  test('the workflow key is the team, or the enterprise of an org-wide install; anything else is refused', () => {
    expect(installationKey({ teamId: 'T123', isEnterpriseInstall: false })).toBe('T123');
    expect(installationKey({ teamId: 'T123', enterpriseId: 'E9', isEnterpriseInstall: false })).toBe('T123');
    expect(installationKey({ enterpriseId: 'E9', isEnterpriseInstall: true })).toBe('E9');
    expect(() => installationKey({ teamId: 'T1"; DROP', isEnterpriseInstall: false })).toThrow();
    expect(() => installationKey({ isEnterpriseInstall: false })).toThrow();
  });

  test('the query name common/ reads by is the one the workflow defines', () => {
    expect(slackInstallationQuery.name).toBe(SLACK_INSTALLATION_QUERY);
  });
});
