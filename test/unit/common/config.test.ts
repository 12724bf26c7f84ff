import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  configWarnings,
  demoAdminKey,
  demoApiKey,
  enabledIntegrations,
  loadConfig,
  parseConfig,
} from '../../../common/config';
import { ConfigError } from '../../../common/errors';

const valid = `
server: { publicUrl: https://parley.example.com }
apps:
  - id: acme
    name: Acme
    apiKeys: [ "\${ACME_API_KEY}" ]
    webhooks: [ { url: https://acme.example.com/parley, secret: "\${ACME_WEBHOOK_SECRET}" } ]
    slack: { botToken: "\${SLACK_BOT_TOKEN}", signingSecret: "s3cret", installerUserId: U123 }
`;
const env = {
  ACME_API_KEY: 'acme-key-0123456789abcdef',
  ACME_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
  SLACK_BOT_TOKEN: 'xoxb-1',
};

describe('configuration', () => {
  it('parses the shape of DESIGN.md, substituting ${ENV} and filling defaults', () => {
    const config = parseConfig(valid, 'parley.config.yaml', env);
    const app = config.apps[0]!;
    expect(app.apiKeys).toEqual([env.ACME_API_KEY]);
    expect(app.webhooks[0]?.secret).toBe(env.ACME_WEBHOOK_SECRET);
    // Unset: the channel picked on Slack's Allow screen, else `general` (integrations/slack/installation.ts).
    expect(app.slack?.dispatchChannel).toBeUndefined();
    expect(app.slack?.apiUrl).toBe('https://slack.com/api/');
    expect(enabledIntegrations(app)).toEqual(['slack']);
  });

  it("reads Slack's access control: public channels and every member by default, or private and a list", () => {
    const slack = (extra: string) =>
      parseConfig(valid.replace('installerUserId: U123 }', `installerUserId: U123${extra} }`), 'p.yaml', env).apps[0]!
        .slack;
    expect(slack('')).toMatchObject({ privateChannels: false });
    expect(slack('')?.agents).toBeUndefined();
    expect(slack(', privateChannels: true, agents: [ U024BE7LH, W012A3CDE, S0614TZR7 ]')).toMatchObject({
      privateChannels: true,
      agents: ['U024BE7LH', 'W012A3CDE', 'S0614TZR7'],
    });
    expect(() => slack(', agents: [ "@ana" ]')).toThrow(
      /apps\[0\]\.slack\.agents\[0\]: must be a Slack user id \(U…, W…\) or user group id \(S…\)/,
    );
    expect(() => slack(', agents: [ C0123ABC ]')).toThrow(/agents\[0\]: must be a Slack user id/);
    expect(() => slack(', agents: []')).toThrow(/apps\[0\]\.slack\.agents: list at least one agent/);
    expect(() => slack(', privateChannels: yes please')).toThrow(/apps\[0\]\.slack\.privateChannels/);
  });

  it('reads the sink under its old name `test:` for one release, and refuses both at once', () => {
    const sink = (key: string) =>
      `apps:\n  - id: acme\n    apiKeys: [ acme-key-0123456789abcdef ]\n    ${key}: { url: http://127.0.0.1:9/ }\n`;
    const old = parseConfig(sink('test'), 'parley.config.yaml', {}).apps[0]!;
    expect(old.sink).toEqual({ url: 'http://127.0.0.1:9/', policy: { batchWindowMs: 0 } });
    expect(enabledIntegrations(old)).toEqual(['sink']);
    expect(parseConfig(sink('sink'), 'parley.config.yaml', {}).apps[0]!.sink?.url).toBe('http://127.0.0.1:9/');
    expect(configWarnings(parseConfig(sink('test'), 'p.yaml', {}), { apps: [{ test: {} }] })).toEqual([
      'apps[0].test (acme) is the old name of apps[0].sink: rename it; `test:` goes in a later release',
    ]);
    const both = `${sink('sink')}    test: { url: http://127.0.0.1:9/ }\n`;
    expect(() => parseConfig(both, 'p.yaml', {})).toThrow(/apps\[0\]\.test: `test` is the old name of `sink`/);
  });

  it('names the file, the field and the problem in one message', () => {
    const bad = valid.replace('id: acme', 'id: Acme Corp');
    expect(() => parseConfig(bad, '/etc/parley.yaml', env)).toThrow(
      /^\/etc\/parley\.yaml: apps\[0\]\.id: must be lowercase letters/,
    );
  });

  it('reports a missing environment variable with the field that needs it', () => {
    const { ACME_WEBHOOK_SECRET: _omit, ...partial } = env;
    expect(() => parseConfig(valid, 'p.yaml', partial)).toThrow(
      'p.yaml: apps[0].webhooks[0].secret: environment variable ACME_WEBHOOK_SECRET is not set',
    );
  });

  it('rejects unknown fields, bad YAML, duplicate apps and shared keys', () => {
    expect(() => parseConfig(valid.replace('name: Acme', 'nmae: Acme'), 'p.yaml', env)).toThrow(
      /apps\[0\]: Unrecognized key: "nmae"/,
    );
    expect(() => parseConfig('apps: [', 'p.yaml', env)).toThrow(ConfigError);
    const twice = `apps:\n  - { id: a, apiKeys: [ "key-a-0123456789ab" ] }\n  - { id: a, apiKeys: [ "key-b-0123456789ab" ] }\n`;
    expect(() => parseConfig(twice, 'p.yaml', env)).toThrow('p.yaml: apps[1].id: duplicate app id "a"');
    const shared = `apps:\n  - { id: a, apiKeys: [ "same-key-0123456789" ] }\n  - { id: b, apiKeys: [ "same-key-0123456789" ] }\n`;
    expect(() => parseConfig(shared, 'p.yaml', env)).toThrow(
      'p.yaml: apps[1].apiKeys[0]: API key already used by app "a"',
    );
  });

  it('reads admin keys at the top level, several at once, each of one scope only', () => {
    const admin = (keys: string) => `admin: { keys: [ ${keys} ] }\n${valid}`;
    const config = parseConfig(admin('"sk_admin_0123456789ab", "sk_admin_next_01234567"'), 'p.yaml', env);
    expect(config.admin?.keys).toEqual(['sk_admin_0123456789ab', 'sk_admin_next_01234567']);
    expect(parseConfig(valid, 'p.yaml', env).admin).toBeUndefined();
    expect(() => parseConfig(admin('"short"'), 'p.yaml', env)).toThrow(
      'p.yaml: admin.keys[0]: must be at least 16 characters',
    );
    expect(() => parseConfig(`admin: { keys: [] }\n${valid}`, 'p.yaml', env)).toThrow(
      'p.yaml: admin.keys: list at least one key',
    );
    expect(() => parseConfig(`admin: { key: "sk_admin_0123456789ab" }\n${valid}`, 'p.yaml', env)).toThrow(
      /admin: Unrecognized key: "key"/,
    );
    expect(() => parseConfig(admin(`"${env.ACME_API_KEY}"`), 'p.yaml', env)).toThrow(
      'p.yaml: apps[0].apiKeys[0]: this key is also an admin key (admin.keys): give each scope its own keys',
    );
  });

  it('generates the demo keys once with a prefix that says secret, and keeps an older Parley’s key', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-keys-'));
    try {
      const client = demoApiKey(home);
      expect(client).toMatch(/^sk_demo_[A-Za-z0-9_-]{32}$/);
      const admin = demoAdminKey(home);
      expect(admin).toEqual({
        key: expect.stringMatching(/^sk_admin_[A-Za-z0-9_-]{32}$/),
        file: path.join(home, 'demo-admin-key'),
      });
      expect(fs.statSync(admin.file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(home, 'demo-api-key')).mode & 0o777).toBe(0o600);
      expect(demoApiKey(home)).toBe(client);
      expect(demoAdminKey(home).key).toBe(admin.key);
      // A key an older Parley generated (`pk_demo_…`) is kept: nobody's scripts break on upgrade.
      fs.writeFileSync(path.join(home, 'demo-api-key'), 'pk_demo_olderParleyKey0123456789\n');
      expect(demoApiKey(home)).toBe('pk_demo_olderParleyKey0123456789');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('without a file runs the demo app with a key kept in .parley/', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cfg-'));
    const cwd = process.cwd();
    process.chdir(home);
    try {
      const first = loadConfig({ PARLEY_HOME: path.join(home, '.parley') });
      const second = loadConfig({ PARLEY_HOME: path.join(home, '.parley') });
      expect(first.config.apps.map((a) => a.id)).toEqual(['demo']);
      expect(first.demoKey).toBeDefined();
      expect(second.demoKey).toBe(first.demoKey);
      expect(demoApiKey(path.join(home, '.parley'))).toBe(first.demoKey);
      // And a demo admin key, in its own file: the start banner names the file, not the key.
      expect(first.demoAdminKeyFile).toBe(path.join(home, '.parley', 'demo-admin-key'));
      expect(first.config.admin?.keys).toEqual([demoAdminKey(path.join(home, '.parley')).key]);
      expect(second.config.admin).toEqual(first.config.admin);
      expect(first.config.admin?.keys).not.toContain(first.demoKey);
      expect(() => loadConfig({ PARLEY_CONFIG: path.join(home, 'missing.yaml') })).toThrow(
        /missing\.yaml: cannot read/,
      );
    } finally {
      process.chdir(cwd);
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('parley.config.example.yaml', () => {
  it('is a valid configuration', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'parley.config.example.yaml'), 'utf8');
    const config = parseConfig(text, 'parley.config.example.yaml', {
      ACME_API_KEY: 'acme-key-0123456789abcdef',
      ACME_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      PARLEY_ADMIN_KEY: 'sk_admin_0123456789abcdef',
    });
    expect(config.apps[0]?.webhooks).toHaveLength(1);
    expect(config.admin?.keys).toEqual(['sk_admin_0123456789abcdef']);
  });
});

describe('zendesk', () => {
  const zendesk = (extra = '') =>
    `apps:\n  - id: acme\n    apiKeys: [ acme-key-0123456789abcdef ]\n    zendesk: { url: https://acme.zendesk.com, email: ops@acme.com, apiToken: t${extra} }\n`;

  it('matches no user by the profile’s email unless trustUserEmail says the app verified it', () => {
    expect(parseConfig(zendesk(), 'p.yaml', {}).apps[0]?.zendesk).toMatchObject({
      trustUserEmail: false,
      updatesPerTenMinutes: 30,
    });
    expect(parseConfig(zendesk(', trustUserEmail: true'), 'p.yaml', {}).apps[0]?.zendesk?.trustUserEmail).toBe(true);
    expect(() => parseConfig(zendesk(', trustUserEmail: "yes"'), 'p.yaml', {})).toThrow(
      /apps\[0\]\.zendesk\.trustUserEmail: Invalid input: expected boolean/,
    );
  });
});

describe('email: sender authentication', () => {
  const app = (extra: string) => `
apps:
  - id: acme
    apiKeys: [ acme-key-0123456789abcdef ]
    email:
      smtp: { host: smtp.acme.com, port: 587 }
      imap: { host: imap.acme.com, port: 993 }
      from: parley@acme.com
      teamAddresses: [ team@acme.com ]
      allowedSenders: [ '@acme.com' ]
      replyAddress: parley@acme.com
${extra}`;

  it('is off by default, and takes one authserv-id or several', () => {
    expect(parseConfig(app(''), 'p.yaml', {}).apps[0]!.email).toMatchObject({ requireAuthenticatedSender: false });
    expect(parseConfig(app(''), 'p.yaml', {}).apps[0]!.email?.authServId).toBeUndefined();
    const one = parseConfig(
      app('      requireAuthenticatedSender: true\n      authServId: mx.google.com'),
      'p.yaml',
      {},
    );
    expect(one.apps[0]!.email).toMatchObject({ requireAuthenticatedSender: true, authServId: 'mx.google.com' });
    const several = app('      requireAuthenticatedSender: true\n      authServId: [mx1.acme.com, mx2.acme.com]');
    expect(parseConfig(several, 'p.yaml', {}).apps[0]!.email?.authServId).toEqual(['mx1.acme.com', 'mx2.acme.com']);
  });

  it('refuses an authServId that would do nothing, and names the field', () => {
    expect(() => parseConfig(app('      authServId: mx.google.com'), 'p.yaml', {})).toThrow(
      /apps\[0\]\.email\.authServId.*requireAuthenticatedSender: true/,
    );
    expect(() => parseConfig(app('      requireAuthenticatedSender: yes-please'), 'p.yaml', {})).toThrow(ConfigError);
  });
});
