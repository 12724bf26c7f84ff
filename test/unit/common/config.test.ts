import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configWarnings, demoApiKey, enabledIntegrations, loadConfig, parseConfig } from '../../../common/config';
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
    expect(app.slack?.dispatchChannel).toBe('general');
    expect(app.slack?.apiUrl).toBe('https://slack.com/api/');
    expect(enabledIntegrations(app)).toEqual(['slack']);
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
    });
    expect(config.apps[0]?.webhooks).toHaveLength(1);
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
