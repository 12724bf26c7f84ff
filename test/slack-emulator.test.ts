/**
 * The Slack emulator, exercised with the real @slack/web-api WebClient (as Parley uses it) and with a tiny
 * local server standing in for Parley's inbound endpoints.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { startSlackEmulator, unescapedMarkup, type SlackEmulator } from './emulators/slack';

function clientFor(emulator: SlackEmulator, token = emulator.botToken): WebClient {
  return new WebClient(token, {
    slackApiUrl: emulator.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR, // the no_text test omits `text` on purpose; WebClient warns about it
  });
}

/** The Slack error code of a rejected WebClient call. */
async function slackError(call: Promise<unknown>): Promise<{ code?: string; error?: string; retryAfter?: number }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: string; data?: { error?: string }; retryAfter?: number };
    return { code: e.code, error: e.data?.error, retryAfter: e.retryAfter };
  }
  throw new Error('expected the call to fail');
}

describe('Slack emulator: Web API through the real WebClient', () => {
  let emulator: SlackEmulator;
  let client: WebClient;

  beforeEach(async () => {
    emulator = await startSlackEmulator();
    client = clientFor(emulator);
  });
  afterEach(async () => {
    await emulator.close();
  });

  it('checks calls against the spec that was found', () => {
    expect(emulator.spec.checked).toBe(true);
  });

  it('answers auth.test with the bot identity', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T0PARLEY', user_id: emulator.botUserId, bot_id: emulator.botId });
    expect(emulator.specViolations).toEqual([]);
  });

  it('creates channels under Slack naming rules', async () => {
    const created = await client.conversations.create({ name: 'parley-jane_doe-42' });
    expect(created.channel).toMatchObject({ name: 'parley-jane_doe-42', is_channel: true, is_archived: false });
    expect(created.channel?.id).toMatch(/^C[A-Z0-9]+$/);
    expect(emulator.channelByName('parley-jane_doe-42')?.members).toContain(emulator.botUserId);

    const cases: [string, string][] = [
      ['', 'invalid_name_required'],
      ['a'.repeat(81), 'invalid_name_maxlength'],
      ['Jane', 'invalid_name_specials'],
      ['jane doe', 'invalid_name_specials'],
      ['jané', 'invalid_name_specials'],
      ['-_-', 'invalid_name_punctuation'],
      ['parley-jane_doe-42', 'name_taken'],
    ];
    for (const [name, error] of cases) {
      expect(await slackError(client.conversations.create({ name }))).toMatchObject({
        code: ErrorCode.PlatformError,
        error,
      });
    }
    // An archived channel keeps its name.
    await client.conversations.archive({ channel: created.channel?.id ?? '' });
    expect((await slackError(client.conversations.create({ name: 'parley-jane_doe-42' }))).error).toBe('name_taken');
    expect(emulator.specViolations).toEqual([]);
  });

  it('posts with metadata and finds it in history only with include_all_metadata', async () => {
    const { channel } = await client.conversations.create({ name: 'meta' });
    const id = channel?.id ?? '';
    const metadata = { event_type: 'parley_message', event_payload: { message_id: 'm-1' } };
    const posted = await client.chat.postMessage({
      channel: id,
      text: 'hello',
      username: 'Jane Doe',
      icon_url: 'https://example.com/jane.png',
      metadata,
    });
    expect(posted).toMatchObject({ ok: true, channel: id, message: { text: 'hello' } });
    const second = await client.chat.postMessage({ channel: id, text: 'second' });
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));

    const withMeta = await client.conversations.history({ channel: id, include_all_metadata: true, limit: 10 });
    const found = withMeta.messages?.find((m) => m.ts === posted.ts);
    expect(found).toMatchObject({ text: 'hello', bot_id: emulator.botId, username: 'Jane Doe', metadata });
    expect(withMeta.messages?.[0]?.text).toBe('second'); // newest first

    const without = await client.conversations.history({ channel: id });
    expect(without.messages?.find((m) => m.ts === posted.ts)?.metadata).toBeUndefined();

    expect(emulator.messages(id).map((m) => m.text)).toEqual(['hello', 'second']);
    expect(emulator.messages(id)[0]).toMatchObject({ username: 'Jane Doe', iconUrl: 'https://example.com/jane.png' });
    expect(emulator.specViolations).toEqual([]);
  });

  it('paginates history with cursors', async () => {
    const { channel } = await client.conversations.create({ name: 'pages' });
    const id = channel?.id ?? '';
    for (let i = 0; i < 5; i++) await client.chat.postMessage({ channel: id, text: `m${i}` });
    const seen: string[] = [];
    for await (const page of client.paginate('conversations.history', { channel: id, limit: 2 })) {
      const messages = (page as { messages?: { text?: string; subtype?: string }[] }).messages ?? [];
      seen.push(...messages.filter((m) => !m.subtype).map((m) => m.text ?? ''));
    }
    expect(seen).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);

    const m2 = emulator.messages(id).find((m) => m.text === 'm2')?.ts ?? '';
    const after = await client.conversations.history({ channel: id, oldest: m2 });
    expect(after.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
    const upTo = await client.conversations.history({ channel: id, latest: m2, inclusive: true, limit: 2 });
    expect(upTo.messages?.map((m) => m.text)).toEqual(['m2', 'm1']);
    expect(upTo.has_more).toBe(true);
    expect(emulator.specViolations).toEqual([]);
  });

  it('invites, archives, refuses unarchive, and refuses posts to archived channels', async () => {
    const ana = emulator.addUser({ name: 'ana', realName: 'Ana Lima', email: 'ana@acme.com' });
    const { channel } = await client.conversations.create({ name: 'support-1' });
    const id = channel?.id ?? '';

    await client.conversations.invite({ channel: id, users: ana.id });
    expect(emulator.channel(id)?.members).toContain(ana.id);
    expect((await slackError(client.conversations.invite({ channel: id, users: ana.id }))).error).toBe(
      'already_in_channel',
    );
    expect((await slackError(client.conversations.invite({ channel: id, users: 'U0NOBODY' }))).error).toBe(
      'user_not_found',
    );

    const info = await client.users.info({ user: ana.id });
    expect(info.user).toMatchObject({ id: ana.id, real_name: 'Ana Lima', profile: { email: 'ana@acme.com' } });

    await client.conversations.archive({ channel: id });
    expect(emulator.channel(id)?.archived).toBe(true);
    expect((await slackError(client.conversations.archive({ channel: id }))).error).toBe('already_archived');
    expect((await slackError(client.chat.postMessage({ channel: id, text: 'late' }))).error).toBe('is_archived');
    expect((await slackError(client.conversations.invite({ channel: id, users: ana.id }))).error).toBe('is_archived');
    expect((await slackError(client.conversations.unarchive({ channel: id }))).error).toBe('not_authorized');

    const info2 = await client.conversations.info({ channel: id });
    expect(info2.channel?.is_archived).toBe(true);
    expect((await slackError(client.conversations.info({ channel: 'C0MISSING' }))).error).toBe('channel_not_found');
    expect(emulator.specViolations).toEqual([]);
  });

  it('answers not_in_channel until the bot joins #general', async () => {
    const general = emulator.channelByName('general');
    expect((await slackError(client.chat.postMessage({ channel: '#general', text: 'hi' }))).error).toBe(
      'not_in_channel',
    );
    await client.conversations.join({ channel: general?.id ?? '' });
    const res = await client.chat.postMessage({ channel: '#general', text: 'hi' });
    expect(res.channel).toBe(general?.id);
    expect((await slackError(client.apiCall('chat.postMessage', { channel: general?.id ?? '' }))).error).toBe(
      'no_text',
    );
  });

  it('unarchives when the emulator allows a bot to', async () => {
    const permissive = await startSlackEmulator({ botCanUnarchive: true });
    try {
      const c = clientFor(permissive);
      const { channel } = await c.conversations.create({ name: 'reopen' });
      await c.conversations.archive({ channel: channel?.id ?? '' });
      await c.conversations.unarchive({ channel: channel?.id ?? '' });
      expect(permissive.channel(channel?.id ?? '')?.archived).toBe(false);
    } finally {
      await permissive.close();
    }
  });

  it('lists channels with simple pagination', async () => {
    for (const name of ['a1', 'a2', 'a3']) await client.conversations.create({ name });
    const first = await client.conversations.list({ limit: 2, exclude_archived: true });
    expect(first.channels).toHaveLength(2);
    const cursor = first.response_metadata?.next_cursor ?? '';
    expect(cursor).not.toBe('');
    const second = await client.conversations.list({ limit: 2, exclude_archived: true, cursor });
    expect([...(first.channels ?? []), ...(second.channels ?? [])].map((c) => c.name).sort()).toEqual([
      'a1',
      'a2',
      'a3',
      'general',
    ]);
    expect(second.response_metadata?.next_cursor).toBe('');
  });

  it('records ephemerals and updates', async () => {
    const ana = emulator.addUser({ name: 'ana', realName: 'Ana Lima', email: 'ana@acme.com' });
    const { channel } = await client.conversations.create({ name: 'eph' });
    const id = channel?.id ?? '';
    await client.conversations.invite({ channel: id, users: ana.id });
    const eph = await client.chat.postEphemeral({ channel: id, user: ana.id, text: 'only you' });
    expect(eph.message_ts).toBeDefined();
    expect(emulator.ephemerals()).toEqual([expect.objectContaining({ channel: id, user: ana.id, text: 'only you' })]);

    const posted = await client.chat.postMessage({ channel: id, text: 'v1' });
    await client.chat.update({ channel: id, ts: posted.ts ?? '', text: 'v2' });
    expect(emulator.messages(id).map((m) => m.text)).toEqual(['v2']);
    expect(emulator.specViolations).toEqual([]);
  });

  it('rate-limits with 429 and Retry-After, surfaced by WebClient', async () => {
    emulator.setRateLimit('conversations.create', { max: 2, windowMs: 5_000 });
    await client.conversations.create({ name: 'r1' });
    await client.conversations.create({ name: 'r2' });
    const limited = await slackError(client.conversations.create({ name: 'r3' }));
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.code).toBe('slack_webapi_rate_limited_error');
    expect(limited.retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfter).toBeLessThanOrEqual(5);
    expect(emulator.calls[emulator.calls.length - 1]).toMatchObject({ method: 'conversations.create', status: 429 });
  });

  it('rate-limits chat.postMessage per channel with scaled default tiers', async () => {
    const scaled = await startSlackEmulator({ rateLimitScale: 1, botInGeneral: true });
    try {
      const c = clientFor(scaled);
      const { channel } = await c.conversations.create({ name: 'busy' });
      await c.chat.postMessage({ channel: channel?.id ?? '', text: 'one' });
      expect((await slackError(c.chat.postMessage({ channel: channel?.id ?? '', text: 'two' }))).retryAfter).toBe(1);
      // Another channel has its own window.
      await c.chat.postMessage({ channel: '#general', text: 'elsewhere' });
    } finally {
      await scaled.close();
    }
  });

  it('injects faults', async () => {
    emulator.failNext('chat.postMessage', { status: 429, retryAfter: 2 });
    emulator.failNext('auth.test', { error: 'invalid_auth' });
    emulator.failNext('users.info', { status: 500 }, 2);
    expect((await slackError(client.chat.postMessage({ channel: 'x', text: 'y' }))).retryAfter).toBe(2);
    expect((await slackError(client.auth.test())).error).toBe('invalid_auth');
    expect((await slackError(client.users.info({ user: 'U0OWNER' }))).code).toBe(ErrorCode.HTTPError);
    expect((await slackError(client.users.info({ user: 'U0OWNER' }))).code).toBe(ErrorCode.HTTPError);
    expect((await client.users.info({ user: 'U0OWNER' })).ok).toBe(true);
    expect(emulator.callCount('users.info')).toBe(3);
  });

  it('rejects unknown, revoked and missing tokens', async () => {
    expect((await slackError(clientFor(emulator, 'xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    expect(
      (
        await slackError(
          new WebClient(undefined, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } }).auth.test(),
        )
      ).error,
    ).toBe('not_authed');
    emulator.revokeToken();
    expect((await slackError(client.auth.test())).error).toBe('token_revoked');
  });

  it('collects spec violations for unknown arguments', async () => {
    await client.conversations.join({ channel: emulator.channelByName('general')?.id ?? '' });
    await client.apiCall('chat.postMessage', { channel: '#general', text: 'x', bogus: 1 });
    expect(emulator.specViolations).toEqual(['chat.postMessage: unknown argument "bogus"']);
    await client.apiCall('chat.postMessage', { text: 'no channel' }).catch(() => undefined);
    expect(emulator.specViolations).toContain('chat.postMessage: missing required argument "channel"');
    await client.apiCall('chat.fly', {}).catch(() => undefined);
    expect(emulator.specViolations).toContain('chat.fly: method not in the Slack Web API spec');
  });
});

describe('Slack emulator: reading texts as Slack renders them', () => {
  let emulator: SlackEmulator;
  let client: WebClient;
  let general: string;

  beforeEach(async () => {
    emulator = await startSlackEmulator({ botInGeneral: true });
    client = clientFor(emulator);
    general = emulator.channelByName('general')?.id ?? '';
  });
  afterEach(async () => {
    await emulator.close();
  });

  it('finds the markup an app did not build: mentions, links, unknown channels, lone < and bare &', () => {
    const known = (id: string) => id === 'C0KNOWN';
    expect(unescapedMarkup('hi <#C0KNOWN>, &lt;!channel&gt; &amp; *bold* _it_ > quote', known)).toEqual([]);
    expect(
      unescapedMarkup('<!channel> <!here> <!everyone> <!subteam^S1> <@U0X> <#C0NOPE> <https://e.example|x> a<b', known),
    ).toEqual([
      '<!channel>',
      '<!here>',
      '<!everyone>',
      '<!subteam^S1>',
      '<@U0X>',
      '<#C0NOPE>',
      '<https://e.example|x>',
      '<b',
    ]);
    expect(unescapedMarkup('Tom & Jerry &copy;', known)).toEqual(['&', '&copy;']);
  });

  it('records user content let through in text and mrkdwn blocks, never in plain_text', async () => {
    await client.chat.postMessage({ channel: general, text: `new: <#${general}>` });
    await client.chat.postMessage({
      channel: general,
      text: 'plain',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'hello <!here>' } },
        { type: 'section', text: { type: 'plain_text', text: '<!channel> is only text here' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: '<https://evil.example|acme.com>' }] },
      ],
    });
    expect(emulator.markupViolations).toEqual([
      'chat.postMessage blocks[0].text.text: "<!here>" in "hello <!here>"',
      'chat.postMessage blocks[2].elements[0].text: "<https://evil.example|acme.com>" in "<https://evil.example|acme.com>"',
    ]);
  });

  it('records a custom username that passes for a member or the app, and asking Slack to link names', async () => {
    emulator.addUser({ id: 'U0ITSEC', name: 'itsec', realName: 'IT Security', email: 'sec@acme.example' });
    for (const username of ['IT  Security', 'parley', 'IT Security (user)'])
      await client.chat.postMessage({ channel: general, text: 'x', username });
    expect(emulator.markupViolations).toEqual([
      'chat.postMessage username: "IT  Security" passes for U0ITSEC',
      `chat.postMessage username: "parley" passes for ${emulator.botUserId}`,
    ]);
    emulator.markupViolations.length = 0;
    await client.chat.postMessage({ channel: general, text: 'hi @channel', link_names: true });
    expect(emulator.markupViolations).toEqual([
      'chat.postMessage: parse=full or link_names makes typed @names and #channels mentions',
    ]);
  });
});

describe('Slack emulator: private channels, scopes and user groups', () => {
  const manifestScopes = [
    'channels:history',
    'channels:join',
    'channels:manage',
    'channels:read',
    'chat:write',
    'chat:write.customize',
    'groups:history',
    'groups:read',
    'groups:write',
    'usergroups:read',
    'users:read',
  ];
  let emulator: SlackEmulator;
  let client: WebClient;

  beforeEach(async () => {
    emulator = await startSlackEmulator({ scopes: manifestScopes });
    client = clientFor(emulator);
  });
  afterEach(async () => {
    expect(emulator.specViolations).toEqual([]);
    await emulator.close();
  });

  it('lists a private channel to its members, invites into it, and refuses to join one', async () => {
    const ana = emulator.addUser({ id: 'U0ANA', name: 'ana', realName: 'Ana', email: 'ana@acme.example' });
    const { channel } = await client.conversations.create({ name: 'sk-secret', is_private: true });
    expect(channel).toMatchObject({ is_private: true, is_channel: true, is_group: false, is_member: true });
    const id = channel?.id ?? '';
    await client.conversations.invite({ channel: id, users: ana.id });
    expect(emulator.channel(id)?.members).toEqual([emulator.botUserId, ana.id]);
    const listed = await client.conversations.list({ types: 'private_channel' });
    expect(listed.channels?.map((c) => c.name)).toEqual(['sk-secret']);
    expect(await slackError(client.conversations.join({ channel: id }))).toMatchObject({
      error: 'method_not_supported_for_channel_type',
    });
    // Names are unique across public and private channels.
    expect(await slackError(client.conversations.create({ name: 'sk-secret' }))).toMatchObject({
      error: 'name_taken',
    });
  });

  it('answers missing_scope for what the token was not granted, per channel type', async () => {
    const narrow = await startSlackEmulator({ scopes: ['channels:manage', 'chat:write'] });
    try {
      const c = clientFor(narrow);
      await c.conversations.create({ name: 'public-ok' });
      expect(await slackError(c.conversations.create({ name: 'private-no', is_private: true }))).toMatchObject({
        error: 'missing_scope',
      });
      expect(narrow.calls.at(-1)).toMatchObject({ method: 'conversations.create', error: 'missing_scope' });
      expect(await slackError(c.conversations.list({ types: 'private_channel' }))).toMatchObject({
        error: 'missing_scope',
      });
      expect(await slackError(c.usergroups.users.list({ usergroup: 'S0X' }))).toMatchObject({
        error: 'missing_scope',
      });
      expect(await slackError(c.users.info({ user: 'U0OWNER' }))).toMatchObject({ error: 'missing_scope' });
    } finally {
      await narrow.close();
    }
  });

  it('lists a user group, as an admin changes it', async () => {
    const bob = emulator.addUser({ name: 'bob', realName: 'Bob', email: 'bob@acme.example' });
    const group = emulator.addUserGroup({ handle: 'support', users: [bob.id] });
    expect(group).toMatch(/^S[A-Z0-9]+$/);
    expect((await client.usergroups.users.list({ usergroup: group })).users).toEqual([bob.id]);
    emulator.setUserGroupMembers(group, []);
    expect((await client.usergroups.users.list({ usergroup: group })).users).toEqual([]);
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).toMatchObject({
      error: 'no_such_subteam',
    });
    // users.info without users:read.email: no email in the profile.
    expect((await client.users.info({ user: bob.id })).user?.profile?.email).toBeUndefined();
  });
});

describe('Slack emulator: signed requests to Parley', () => {
  let emulator: SlackEmulator;
  let server: http.Server;
  const received: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let answerDelayMs = 0;

  beforeAll(async () => {
    // A stand-in for Parley: verifies the signature as Parley must, echoes what it got.
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ path: req.url ?? '', headers: req.headers, body });
        const timestamp = String(req.headers['x-slack-request-timestamp']);
        const expected = `v0=${crypto.createHmac('sha256', emulator.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
        const given = String(req.headers['x-slack-signature']);
        const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
        const valid =
          fresh &&
          given.length === expected.length &&
          crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
        setTimeout(() => {
          if (!valid) {
            res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid signature');
            return;
          }
          const parsed = req.headers['content-type']?.includes('json') ? (JSON.parse(body) as unknown) : undefined;
          if (typeof parsed === 'object' && parsed !== null && 'challenge' in parsed) {
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(parsed));
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ got: req.url }));
        }, answerDelayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    emulator = await startSlackEmulator();
    emulator.setParleyUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await emulator.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received.length = 0;
    answerDelayMs = 0;
  });

  it('sends a slash command form-encoded like Slack, with a verifiable signature', async () => {
    const ana = emulator.addUser({ name: 'ana', realName: 'Ana Lima', email: 'ana@acme.com' });
    const general = emulator.channelByName('general');
    const res = await emulator.sendSlashCommand({ userId: ana.id, channelId: general?.id ?? '', text: '!profile' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ got: '/slack/commands' });
    expect(res.elapsedMs).toBeLessThan(3000);
    const form = new URLSearchParams(received[0]?.body);
    expect(Object.fromEntries(form)).toMatchObject({
      token: emulator.verificationToken,
      team_id: 'T0PARLEY',
      channel_id: general?.id,
      channel_name: 'general',
      user_id: ana.id,
      user_name: 'ana',
      command: '/sk',
      text: '!profile',
      api_app_id: 'A0PARLEY',
      response_url: res.responseUrl,
      trigger_id: res.triggerId,
    });
    expect(received[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');

    // Parley answers later through response_url; the emulator records it.
    const delayed = await fetch(res.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'done' }),
    });
    expect(delayed.status).toBe(200);
    expect(emulator.responses(res.responseUrl)).toEqual([expect.objectContaining({ body: expect.anything() })]);
  });

  it('is rejected when signed with the wrong secret, tampered, or stale', async () => {
    const general = emulator.channelByName('general')?.id ?? '';
    const cmd = { userId: 'U0OWNER', channelId: general, text: 'x' };
    expect((await emulator.sendSlashCommand(cmd, { signingSecret: 'nope' })).status).toBe(401);
    expect((await emulator.sendSlashCommand(cmd, { badSignature: true })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await emulator.sendSlashCommand(cmd, { timestamp: stale })).status).toBe(401);
  });

  it('sends events with retry headers and reusable event ids', async () => {
    const first = await emulator.sendEvent({ type: 'app_mention', text: 'hi', user: 'U0OWNER' });
    const retry = await emulator.sendEvent(
      { type: 'app_mention', text: 'hi', user: 'U0OWNER' },
      { eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' },
    );
    expect(retry.eventId).toBe(first.eventId);
    const bodies = received.map((r) => JSON.parse(r.body) as { event_id: string; type: string; event: unknown });
    expect(bodies[0]).toMatchObject({ type: 'event_callback', team_id: 'T0PARLEY', api_app_id: 'A0PARLEY' });
    expect(bodies[1]?.event_id).toBe(bodies[0]?.event_id);
    expect(received[0]?.headers['x-slack-retry-num']).toBeUndefined();
    expect(received[1]?.headers['x-slack-retry-num']).toBe('1');
    expect(received[1]?.headers['x-slack-retry-reason']).toBe('http_timeout');
  });

  it('verifies the URL, sends block actions, and measures slow answers', async () => {
    const verification = await emulator.sendUrlVerification();
    expect(verification.body).toMatchObject({ challenge: verification.challenge });

    answerDelayMs = 300;
    const general = emulator.channelByName('general')?.id ?? '';
    const action = await emulator.sendBlockAction({
      userId: 'U0OWNER',
      channelId: general,
      actionId: 'close',
      value: 'conv-1',
    });
    expect(action.status).toBe(200);
    expect(action.elapsedMs).toBeGreaterThanOrEqual(250);
    const payload = JSON.parse(new URLSearchParams(received[1]?.body).get('payload') ?? '{}') as unknown;
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0OWNER', team_id: 'T0PARLEY' },
      team: { id: 'T0PARLEY' },
      channel: { id: general, name: 'general' },
      actions: [{ action_id: 'close', value: 'conv-1', type: 'button' }],
      response_url: action.responseUrl,
    });
  });

  it('delivers human messages and channel archives from channels the bot is in', async () => {
    const ana = emulator.addUser({ name: 'ana2', realName: 'Ana Two', email: 'ana2@acme.com' });
    const client = clientFor(emulator);
    const { channel } = await client.conversations.create({ name: 'deliveries' });
    const id = channel?.id ?? '';
    const posted = await emulator.userPostsInChannel(id, ana.id, 'a question');
    expect(posted.delivery?.status).toBe(200);
    const archived = await emulator.archiveChannelAsUser(id, ana.id);
    expect(archived?.status).toBe(200);
    const events = received.map((r) => (JSON.parse(r.body) as { event: Record<string, unknown> }).event);
    expect(events[0]).toMatchObject({ type: 'message', channel: id, user: ana.id, text: 'a question', ts: posted.ts });
    expect(events[1]).toMatchObject({ type: 'channel_archive', channel: id, user: ana.id });
    expect(emulator.channel(id)?.archived).toBe(true);
    expect(emulator.specViolations).toEqual([]);
  });

  it('delivers a private channel archive as group_archive', async () => {
    const ana = emulator.addUser({ name: 'ana3', realName: 'Ana Three', email: 'ana3@acme.com' });
    const { channel } = await clientFor(emulator).conversations.create({ name: 'private-ones', is_private: true });
    const archived = await emulator.archiveChannelAsUser(channel?.id ?? '', ana.id);
    expect(archived?.status).toBe(200);
    const event = (JSON.parse(received.at(-1)?.body ?? '{}') as { event: Record<string, unknown> }).event;
    expect(event).toMatchObject({ type: 'group_archive', channel: channel?.id, user: ana.id });
  });
});

describe('Slack emulator: Slack for teams (threads, edits, reactions, App Home, shortcuts)', () => {
  let emulator: SlackEmulator;
  let client: WebClient;
  let server: http.Server;
  const received: { path: string; body: string; valid: boolean }[] = [];

  /** The events Parley received, in order (the signature checked as Parley must). */
  const events = (): Record<string, unknown>[] =>
    received
      .filter((r) => r.path === '/slack/events')
      .map((r) => (JSON.parse(r.body) as { event: Record<string, unknown> }).event);
  const interactions = (): Record<string, unknown>[] =>
    received
      .filter((r) => r.path === '/slack/interactions')
      .map((r) => JSON.parse(new URLSearchParams(r.body).get('payload') ?? '{}') as Record<string, unknown>);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(req.headers['x-slack-request-timestamp']);
        const expected = `v0=${crypto.createHmac('sha256', emulator.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
        const given = String(req.headers['x-slack-signature']);
        const valid =
          given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
        received.push({ path: req.url ?? '', body, valid });
        res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(async () => {
    received.length = 0;
    emulator = await startSlackEmulator({
      parleyUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    client = clientFor(emulator);
  });
  afterEach(async () => {
    expect(emulator.specViolations).toEqual([]);
    expect(received.every((r) => r.valid)).toBe(true);
    await emulator.close();
  });

  /** A channel the bot made, with Ana in it. */
  async function teamChannel(name: string): Promise<{ id: string; ana: string }> {
    const ana = emulator.addUser({ id: 'U0ANA', name: 'ana', realName: 'Ana Lima', email: 'ana@acme.example' });
    const { channel } = await client.conversations.create({ name });
    const id = channel?.id ?? '';
    await client.conversations.invite({ channel: id, users: ana.id });
    return { id, ana: ana.id };
  }

  it('keeps threads: replies answer parent first, history shows parents with their summary and broadcasts', async () => {
    const { id, ana } = await teamChannel('threads');
    const parent = await client.chat.postMessage({ channel: id, text: 'conversation with Jane' });
    const parentTs = parent.ts ?? '';
    const r1 = await client.chat.postMessage({ channel: id, text: 'first', thread_ts: parentTs });
    expect(r1.message).toMatchObject({ thread_ts: parentTs, parent_user_id: emulator.botUserId });
    const human = await emulator.userPostsInChannel(id, ana, 'on it', { threadTs: parentTs });
    const r3 = await client.chat.postMessage({
      channel: id,
      text: 'to all',
      thread_ts: parentTs,
      reply_broadcast: true,
    });
    expect(r3.message).toMatchObject({ subtype: 'thread_broadcast', thread_ts: parentTs });

    // The human reply's event names its thread and the parent's author.
    expect(events().at(-1)).toMatchObject({
      type: 'message',
      channel: id,
      user: ana,
      text: 'on it',
      ts: human.ts,
      thread_ts: parentTs,
      parent_user_id: emulator.botUserId,
    });

    const replies = await client.conversations.replies({ channel: id, ts: parentTs });
    expect(replies.messages?.map((m) => m.text)).toEqual(['conversation with Jane', 'first', 'on it', 'to all']);
    expect(replies.messages?.[0]).toMatchObject({
      ts: parentTs,
      thread_ts: parentTs,
      reply_count: 3,
      reply_users_count: 2,
      reply_users: [emulator.botUserId, ana],
      latest_reply: r3.ts,
    });
    expect(replies.messages?.[2]).toMatchObject({ thread_ts: parentTs, parent_user_id: emulator.botUserId });
    expect(replies).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });
    // A reply's ts names the same thread.
    expect((await client.conversations.replies({ channel: id, ts: r1.ts ?? '' })).messages).toHaveLength(4);

    // Pages: the parent heads the first; the cursor goes on with the replies.
    const first = await client.conversations.replies({ channel: id, ts: parentTs, limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['conversation with Jane', 'first']);
    expect(first.has_more).toBe(true);
    const next = await client.conversations.replies({
      channel: id,
      ts: parentTs,
      limit: 2,
      cursor: first.response_metadata?.next_cursor ?? '',
    });
    expect(next.messages?.map((m) => m.text)).toEqual(['on it', 'to all']);
    expect(next.has_more).toBe(false);

    // History: the parent with its summary and the broadcast (with its root), never the plain replies.
    const history = await client.conversations.history({ channel: id });
    const texts = history.messages?.filter((m) => !m.subtype || m.subtype === 'thread_broadcast').map((m) => m.text);
    expect(texts).toEqual(['to all', 'conversation with Jane']);
    expect(history.messages?.find((m) => m.ts === parentTs)).toMatchObject({ reply_count: 3, thread_ts: parentTs });
    expect(history.messages?.[0]).toMatchObject({ subtype: 'thread_broadcast', root: { ts: parentTs } });
    expect(emulator.messages(id).map((m) => m.text)).toEqual(['conversation with Jane', 'to all']);
    expect(emulator.messages(id, { includeThreadReplies: true })).toHaveLength(4);

    expect((await slackError(client.conversations.replies({ channel: id, ts: '1.000001' }))).error).toBe(
      'thread_not_found',
    );
    // A thread_ts naming no message is accepted (as Slack does) and shows nowhere; a malformed one is refused.
    const orphan = await client.chat.postMessage({ channel: id, text: 'lost', thread_ts: '1.000001' });
    expect(orphan.ok).toBe(true);
    expect(emulator.messages(id).some((m) => m.text === 'lost')).toBe(false);
    expect((await slackError(client.chat.postMessage({ channel: id, text: 'x', thread_ts: 'abc' }))).error).toBe(
      'invalid_thread_ts',
    );
  });

  it('updates a notice in place like Slack: the answer, kept metadata, versions, and refusals', async () => {
    const { id, ana } = await teamChannel('dispatch');
    const metadata = { event_type: 'parley_dispatch', event_payload: { conversation: 'c-1' } };
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'Jane is waiting' } }];
    const posted = await client.chat.postMessage({ channel: id, text: 'waiting', blocks, metadata });
    const ts = posted.ts ?? '';
    const claimed = [{ type: 'section', text: { type: 'mrkdwn', text: 'Claimed by Ana' } }];
    const updated = await client.chat.update({ channel: id, ts, text: 'claimed', blocks: claimed });
    expect(updated).toMatchObject({
      ok: true,
      channel: id,
      ts,
      text: 'claimed',
      message: { text: 'claimed', blocks: claimed },
    });
    // Metadata left out is kept; `{}` removes it.
    let history = await client.conversations.history({ channel: id, include_all_metadata: true });
    expect(history.messages?.find((m) => m.ts === ts)?.metadata).toEqual(metadata);
    await client.chat.update({ channel: id, ts, text: 'resolved', metadata: {} as typeof metadata });
    history = await client.conversations.history({ channel: id, include_all_metadata: true });
    const current = history.messages?.find((m) => m.ts === ts);
    expect(current?.metadata).toBeUndefined();
    // Text without blocks removes the blocks.
    expect(current?.blocks).toBeUndefined();
    expect(emulator.message(id, ts)).toMatchObject({ text: 'resolved' });
    expect(emulator.messageVersions(id, ts).map((v) => v.text)).toEqual(['waiting', 'claimed', 'resolved']);
    expect(emulator.messageVersions(id, ts)[1]?.blocks).toEqual(claimed);
    expect(emulator.callCount('chat.update')).toBe(2);

    expect((await slackError(client.chat.update({ channel: id, ts: '1.000001', text: 'x' }))).error).toBe(
      'message_not_found',
    );
    const hers = await emulator.userPostsInChannel(id, ana, 'mine');
    expect((await slackError(client.chat.update({ channel: id, ts: hers.ts, text: 'x' }))).error).toBe(
      'cant_update_message',
    );
  });

  it('delivers a person editing and deleting messages, with thread_ts inside for replies', async () => {
    const { id, ana } = await teamChannel('edits');
    const parent = await client.chat.postMessage({ channel: id, text: 'notice' });
    const reply = await emulator.userPostsInChannel(id, ana, 'typo', { threadTs: parent.ts });
    const edited = await emulator.userEditsMessage(id, reply.ts, 'fixed');
    expect(edited?.status).toBe(200);
    expect(events().at(-1)).toMatchObject({
      type: 'message',
      subtype: 'message_changed',
      hidden: true,
      channel: id,
      channel_type: 'channel',
      message: { ts: reply.ts, text: 'fixed', user: ana, thread_ts: parent.ts, edited: { user: ana } },
      previous_message: { ts: reply.ts, text: 'typo', thread_ts: parent.ts },
    });
    expect(emulator.message(id, reply.ts)?.text).toBe('fixed');
    expect(emulator.messageVersions(id, reply.ts).map((v) => [v.text, v.by])).toEqual([
      ['typo', ana],
      ['fixed', ana],
    ]);
    await expect(emulator.userEditsMessage(id, parent.ts ?? '', 'no')).rejects.toThrow(/only its author/);

    const deleted = await emulator.userDeletesMessage(id, reply.ts);
    expect(deleted?.status).toBe(200);
    expect(events().at(-1)).toMatchObject({
      type: 'message',
      subtype: 'message_deleted',
      hidden: true,
      channel: id,
      deleted_ts: reply.ts,
      previous_message: { ts: reply.ts, text: 'fixed', thread_ts: parent.ts },
    });
    expect(emulator.message(id, reply.ts)).toBeUndefined();

    // A parent with replies stays as a tombstone, announced as a change.
    await emulator.userPostsInChannel(id, ana, 'another', { threadTs: parent.ts });
    await emulator.userDeletesMessage(id, parent.ts ?? '');
    expect(events().at(-1)).toMatchObject({
      subtype: 'message_changed',
      message: { subtype: 'tombstone', hidden: true, ts: parent.ts, reply_count: 1 },
      previous_message: { text: 'notice' },
    });
    expect((await client.conversations.replies({ channel: id, ts: parent.ts ?? '' })).messages?.length).toBe(2);
  });

  it('stores reactions from people (reaction_added) and from the bot (reactions.add/remove)', async () => {
    const { id, ana } = await teamChannel('reactions');
    const posted = await client.chat.postMessage({ channel: id, text: 'claim me' });
    const ts = posted.ts ?? '';
    const delivery = await emulator.userReacts(id, ts, ana, 'eyes');
    expect(delivery?.status).toBe(200);
    const event = events().at(-1);
    expect(event).toMatchObject({
      type: 'reaction_added',
      user: ana,
      reaction: 'eyes',
      item_user: emulator.botUserId,
      item: { type: 'message', channel: id, ts },
    });
    expect(typeof event?.event_ts).toBe('string');

    await client.reactions.add({ channel: id, timestamp: ts, name: 'eyes' });
    await client.reactions.add({ channel: id, timestamp: ts, name: 'white_check_mark' });
    expect((await slackError(client.reactions.add({ channel: id, timestamp: ts, name: 'eyes' }))).error).toBe(
      'already_reacted',
    );
    expect((await slackError(client.reactions.add({ channel: id, timestamp: '1.000001', name: 'eyes' }))).error).toBe(
      'message_not_found',
    );
    expect((await slackError(client.reactions.add({ channel: id, timestamp: ts, name: ':eyes:' }))).error).toBe(
      'invalid_name',
    );
    const history = await client.conversations.history({ channel: id });
    expect(history.messages?.find((m) => m.ts === ts)?.reactions).toEqual([
      { name: 'eyes', users: [ana, emulator.botUserId], count: 2 },
      { name: 'white_check_mark', users: [emulator.botUserId], count: 1 },
    ]);
    await client.reactions.remove({ channel: id, timestamp: ts, name: 'white_check_mark' });
    expect(
      (await slackError(client.reactions.remove({ channel: id, timestamp: ts, name: 'white_check_mark' }))).error,
    ).toBe('no_reaction');
    expect(emulator.message(id, ts)?.reactions).toEqual([{ name: 'eyes', users: [ana, emulator.botUserId], count: 2 }]);

    // Reactions on a thread reply show in conversations.replies.
    const reply = await client.chat.postMessage({ channel: id, text: 'in thread', thread_ts: ts });
    await emulator.userReacts(id, reply.ts ?? '', ana, 'thumbsup::skin-tone-3');
    const replies = await client.conversations.replies({ channel: id, ts });
    expect(replies.messages?.[1]?.reactions).toEqual([{ name: 'thumbsup::skin-tone-3', users: [ana], count: 1 }]);
    await emulator.userRemovesReaction(id, reply.ts ?? '', ana, 'thumbsup::skin-tone-3');
    expect(events().at(-1)).toMatchObject({ type: 'reaction_removed', user: ana, item: { ts: reply.ts } });
  });

  it('publishes a Home tab and delivers app_home_opened with it', async () => {
    const ana = emulator.addUser({ id: 'U0ANA', name: 'ana', realName: 'Ana Lima', email: 'ana@acme.example' });
    const before = await emulator.openAppHome(ana.id);
    expect(before?.status).toBe(200);
    const firstOpen = events().at(-1);
    expect(firstOpen).toMatchObject({ type: 'app_home_opened', user: ana.id, tab: 'home' });
    expect(String(firstOpen?.channel)).toMatch(/^D[A-Z0-9]+$/);
    expect(firstOpen?.view).toBeUndefined();

    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Your conversations*: 2 open' } }];
    const published = await client.views.publish({ user_id: ana.id, view: { type: 'home', blocks } });
    expect(published.view).toMatchObject({ type: 'home', team_id: emulator.teamId, app_id: emulator.apiAppId });
    expect(published.view?.id).toMatch(/^V[A-Z0-9]+$/);
    expect(published.view?.blocks?.[0]).toMatchObject({ type: 'section', block_id: expect.any(String) });
    expect(emulator.homeView(ana.id)).toMatchObject({ id: published.view?.id, hash: published.view?.hash });

    await emulator.openAppHome(ana.id);
    expect(events().at(-1)).toMatchObject({
      type: 'app_home_opened',
      user: ana.id,
      channel: firstOpen?.channel,
      tab: 'home',
      view: { id: published.view?.id, type: 'home', blocks: published.view?.blocks },
    });
    await emulator.openAppHome(ana.id, { tab: 'messages' });
    expect(events().at(-1)).toMatchObject({ type: 'app_home_opened', tab: 'messages', channel: firstOpen?.channel });
    expect(events().at(-1)?.view).toBeUndefined();

    // WebClient logs the answer's response_metadata.messages at error level: a quiet client for the refusals.
    const silent = {
      debug() {},
      info() {},
      warn() {},
      error() {},
      setLevel() {},
      getLevel: () => LogLevel.ERROR,
      setName() {},
    };
    const quiet = new WebClient(emulator.botToken, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
      logger: silent,
    });
    const invalid = async (args: Parameters<WebClient['views']['publish']>[0]): Promise<unknown> => {
      try {
        await quiet.views.publish(args);
      } catch (err) {
        return (err as { data?: unknown }).data;
      }
      throw new Error('expected invalid_arguments');
    };
    expect(
      await invalid({ user_id: ana.id, view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks } }),
    ).toMatchObject({ error: 'invalid_arguments', response_metadata: { messages: [expect.stringContaining('home')] } });
    const many = Array.from({ length: 101 }, () => ({ type: 'divider' as const }));
    expect(await invalid({ user_id: ana.id, view: { type: 'home', blocks: many } })).toMatchObject({
      error: 'invalid_arguments',
    });
    // Slack's documented answer for a user it cannot publish to: invalid_arguments, "invalid `user_id`".
    expect(await invalid({ user_id: 'U0NOBODY', view: { type: 'home', blocks } })).toMatchObject({
      error: 'invalid_arguments',
      response_metadata: { messages: ['invalid `user_id`'] },
    });
    expect(
      (await slackError(client.views.publish({ user_id: ana.id, view: { type: 'home', blocks }, hash: 'stale' })))
        .error,
    ).toBe('hash_conflict');
  });

  it('answers not_enabled when the Home tab is off', async () => {
    const off = await startSlackEmulator({ homeTab: false });
    try {
      expect(
        (await slackError(clientFor(off).views.publish({ user_id: 'U0OWNER', view: { type: 'home', blocks: [] } })))
          .error,
      ).toBe('not_enabled');
    } finally {
      await off.close();
    }
  });

  it('sends a message shortcut with the whole message, and reads the answer on its response_url', async () => {
    const { id, ana } = await teamChannel('shortcuts');
    const parent = await client.chat.postMessage({ channel: id, text: 'notice' });
    const reply = await emulator.userPostsInChannel(id, ana, 'please send this to Jane', { threadTs: parent.ts });
    const result = await emulator.sendMessageShortcut({
      userId: ana,
      channelId: id,
      messageTs: reply.ts,
      callbackId: 'parley_send_to_user',
    });
    expect(result.status).toBe(200);
    expect(interactions().at(-1)).toEqual(
      expect.objectContaining({
        type: 'message_action',
        callback_id: 'parley_send_to_user',
        trigger_id: result.triggerId,
        response_url: result.responseUrl,
        team: { id: emulator.teamId, domain: emulator.teamDomain },
        user: expect.objectContaining({ id: ana, username: 'ana', name: 'ana' }),
        channel: { id, name: 'shortcuts' },
        message_ts: reply.ts,
        message: expect.objectContaining({
          type: 'message',
          ts: reply.ts,
          text: 'please send this to Jane',
          user: ana,
          thread_ts: parent.ts,
        }),
      }),
    );
    await fetch(result.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Sent to Jane' }),
    });
    expect(emulator.responses(result.responseUrl).map((r) => r.body)).toEqual([
      { response_type: 'ephemeral', text: 'Sent to Jane' },
    ]);
    // A bot post carries bot_id instead of user.
    await emulator.sendMessageShortcut({ userId: ana, channelId: id, messageTs: parent.ts ?? '', callbackId: 'x' });
    expect(interactions().at(-1)?.message).toMatchObject({ ts: parent.ts, bot_id: emulator.botId });
  });

  it('sends block actions naming the clicked message: container, message and channel', async () => {
    const { id, ana } = await teamChannel('clicks');
    const buttons = (conversation: string) => [
      { type: 'section', block_id: 'head', text: { type: 'mrkdwn', text: `Conversation ${conversation}` } },
      {
        type: 'actions',
        block_id: 'acts',
        elements: [
          {
            type: 'button',
            action_id: 'parley_claim',
            value: conversation,
            text: { type: 'plain_text', text: 'Claim' },
          },
        ],
      },
    ];
    const older = await client.chat.postMessage({ channel: id, text: 'c-1', blocks: buttons('c-1') });
    const newer = await client.chat.postMessage({ channel: id, text: 'c-2', blocks: buttons('c-2') });
    await emulator.userPostsInChannel(id, ana, 'chatter after the notices');

    // Without messageTs: the newest message holding that button.
    await emulator.sendBlockAction({ userId: ana, channelId: id, actionId: 'parley_claim', value: 'c-2' });
    expect(interactions().at(-1)).toMatchObject({
      type: 'block_actions',
      container: { type: 'message', message_ts: newer.ts, channel_id: id, is_ephemeral: false },
      channel: { id, name: 'clicks' },
      message: { ts: newer.ts, bot_id: emulator.botId, blocks: buttons('c-2') },
      actions: [{ action_id: 'parley_claim', block_id: 'acts', value: 'c-2', type: 'button', text: { text: 'Claim' } }],
    });
    // Naming the message: that one, even an older notice.
    await emulator.sendBlockAction({
      userId: ana,
      channelId: id,
      actionId: 'parley_claim',
      value: 'c-1',
      messageTs: older.ts,
    });
    expect(interactions().at(-1)).toMatchObject({
      container: { message_ts: older.ts, channel_id: id },
      message: { ts: older.ts, text: 'c-1' },
    });
    // In a thread, the container names the thread too.
    const inThread = await client.chat.postMessage({
      channel: id,
      text: 'c-3',
      blocks: buttons('c-3'),
      thread_ts: older.ts,
    });
    await emulator.sendBlockAction({
      userId: ana,
      channelId: id,
      actionId: 'parley_claim',
      value: 'c-3',
      messageTs: inThread.ts,
    });
    expect(interactions().at(-1)).toMatchObject({
      container: { message_ts: inThread.ts, thread_ts: older.ts },
      message: { ts: inThread.ts, thread_ts: older.ts },
    });
  });

  it('delivers reactions and App Home only to an app subscribed to them (and with reactions:read)', async () => {
    const narrow = await startSlackEmulator({
      parleyUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      botEvents: ['message.channels'],
      scopes: ['channels:manage', 'channels:history', 'chat:write', 'reactions:write'],
    });
    try {
      const c = clientFor(narrow);
      narrow.addUser({ id: 'U0ANA', name: 'ana', realName: 'Ana Lima', email: 'ana@acme.example' });
      const { channel } = await c.conversations.create({ name: 'narrow' });
      const posted = await c.chat.postMessage({ channel: channel?.id ?? '', text: 'x' });
      expect(await narrow.userReacts(channel?.id ?? '', posted.ts ?? '', 'U0ANA', 'eyes')).toBeUndefined();
      expect(await narrow.openAppHome('U0ANA')).toBeUndefined();
      // The reaction is stored all the same.
      expect(narrow.message(channel?.id ?? '', posted.ts ?? '')?.reactions).toEqual([
        { name: 'eyes', users: ['U0ANA'], count: 1 },
      ]);
      expect(narrow.specViolations).toEqual([]);
    } finally {
      await narrow.close();
    }
  });

  it('rate-limits the new methods by their tiers', async () => {
    // Scaled 1/50: Tier 3 allows 1 call in 1.2 s, Tier 4 2 calls.
    const scaled = await startSlackEmulator({ rateLimitScale: 0.02 });
    try {
      const c = clientFor(scaled);
      const { channel } = await c.conversations.create({ name: 'tiers' });
      const id = channel?.id ?? '';
      const posted = await c.chat.postMessage({ channel: id, text: 'x' });
      const ts = posted.ts ?? '';
      await c.reactions.add({ channel: id, timestamp: ts, name: 'eyes' });
      expect((await slackError(c.reactions.add({ channel: id, timestamp: ts, name: 'tada' }))).code).toBe(
        ErrorCode.RateLimitedError,
      );
      await c.conversations.replies({ channel: id, ts });
      expect((await slackError(c.conversations.replies({ channel: id, ts }))).code).toBe(ErrorCode.RateLimitedError);
      const view = { type: 'home' as const, blocks: [] };
      await c.views.publish({ user_id: 'U0OWNER', view });
      await c.views.publish({ user_id: 'U0OWNER', view });
      expect((await slackError(c.views.publish({ user_id: 'U0OWNER', view }))).code).toBe(ErrorCode.RateLimitedError);
      expect(scaled.specViolations).toEqual([]);
    } finally {
      await scaled.close();
    }
  });
});
