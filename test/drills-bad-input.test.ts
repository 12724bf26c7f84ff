/**
 * Drill: a flood of bad input at every endpoint (malformed JSON, wrong types, huge bodies, bad and missing
 * signatures, signed garbage, unknown apps and users, odd paths) while a client posts good messages. No answer is
 * a 5xx, the process stays up and ready, and the good messages all arrive once, in order.
 */
import crypto from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { helpScoutWebhookSecret } from '../integrations/helpscout/verify';
import { expectClean, postUntilAccepted, reportDrill, tallyDrill } from './helpers/drill';
import { startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startTestSink, type TestSink } from './emulators/test-sink';

const key = testKey('good');
const otherKey = testKey('other');
const hsSecret = 'hs_client_secret_drill';
let sink: TestSink;
let slack: SlackEmulator;
let parley: TestParley;

beforeAll(async () => {
  sink = await startTestSink();
  // Only for signing "Slack" requests; the app's Slack is never sent to (its outbox is not exercised here).
  slack = await startSlackEmulator();
  parley = await startTestParley({
    config: testConfig({
      apps: [
        { id: 'good', apiKeys: [key], sink: { url: sink.url } },
        {
          id: 'other',
          apiKeys: [otherKey],
          slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl },
          helpscout: { clientId: 'hs-client', clientSecret: hsSecret, mailbox: 1, apiUrl: 'http://127.0.0.1:9/v2/' },
        },
      ],
    }),
  });
});
afterAll(async () => {
  await parley?.stop();
  await slack?.close();
  await sink?.close();
});

interface BadRequest {
  label: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

function badRequests(): BadRequest[] {
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${key}` };
  // The integration routes and outbox resume take an admin key: bad input there reaches validation with it.
  const admin = { ...json, authorization: `Bearer ${testAdminKey}` };
  const huge = Buffer.alloc(3 * 1024 * 1024, 'a');
  const hugeJson = JSON.stringify({ text: 'x'.repeat(3 * 1024 * 1024) });
  const msgs = '/v1/apps/good/users/mallory/messages';
  const now = Math.floor(Date.now() / 1000);
  const slackSigned = (path: string, body: string, type = 'application/json'): BadRequest => ({
    label: `signed garbage ${path}`,
    method: 'POST',
    path,
    body,
    headers: {
      'content-type': type,
      'x-slack-request-timestamp': String(now),
      'x-slack-signature': slack.sign(body, now),
    },
  });
  const hsBody = '{"id":"nope","_embedded":{"threads":"no"}}';
  const hsSignature = crypto
    .createHmac('sha1', helpScoutWebhookSecret('other', hsSecret))
    .update(hsBody)
    .digest('base64');
  return [
    { label: 'malformed JSON', method: 'POST', path: msgs, headers: auth, body: '{"text": "unfinished' },
    { label: 'wrong type', method: 'POST', path: msgs, headers: auth, body: '{"text": 42}' },
    { label: 'wrong id type', method: 'POST', path: msgs, headers: auth, body: '{"text": "x", "id": {"a": 1}}' },
    { label: 'unknown field', method: 'POST', path: msgs, headers: auth, body: '{"text": "x", "admin": true}' },
    { label: 'JSON null', method: 'POST', path: msgs, headers: auth, body: 'null' },
    { label: 'JSON array', method: 'POST', path: msgs, headers: auth, body: '[1,2,3]' },
    { label: 'empty text', method: 'POST', path: msgs, headers: auth, body: '{"text": ""}' },
    { label: 'long text', method: 'POST', path: msgs, headers: auth, body: JSON.stringify({ text: 'y'.repeat(9000) }) },
    { label: 'huge JSON', method: 'POST', path: msgs, headers: auth, body: hugeJson },
    {
      label: 'huge binary',
      method: 'POST',
      path: msgs,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: huge,
    },
    { label: 'text/plain', method: 'POST', path: msgs, headers: { ...auth, 'content-type': 'text/plain' }, body: 'hi' },
    {
      label: 'bad gzip',
      method: 'POST',
      path: msgs,
      headers: { ...auth, 'content-encoding': 'gzip' },
      body: '{"text":"x"}',
    },
    {
      label: 'odd charset',
      method: 'POST',
      path: msgs,
      headers: { ...auth, 'content-type': 'application/json; charset=klingon' },
      body: '{"text":"x"}',
    },
    { label: 'no key', method: 'POST', path: msgs, headers: json, body: '{"text":"x"}' },
    {
      label: 'wrong key',
      method: 'POST',
      path: msgs,
      headers: { ...json, authorization: 'Bearer nope' },
      body: '{"text":"x"}',
    },
    {
      label: 'basic auth',
      method: 'POST',
      path: msgs,
      headers: { ...json, authorization: 'Basic Zm9vOmJhcg==' },
      body: '{"text":"x"}',
    },
    {
      label: 'other app key',
      method: 'POST',
      path: msgs,
      headers: { ...json, authorization: `Bearer ${otherKey}` },
      body: '{"text":"x"}',
    },
    {
      label: 'unknown app',
      method: 'POST',
      path: '/v1/apps/nobody/users/x/messages',
      headers: auth,
      body: '{"text":"x"}',
    },
    {
      label: 'bad percent-encoding',
      method: 'POST',
      path: '/v1/apps/good/users/%E0%A4%A/messages',
      headers: auth,
      body: '{"text":"x"}',
    },
    {
      label: 'NUL in user id',
      method: 'POST',
      path: '/v1/apps/good/users/a%00b/messages',
      headers: auth,
      body: '{"text":"x"}',
    },
    {
      label: 'long user id',
      method: 'POST',
      path: `/v1/apps/good/users/${'u'.repeat(5000)}/messages`,
      headers: auth,
      body: '{"text":"x"}',
    },
    {
      label: 'profile wrong types',
      method: 'PUT',
      path: '/v1/apps/good/users/mallory',
      headers: auth,
      body: '{"givenName": 5, "properties": "x"}',
    },
    { label: 'profile huge', method: 'PUT', path: '/v1/apps/good/users/mallory', headers: auth, body: hugeJson },
    { label: 'messages of nobody', method: 'GET', path: '/v1/apps/good/users/nobody-at-all/messages', headers: auth },
    {
      label: 'conversation of nobody',
      method: 'GET',
      path: '/v1/apps/good/users/nobody-at-all/conversation',
      headers: auth,
    },
    { label: 'archive nobody', method: 'POST', path: '/v1/apps/good/users/nobody-at-all/archive', headers: auth },
    {
      label: 'resume wrong type',
      method: 'POST',
      path: '/v1/apps/good/users/nobody-at-all/outboxes/resume',
      headers: admin,
      body: '{"outbox": 5}',
    },
    {
      label: 'check unknown integration',
      method: 'POST',
      path: '/v1/apps/good/integrations/fax/check',
      headers: admin,
    },
    {
      label: 'connect unconfigured',
      method: 'POST',
      path: '/v1/apps/good/integrations/zendesk/connect',
      headers: admin,
    },
    { label: 'client key on admin route', method: 'GET', path: '/v1/apps/good/integrations', headers: auth },
    { label: 'admin key on client route', method: 'POST', path: msgs, headers: admin, body: '{"text": "as admin"}' },
    { label: 'metrics without key', method: 'GET', path: '/metrics' },
    { label: 'unknown method', method: 'DELETE', path: msgs, headers: auth },
    { label: 'unknown path', method: 'GET', path: '/../../etc/passwd', headers: auth },
    {
      label: 'slack no signature',
      method: 'POST',
      path: '/slack/commands',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=/sk&text=hi',
    },
    {
      label: 'slack bad signature',
      method: 'POST',
      path: '/slack/events',
      headers: { ...json, 'x-slack-request-timestamp': String(now), 'x-slack-signature': 'v0=00' },
      body: '{}',
    },
    {
      label: 'slack stale',
      method: 'POST',
      path: '/slack/events',
      headers: {
        ...json,
        'x-slack-request-timestamp': String(now - 3600),
        'x-slack-signature': slack.sign('{}', now - 3600),
      },
      body: '{}',
    },
    {
      label: 'slack huge',
      method: 'POST',
      path: '/slack/interactions',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: huge,
    },
    slackSigned('/slack/events', '{"type":"event_callback","team_id":42,"event":"x"}'),
    slackSigned('/slack/events', '{not json'),
    slackSigned('/slack/commands', 'command=%2Fsk&text=hi&team_id=T0NOPE', 'application/x-www-form-urlencoded'),
    slackSigned('/slack/interactions', 'payload=%7Bnot%20json', 'application/x-www-form-urlencoded'),
    slackSigned(
      '/slack/interactions',
      'payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A5%7D',
      'application/x-www-form-urlencoded',
    ),
    { label: 'zendesk unsigned', method: 'POST', path: '/zendesk/webhook', headers: json, body: '{"ticket": 1}' },
    { label: 'zendesk huge', method: 'POST', path: '/zendesk/webhook', headers: json, body: huge },
    { label: 'helpscout unknown app', method: 'POST', path: '/helpscout/webhook/nobody', headers: json, body: '{}' },
    {
      label: 'helpscout bad signature',
      method: 'POST',
      path: '/helpscout/webhook/other',
      headers: { ...json, 'x-helpscout-signature': 'AAAA' },
      body: '{}',
    },
    {
      label: 'helpscout signed garbage',
      method: 'POST',
      path: '/helpscout/webhook/other',
      headers: { ...json, 'x-helpscout-signature': hsSignature, 'x-helpscout-event': 'convo.agent.reply.created' },
      body: hsBody,
    },
    { label: 'codec no token', method: 'POST', path: '/codec/encode', headers: json, body: '{"payloads": 5}' },
    {
      label: 'codec garbage',
      method: 'POST',
      path: '/codec/decode',
      headers: { ...json, authorization: 'Bearer x' },
      body: '{"payloads": [{"data": 7}]}',
    },
    {
      label: 'codec session',
      method: 'POST',
      path: '/codec/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=%%%',
    },
  ];
}

it('answers a flood of bad input without a 5xx while good traffic goes through untouched', async () => {
  const startedAt = Date.now();
  const users = ['ada', 'bob', 'cy'];
  const perUser = 15;
  const rounds = 6;
  const sent: Record<string, string[]> = Object.fromEntries(users.map((u) => [u, []]));
  const answers = new Map<string, Set<number | string>>();
  const fiveHundreds: string[] = [];
  let flooded = 0;

  async function fire(req: BadRequest): Promise<void> {
    let outcome: number | string;
    try {
      const res = await fetch(`${parley.apiUrl}${req.path}`, {
        method: req.method,
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      await res.arrayBuffer();
      outcome = res.status;
      if (res.status >= 500) fiveHundreds.push(`${req.label}: ${res.status}`);
    } catch (err) {
      // A huge body may be cut off once the server has answered 413 and closed: not a server error.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      outcome = `network ${cause}`;
      if (!Buffer.isBuffer(req.body) && !(typeof req.body === 'string' && req.body.length > 1_000_000)) {
        fiveHundreds.push(`${req.label}: ${outcome}`);
      }
    }
    flooded++;
    const seen = answers.get(req.label) ?? new Set();
    seen.add(outcome);
    answers.set(req.label, seen);
  }

  async function flood(): Promise<void> {
    const all = badRequests();
    for (let round = 0; round < rounds; round++) {
      // Eight at a time, every kind each round.
      for (let i = 0; i < all.length; i += 8) await Promise.all(all.slice(i, i + 8).map(fire));
    }
  }
  async function good(): Promise<void> {
    await Promise.all(
      users.map(async (user) => {
        for (let i = 1; i <= perUser; i++) {
          const text = `${user} ${i}`;
          const failures = await postUntilAccepted(parley.apiUrl, key, `/v1/apps/good/users/${user}/messages`, {
            text,
            id: `${user}-${i}`,
          });
          expect(failures).toBe(0);
          sent[user]?.push(text);
        }
      }),
    );
  }
  await Promise.all([flood(), good()]);

  for (const u of users) {
    await waitFor(() => sink.items(conversationWorkflowId('good', u)).length >= perUser, {
      what: `all of ${u}'s messages at the integration`,
    });
  }
  expect((await fetch(`${parley.apiUrl}/healthz`)).status).toBe(200);
  expect((await fetch(`${parley.apiUrl}/readyz`)).status).toBe(200);
  const received = Object.fromEntries(
    users.map((u) => [u, sink.items(conversationWorkflowId('good', u)).map((i) => i.text ?? '')]),
  );
  const tally = tallyDrill('bad-input', sent, received, sink.duplicates());
  if (process.env.DRILL_VERBOSE)
    for (const [label, seen] of answers) process.stdout.write(`${label}: ${[...seen].join(',')}\n`);
  const statuses = [...answers.values()].flatMap((s) => [...s]);
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(String(s), (counts.get(String(s)) ?? 0) + 1);
  reportDrill(
    tally,
    startedAt,
    `${flooded} bad requests (${answers.size} kinds × ${rounds}), 5xx ${fiveHundreds.length}, answers by kind: ` +
      [...counts].map(([s, n]) => `${s}×${n}`).join(' '),
  );
  expect(fiveHundreds).toEqual([]);
  expectClean(tally);
  // Nothing the flood sent became a message.
  expect(sink.items(conversationWorkflowId('good', 'mallory'))).toEqual([]);
});
