/**
 * Secrets never reach a log line, at any depth: a full config (every secret a unique marker), the encryption settings
 * and an HTTP request with Authorization and cookies go through Parley's real logger, and the written lines hold no
 * marker. And the rest of the line is still there: redaction censors secrets, not the log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { encryptionSettings } from '../../../common/codec';
import { configSchema, type ParleyConfig } from '../../../common/config';
import { IntegrationError } from '../../../common/errors';
import { createLogger, isSecretKey, redactSecrets, REDACTED } from '../../../common/logger';
import { createSlackClient } from '../../../integrations/slack/client';

/** A unique marker per secret: found in the output means leaked. */
const markers: string[] = [];
function marker(label: string): string {
  const m = `MARK${markers.length}${label.replace(/[^a-z]/gi, '')}Z`.padEnd(20, 'q');
  markers.push(m);
  return m;
}
const leaked = (text: string) => markers.filter((m) => text.includes(m));

function capture(level = 'trace') {
  const lines: string[] = [];
  const log = createLogger({ level, name: 'logger-test', destination: { write: (line: string) => lines.push(line) } });
  return { log, text: () => lines.join(''), lines };
}

function fullConfig(): ParleyConfig {
  const mail = (who: string) => ({
    host: 'mail.example',
    port: 587,
    user: `${who}@example.com`,
    pass: marker(`${who}Pass`),
  });
  return configSchema.parse({
    server: { publicUrl: 'https://parley.example.com' },
    apps: [
      {
        id: 'acme',
        name: 'Acme',
        apiKeys: [marker('apiKey1'), marker('apiKey2')],
        webhooks: [{ url: 'https://acme.example.com/parley', secret: marker('webhookSecret') }],
        slack: {
          botToken: marker('botToken'),
          signingSecret: marker('signingSecret'),
          installerUserId: 'U123',
          apiUrl: 'https://slack.example/api/',
        },
        zendesk: { url: 'https://acme.zendesk.example', email: 'ops@acme.example', apiToken: marker('zendeskToken') },
        helpscout: { clientId: 'hs-client', clientSecret: marker('hsClientSecret'), mailbox: 'Support' },
        email: {
          smtp: mail('smtp'),
          imap: mail('imap'),
          from: 'Acme Support <support@acme.example>',
          teamAddresses: ['team@acme.example'],
          allowedSenders: ['@acme.example'],
          replyAddress: 'support@acme.example',
          tokenSecret: marker('tokenSecret'),
        },
        sink: { url: 'https://sink.example/' },
      },
    ],
  });
}

/** Every property name the config schema knows, from its JSON Schema. */
function configKeyNames(): string[] {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const properties = (node as { properties?: Record<string, unknown> }).properties;
    if (properties) for (const name of Object.keys(properties)) names.add(name);
    Object.values(node).forEach(visit);
  };
  visit(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));
  return [...names].sort();
}

describe('log redaction', () => {
  it('censors every secret of a full config, logged whole, nested, as a child binding and inside an error', () => {
    const config = fullConfig();
    const app = config.apps[0]!;
    const { log, text } = capture();
    log.info({ config }, 'config loaded');
    log.info(config as unknown as Record<string, unknown>, 'config merged into the line');
    log.warn({ app }, 'one app');
    log.debug({ apps: config.apps, slack: app.slack, smtp: app.email?.smtp }, 'pieces');
    log.child({ app }).info('a child logger bound to an app');
    log
      .child({ deep: { deeper: { config } } })
      .child({ email: app.email })
      .warn('children of children');
    const err = Object.assign(new Error('connect failed'), { config: app, options: { auth: app.email?.imap } });
    log.error({ err }, 'an error carrying config');
    log.error(err);
    // The shape the Temporal worker logs an activity failure in (`{ error }`, via workers/runtime.ts).
    const cause = Object.assign(new IntegrationError('slack_unavailable', 'down', { retryable: true, cause: err }), {
      request: app,
    });
    log.warn(
      { error: ApplicationFailure.create({ type: 'slack_unavailable', cause }), durationMs: 3 },
      'Activity failed',
    );

    expect(leaked(text())).toEqual([]);
    // Censored, not dropped: the line still says what it was about.
    const first = JSON.parse(text().split('\n')[0]!);
    expect(first.config.apps[0]).toMatchObject({
      id: 'acme',
      apiKeys: REDACTED,
      webhooks: [{ url: 'https://acme.example.com/parley', secret: REDACTED }],
      slack: { botToken: REDACTED, signingSecret: REDACTED, apiUrl: 'https://slack.example/api/' },
      zendesk: { email: 'ops@acme.example', apiToken: REDACTED },
      email: { smtp: { host: 'mail.example', user: 'smtp@example.com', pass: REDACTED }, tokenSecret: REDACTED },
    });
    expect(text()).toContain('connect failed');
  });

  it('censors PARLEY_ENCRYPTION_KEYS and PARLEY_CODEC_TOKEN, as variables and as parsed settings', () => {
    const key = Buffer.from(marker('encryptionKey').padEnd(32, 'k').slice(0, 32));
    markers.push(key.toString('base64'), key.toString('hex'));
    const env = { PARLEY_ENCRYPTION_KEYS: `k1:${key.toString('base64')}`, PARLEY_CODEC_TOKEN: marker('codecToken') };
    const { log, text } = capture();
    log.info({ env }, 'environment');
    log.info({ encryption: encryptionSettings(env) }, 'encryption settings');
    log.info({ keys: encryptionSettings(env).keys }, 'keys');
    expect(leaked(text())).toEqual([]);
    expect(text()).toContain('"corsOrigins":["http://localhost:8233","http://127.0.0.1:8233"]');
  });

  it('censors a real request: Authorization, Cookie, Set-Cookie and signature headers, and Bearer tokens in text', async () => {
    const apiKey = marker('bearer').toLowerCase();
    const cookie = marker('cookie');
    const signature = marker('slackSignature');
    const { log, text } = capture();
    const server = http.createServer((req, res) => {
      log.info({ req: { method: req.method, url: req.url, headers: req.headers } }, 'request');
      log.info({ headers: req.headers }, 'headers');
      log.info({ req }, 'the IncomingMessage itself');
      log.info({ response: { headers: { 'set-cookie': [`sid=${cookie}`] } } }, 'response');
      log.warn(`retrying with Authorization: Bearer ${apiKey}`);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/v1/apps/acme/users/jane/messages?x=1`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          cookie: `parley_codec=${cookie}; theme=dark`,
          'x-slack-signature': `v0=${signature}`,
          'x-zendesk-webhook-signature': signature,
        },
        body: '{}',
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(leaked(text())).toEqual([]);
    expect(text()).toContain('/v1/apps/acme/users/jane/messages?x=1');
    expect(text()).toContain('"authorization":"[redacted]"');
    expect(text()).toContain('[IncomingMessage]');
  });

  it("censors the Slack SDK's own errors and a token written in a message", async () => {
    const token = `xoxb-${marker('slackToken')}`;
    const { log, text } = capture();
    const err = await createSlackClient({ botToken: token, apiUrl: 'http://127.0.0.1:9/' })
      .chat.postMessage({ channel: 'C1', text: 'x' })
      .catch((e: unknown) => e);
    log.error({ err }, 'slack failed');
    log.info({ note: `the token was ${token}` }, `token ${token}`);
    expect(leaked(text())).toEqual([]);
    expect(text()).toContain('slack failed');
  });

  it('names a secret by its key, whatever its case or separators', () => {
    for (const key of [
      'apiKey',
      'apiKeys',
      'keys',
      'botToken',
      'signingSecret',
      'clientSecret',
      'apiToken',
      'token',
      'access_token',
      'refreshToken',
      'pass',
      'password',
      'secret',
      'tokenSecret',
      'authorization',
      'Authorization',
      'cookie',
      'set-cookie',
      'x-slack-signature',
      'X-Zendesk-Webhook-Signature',
      'x-helpscout-signature',
      'X-Parley-Signature',
      'PARLEY_ENCRYPTION_KEYS',
      'PARLEY_CODEC_TOKEN',
    ])
      expect([key, isSecretKey(key)]).toEqual([key, true]);
    for (const key of ['id', 'key', 'app', 'url', 'email', 'user', 'host', 'ticket', 'code', 'tokenCount', 'outbox'])
      expect([key, isSecretKey(key)]).toEqual([key, false]);
  });

  it('knows every key of the config schema as secret or not (a new key must be placed here)', () => {
    const secret = new Set([
      'apiKeys',
      'apiToken',
      'botToken',
      'clientSecret',
      'keys',
      'pass',
      'secret',
      'signingSecret',
      'tokenSecret',
      'secretAccessKey',
    ]);
    const plain = new Set(
      (
        'allowedSenders apiUrl apps batchWindowMs budget clientId copyAgentReplies digestSeconds dispatchChannel email ' +
        'from helpscout host id imap installerUserId mailbox max maxRecheckMs name periodMs policy port publicUrl ' +
        'recheckMs replyAddress secure server sink slack smtp teamAddresses test updatesPerTenMinutes url user ' +
        'watchSessionMs webhooks zendesk admin agents authServId privateChannels requireAuthenticatedSender ' +
        'trustUserEmail control default emailAfter emailsVerified linkUrl offline ' +
        // Limits (issue 15).
        'apiReplicas burst limits maxMailBytes messagesPerSecond newConversationsPerMinute perUser conversationBacklog ' +
        'messages bytes ' +
        'storage kind path bucket endpoint region accessKeyId forcePathStyle prefix urlTtlSeconds ' +
        'retentionDays maxFileBytes maxFilesPerMessage maxBytesPerMessage allowedTypes ' +
        // The Slack OAuth install (issue 17).
        'oauthUrl ' +
        // Slack for teams (issue 18).
        'mode notePrefix routes when property metadata equals in channel'
      ).split(' '),
    );
    const names = configKeyNames();
    expect(names.filter((name) => !secret.has(name) && !plain.has(name))).toEqual([]);
    for (const name of names) expect([name, isSecretKey(name)]).toEqual([name, secret.has(name)]);
  });

  it('stays bounded and safe: cycles, depth, wide objects, long arrays, throwing getters, buffers', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { botToken: 'deepest' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const hostile = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    const out = redactSecrets({
      cyclic,
      deep,
      wide,
      list: Array.from({ length: 1000 }, (_, i) => i),
      hostile,
      buf: Buffer.from('secret bytes'),
      map: new Map([['password', 'p']]),
      when: new Date(0),
    });
    const json = JSON.stringify(out);
    expect(json).not.toContain('deepest');
    expect(json).not.toContain('secret bytes');
    expect(out.cyclic).toEqual({ name: 'loop', self: '[Circular]' });
    expect(Object.keys(out.wide as object).length).toBeLessThanOrEqual(101);
    expect((out.list as unknown[]).length).toBeLessThanOrEqual(51);
    expect(out.hostile).toBe('[unreadable]');
    expect(out.map).toEqual({ password: REDACTED });
    expect(out.when).toBe('1970-01-01T00:00:00.000Z');
    expect(json.length).toBeLessThan(10_000);
  });

  it('leaves ordinary lines as they were', () => {
    const { log, lines } = capture('info');
    log.info({ app: 'acme', outbox: 'webhook:https://acme.example/hook', count: 3 }, 'relayed');
    log.info('Basic information about the Bearer of this message');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      app: 'acme',
      outbox: 'webhook:https://acme.example/hook',
      count: 3,
      msg: 'relayed',
    });
    expect(JSON.parse(lines[1]!).msg).toBe('Basic information about the Bearer of this message');
  });
});
