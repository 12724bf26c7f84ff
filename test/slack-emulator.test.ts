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
