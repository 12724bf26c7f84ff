/**
 * Drill (issue 15, e): a seeded fuzz of 10,000 requests across every endpoint — the client API, Slack's commands,
 * events and interactions, Zendesk's and Help Scout's webhooks, all with VALID signatures over hostile bodies (huge,
 * deep, wrong types, control and bidi characters, ids of every length), and the codec — while a client posts a steady
 * stream of good messages to another app. No answer is a 5xx, and every good message arrives once, in order.
 * `FUZZ_SEED` and `FUZZ_REQUESTS` change the run; the generator is deterministic for a seed.
 */
import crypto from 'node:crypto';
import { parseEncryptionKeys } from '../common/codec';
import { conversationWorkflowId } from '../common/ids';
import { helpScoutWebhookSecret } from '../integrations/helpscout/verify';
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startTestSink, type TestSink } from './emulators/test-sink';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const SEED = Number(process.env.FUZZ_SEED ?? 15);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 16;

const goodKey = testKey('fuzzgood');
const fuzzKey = testKey('fuzz');
const codecToken = testKey('codec');
let sink: TestSink;
let slack: SlackEmulator;
let zd: ZendeskEmulator;
let hs: HelpScoutEmulator;
let parley: TestParley;

beforeAll(async () => {
  sink = await startTestSink();
  slack = await startSlackEmulator();
  zd = await startZendeskEmulator();
  hs = await startHelpScoutEmulator();
  parley = await startTestParley({
    config: testConfig({
      // Zendesk is connected at start only with a public URL (its webhook's target); nothing calls it here.
      server: { publicUrl: 'http://127.0.0.1:9' },
      apps: [
        { id: 'fuzzgood', apiKeys: [goodKey], sink: { url: sink.url } },
        // The hostile client as an operator would hold one: tight limits, so most of its valid-looking writes are
        // 429s and its conversations stay few and short (the machine running the drill is the one Temporal runs on).
        {
          id: 'fuzz',
          apiKeys: [fuzzKey],
          sink: { url: sink.url },
          limits: {
            messagesPerSecond: 10,
            burst: 30,
            newConversationsPerMinute: 20,
            perUser: { messagesPerSecond: 1, burst: 5 },
          },
        },
        {
          id: 'vendors',
          apiKeys: [testKey('vendors')],
          slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl },
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
          helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 1, apiUrl: hs.apiUrl },
        },
      ],
    }),
    encryption: {
      keys: parseEncryptionKeys(`k1:${crypto.randomBytes(32).toString('base64')}`),
      codecToken,
      corsOrigins: [],
    },
  });
});
afterAll(async () => {
  await parley?.stop();
  await Promise.all([sink?.close(), slack?.close(), zd?.close(), hs?.close()]);
});

/** mulberry32: a small, seeded, deterministic generator. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

// Control, bidi, zero-width, surrogate halves, quotes and backslashes, CJK, emoji, combining marks.
const NASTY = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u202e',
  '\u2066',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udc00',
  '"',
  '\\',
  '漢',
  '😀',
  'e\u0301',
  '<script>',
  '&amp;',
  '*bold*',
  '<!channel>',
  '%',
  '\n',
  '\r\n',
  ' ',
];

function nastyString(r: Rng, max: number): string {
  const length = r.chance(0.05) ? max : r.int(Math.min(max, 64) + 1);
  let s = '';
  while (s.length < length) s += r.chance(0.5) ? r.pick(NASTY) : String.fromCharCode(32 + r.int(95));
  return s.slice(0, length);
}

function deep(levels: number, r: Rng): string {
  const open = r.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  return open.repeat(levels) + '1' + close.repeat(levels);
}

/** A JSON value of any shape: what a hostile client or a broken vendor sends where something else was expected. */
function anyValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 3 ? 5 : 7)) {
    case 0:
      return nastyString(r, 200);
    case 1:
      return r.pick([0, -1, 1e308, 3.5, Number.MAX_SAFE_INTEGER + 2]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.pick(['', 'true', '1', '[]', '{}']);
    case 5:
      return Array.from({ length: r.int(4) }, () => anyValue(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [nastyString(r, 12), anyValue(r, depth + 1)]));
  }
}

/** A body: mostly JSON of the right outline with hostile values, else something worse. */
function hostileJson(r: Rng, outline: () => Record<string, unknown>): string {
  const roll = r.next();
  if (roll < 0.05) return deep(r.pick([100, 2000, 20_000]), r);
  if (roll < 0.08) return `{"text":"${'\\u0001'.repeat(r.pick([5000, 9000]))}"}`;
  if (roll < 0.1) return '{"unfinished": ';
  if (roll < 0.12) return JSON.stringify(anyValue(r));
  if (roll < 0.13) return JSON.stringify({ text: 'x'.repeat(r.pick([70_000, 1_100_000, 2_500_000])) });
  const body = outline();
  for (const k of Object.keys(body)) if (r.chance(0.3)) body[k] = anyValue(r);
  if (r.chance(0.1)) body[nastyString(r, 10)] = anyValue(r);
  return JSON.stringify(body);
}

const USER_IDS = [
  'ada',
  'bob',
  'josé',
  'jose\u0301',
  '漢'.repeat(100),
  '漢'.repeat(120),
  '😀'.repeat(128),
  'a b',
  '‮evil',
];
function userId(r: Rng): string {
  return r.chance(0.8) ? r.pick(USER_IDS) : nastyString(r, r.pick([10, 300]));
}
function encodePath(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return '%E0%A4%A'; // a lone surrogate: send a broken escape instead
  }
}

interface FuzzRequest {
  family: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function slackHeaders(body: string, type: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  return { 'content-type': type, 'x-slack-request-timestamp': String(now), 'x-slack-signature': slack.sign(body, now) };
}

function zendeskHeaders(body: string, r: Rng): Record<string, string> {
  const hook = zd.webhooks()[0];
  if (!hook) throw new Error('Zendesk was not connected at start');
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'content-type': 'application/json',
    'x-zendesk-webhook-signature': crypto
      .createHmac('sha256', hook.secret)
      .update(timestamp + body)
      .digest('base64'),
    'x-zendesk-webhook-signature-timestamp': timestamp,
    'x-zendesk-webhook-invocation-id': `fuzz-${r.int(1e9)}`,
  };
}

function fuzzRequest(r: Rng): FuzzRequest {
  const json = { 'content-type': 'application/json' };
  const client = { ...json, authorization: `Bearer ${fuzzKey}` };
  const user = `/v1/apps/fuzz/users/${encodePath(userId(r))}`;
  const family = r.pick([
    'messages',
    'messages',
    'messages',
    'profile',
    'read',
    'archive',
    'resume',
    'slack-commands',
    'slack-events',
    'slack-interactions',
    'zendesk',
    'zendesk',
    'helpscout',
    'helpscout',
    'codec',
  ] as const);
  switch (family) {
    case 'messages':
      return {
        family,
        method: 'POST',
        path: `${user}/messages`,
        headers: client,
        body: hostileJson(r, () => ({
          text: nastyString(r, r.pick([50, 8000])),
          ...(r.chance(0.5) ? { id: nastyString(r, 130) } : {}),
          ...(r.chance(0.5) ? { metadata: { k: nastyString(r, r.pick([10, 3000])), n: anyValue(r) } } : {}),
        })),
      };
    case 'profile':
      return {
        family,
        method: 'PUT',
        path: user,
        headers: client,
        body: hostileJson(r, () => ({
          givenName: nastyString(r, 250),
          surname: nastyString(r, 50),
          email: r.pick(['a@b.co', nastyString(r, 30)]),
          avatarUrl: r.pick(['https://x.example/a.png', 'javascript:alert(1)', nastyString(r, 40)]),
          properties: { p: anyValue(r) },
        })),
      };
    case 'read':
      return { family, method: 'GET', path: `${user}/${r.pick(['messages', 'conversation'])}`, headers: client };
    case 'archive':
      return { family, method: 'POST', path: `${user}/archive`, headers: client, body: '{}' };
    case 'resume':
      return {
        family,
        method: 'POST',
        path: `${user}/outboxes/resume`,
        headers: { ...json, authorization: `Bearer ${testAdminKey}` },
        body: hostileJson(r, () => ({ outbox: nastyString(r, 2200) })),
      };
    case 'slack-commands': {
      const form = new URLSearchParams({
        team_id: r.chance(0.7) ? slack.teamId : nastyString(r, 20),
        channel_id: r.pick(['C0NOPE', 'c-lower', nastyString(r, 20)]),
        user_id: r.pick(['U0FUZZ', nastyString(r, 20)]),
        command: '/sk',
        text: r.pick(['', '!profile', '!archive', nastyString(r, r.pick([100, 40_000]))]),
        trigger_id: nastyString(r, 40),
      });
      if (r.chance(0.2)) form.delete(r.pick(['team_id', 'channel_id', 'user_id', 'trigger_id']));
      const body = form.toString();
      return {
        family,
        method: 'POST',
        path: '/slack/commands',
        headers: slackHeaders(body, 'application/x-www-form-urlencoded'),
        body,
      };
    }
    case 'slack-events': {
      const body = hostileJson(r, () => ({
        type: r.pick(['event_callback', 'url_verification', 'app_rate_limited']),
        team_id: slack.teamId,
        event_id: nastyString(r, 20),
        challenge: nastyString(r, 30),
        event: {
          type: r.pick(['channel_archive', 'group_archive', 'message']),
          channel: r.pick(['C0NOPE', nastyString(r, 12)]),
          user: 'U0FUZZ',
        },
      }));
      return { family, method: 'POST', path: '/slack/events', headers: slackHeaders(body, 'application/json'), body };
    }
    case 'slack-interactions': {
      const payload = hostileJson(r, () => ({
        type: r.pick(['block_actions', 'view_submission']),
        team: { id: slack.teamId },
        user: { id: 'U0FUZZ' },
        actions: [{ action_id: 'parley_join', value: nastyString(r, 12) }],
      }));
      const body = new URLSearchParams({ payload }).toString();
      return {
        family,
        method: 'POST',
        path: '/slack/interactions',
        headers: slackHeaders(body, 'application/x-www-form-urlencoded'),
        body,
      };
    }
    case 'zendesk': {
      const body = hostileJson(r, () => ({
        ticket_id: String(r.int(1e6)),
        external_id: r.chance(0.7) ? `conversation:vendors:${encodePath(nastyString(r, 20))}` : nastyString(r, 40),
        comment_id: String(r.int(1e9)),
        comment: nastyString(r, r.pick([100, 200_000])),
        public: r.pick(['true', 'false']),
        author_id: String(r.int(1e6)),
        author_name: nastyString(r, 100),
        author_email: nastyString(r, 30),
      }));
      return { family, method: 'POST', path: '/zendesk/webhook', headers: zendeskHeaders(body, r), body };
    }
    case 'helpscout': {
      const body = hostileJson(r, () => ({
        id: r.pick([r.int(1e6), nastyString(r, 5)]),
        ...(r.chance(0.8)
          ? {
              _embedded: {
                threads: [
                  {
                    id: r.int(1e6),
                    type: 'reply',
                    body: nastyString(r, r.pick([100, 100_000])),
                    createdBy: { type: 'user', first: nastyString(r, 30) },
                  },
                ],
              },
            }
          : {}),
      }));
      const signature = crypto
        .createHmac('sha1', helpScoutWebhookSecret('vendors', hs.clientSecret))
        .update(body)
        .digest('base64');
      return {
        family,
        method: 'POST',
        path: '/helpscout/webhook/vendors',
        headers: {
          ...json,
          'x-helpscout-signature': signature,
          'x-helpscout-event': r.pick(['convo.agent.reply.created', 'convo.note.created']),
        },
        body,
      };
    }
    case 'codec':
      return {
        family,
        method: 'POST',
        path: `/codec/${r.pick(['encode', 'decode'])}`,
        headers: { ...json, authorization: `Bearer ${codecToken}` },
        body: hostileJson(r, () => ({
          payloads: [
            {
              metadata: { encoding: r.pick(['YmluYXJ5L2VuY3J5cHRlZA==', nastyString(r, 10)]) },
              data: r.pick(['AAAA', nastyString(r, 40)]),
            },
          ],
        })),
      };
  }
}

it(`answers ${REQUESTS} fuzzed requests (seed ${SEED}) without a 5xx while good traffic goes through untouched`, async () => {
  const startedAt = Date.now();
  const r = rng(SEED);
  const statuses = new Map<string, number>();
  const fiveHundreds: string[] = [];
  let unavailableRetries = 0;
  let done = 0;
  let fuzzing = true;

  const spent = new Map<string, number>();
  async function fire(req: FuzzRequest): Promise<void> {
    const t0 = Date.now();
    let outcome: string;
    try {
      const send = () =>
        fetch(`${parley.apiUrl}${req.path}`, {
          method: req.method,
          headers: req.headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      let res = await send();
      // A read Temporal could not answer in time (a loaded machine: the query waits for a worker) is answered 503
      // `temporal_unavailable` with Retry-After, the contract for it; a client tries again, and so does the drill,
      // up to three times. What still fails is counted.
      for (let retry = 0; retry < 3 && res.status === 503 && req.method === 'GET'; retry++) {
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
        const after = Number(res.headers.get('retry-after'));
        if (body.error?.code !== 'temporal_unavailable' || !(after > 0)) break;
        unavailableRetries++;
        await new Promise((resolve) => setTimeout(resolve, after * 1000));
        res = await send();
      }
      await res.arrayBuffer().catch(() => undefined);
      outcome = String(res.status);
      if (res.status >= 500) fiveHundreds.push(`${req.family} ${req.method} ${req.path.slice(0, 80)}: ${res.status}`);
    } catch (err) {
      // A body far over the limit may be cut off once Parley has answered 413 and closed: not a server error.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      outcome = `network ${cause}`;
      if ((req.body?.length ?? 0) < 1_000_000) fiveHundreds.push(`${req.family} ${req.path.slice(0, 80)}: ${outcome}`);
    }
    const key = `${req.family} ${outcome}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    spent.set(key, (spent.get(key) ?? 0) + Date.now() - t0);
    done++;
  }

  async function fuzz(): Promise<void> {
    // The requests are drawn in order from the seed (synchronously, one at a time, so the sequence is the seed's
    // alone), made as they are sent so the huge ones are not all held at once; only their interleaving varies.
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          next++;
          await fire(fuzzRequest(r));
        }
      }),
    );
    fuzzing = false;
  }

  const users = ['ada', 'bob', 'cy'];
  const sent: Record<string, string[]> = Object.fromEntries(users.map((u) => [u, []]));
  /** Good posts that needed another attempt, and what the failed attempt got: reported, and none may be a 4xx. */
  const goodRetries: string[] = [];
  async function postGood(user: string, text: string, id: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      let outcome: string;
      try {
        const res = await fetch(`${parley.apiUrl}/v1/apps/fuzzgood/users/${user}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${goodKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ text, id }),
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        if (res.status === 202) return;
        outcome = String(res.status);
      } catch (err) {
        outcome = `network ${(err as Error).name}`;
      }
      goodRetries.push(outcome);
      if (Date.now() > deadline) throw new Error(`${id} not accepted within 2 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  async function good(): Promise<void> {
    // A steady stream for as long as the fuzz lasts (at least 10 messages each), one every 200 ms per user.
    await Promise.all(
      users.map(async (user) => {
        for (let i = 1; fuzzing || i <= 10; i++) {
          const text = `${user} ${i}`;
          await postGood(user, text, `${user}-${i}`);
          sent[user]?.push(text);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }),
    );
  }
  await Promise.all([fuzz(), good()]);

  for (const u of users)
    await waitFor(() => sink.items(conversationWorkflowId('fuzzgood', u)).length >= (sent[u]?.length ?? 0), {
      timeoutMs: 60_000,
      what: `all of ${u}'s messages at the sink`,
    });
  expect((await fetch(`${parley.apiUrl}/readyz`)).status).toBe(200);
  const received = Object.fromEntries(
    users.map((u) => [u, sink.items(conversationWorkflowId('fuzzgood', u)).map((i) => i.text ?? '')]),
  );
  const tally = tallyDrill('fuzz', sent, received, sink.duplicates());
  const byStatus = new Map<string, number>();
  for (const [key, n] of statuses) {
    const status = key.split(' ').slice(1).join(' ');
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
  }
  if (process.env.DRILL_VERBOSE)
    for (const [key, n] of [...statuses].sort()) process.stdout.write(`${key}: ${n} (${spent.get(key)} ms)\n`);
  reportDrill(
    tally,
    startedAt,
    `${done} fuzzed requests (seed ${SEED}), 5xx ${fiveHundreds.length} (reads retried after a 503 ` +
      `temporal_unavailable: ${unavailableRetries}); good posts retried ${goodRetries.length}` +
      `${goodRetries.length ? ` (${goodRetries.join(', ')})` : ''}; answers: ` +
      [...byStatus]
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(' '),
  );
  expect(fiveHundreds.slice(0, 20)).toEqual([]);
  // Good traffic is never refused (no 4xx: not rate-limited by the other app's flood); it all arrives once, in order.
  expect(goodRetries.filter((s) => /^4/.test(s))).toEqual([]);
  expectClean(tally);
}, 600_000);
