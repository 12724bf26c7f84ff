/**
 * The Zendesk emulator, exercised with plain fetch (as a Support API client would) and with a tiny local server
 * standing in for Parley's webhook endpoint.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/zendesk/webhook`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface User {
  id: number;
  name: string;
  email: string | null;
  role: string;
}
interface Comment {
  id: number;
  body: string;
  html_body: string;
}
interface Trigger {
  id: number;
  title: string;
  conditions: { all: unknown[]; any: unknown[] };
  actions: { field: string; value: unknown }[];
}
/** The union of the answer shapes these tests read. */
interface Body {
  user: User;
  users: User[];
  ticket: { id: number };
  tickets: { id: number }[];
  comments: Comment[];
  webhook: { id: string; name: string; authentication?: unknown };
  webhooks: { id: string }[];
  signing_secret: { secret: string; algorithm: string };
  trigger: Trigger;
  triggers: Trigger[];
  error: string;
  description: string;
  details: Record<string, { description: string; error: string }[]>;
}

const PARLEY_BODY = JSON.stringify({
  ticket_id: '{{ticket.id}}',
  external_id: '{{ticket.external_id}}',
  comment_id: '{{ticket.latest_comment.id}}',
  body: '{{ticket.latest_comment.value}}',
  html: '{{ticket.latest_public_comment_html}}',
  public: '{{ticket.latest_comment.is_public}}',
  author_name: '{{ticket.latest_comment.author.name}}',
  author_email: '{{ticket.latest_comment.author.email}}',
  author_photo: '{{ticket.latest_comment.author.photo_url}}',
});

describe('Zendesk emulator', () => {
  let zd: ZendeskEmulator;
  let auth: string;

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Body; text: string; headers: Headers }> => {
    const res = await fetch(`${zd.url}${path}`, {
      method,
      headers: {
        Authorization: auth,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json = {} as Body;
    try {
      json = JSON.parse(text) as Body;
    } catch {
      // plain-text answers
    }
    return { status: res.status, json, text, headers: res.headers };
  };

  const endUser = async (externalId: string, name = 'Ada', email?: string): Promise<number> => {
    const r = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name, external_id: externalId, role: 'end-user', ...(email ? { email } : {}) },
    });
    return r.json.user.id;
  };

  const newTicket = async (requesterId: number, extra: Record<string, unknown> = {}): Promise<number> => {
    const r = await api('POST', '/api/v2/tickets.json', {
      ticket: {
        subject: 'Help',
        comment: { body: 'My app crashes', public: true, author_id: requesterId },
        requester_id: requesterId,
        external_id: 'conv-1',
        tags: ['parley'],
        ...extra,
      },
    });
    expect(r.status).toBe(201);
    return r.json.ticket.id;
  };

  beforeEach(async () => {
    zd = await startZendeskEmulator({ email: 'bot@example.com', apiToken: 'tok' });
    auth = `Basic ${Buffer.from('bot@example.com/token:tok').toString('base64')}`;
  });
  afterEach(async () => {
    await zd.close();
  });

  test('Basic auth with email/token; wrong credentials answer 401', async () => {
    const me = await api('GET', '/api/v2/users/me.json');
    expect(me.status).toBe(200);
    expect(me.json.user).toMatchObject({ email: 'bot@example.com', role: 'admin' });
    auth = `Basic ${Buffer.from('bot@example.com/token:nope').toString('base64')}`;
    const bad = await api('GET', '/api/v2/users/me.json');
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: "Couldn't authenticate you" });
  });

  test('users create_or_update matches by external_id then email; search by external_id', async () => {
    const a = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Ada', external_id: 'u-1', role: 'end-user' },
    });
    expect(a.status).toBe(201);
    const b = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Ada L.', external_id: 'u-1', email: 'ada@example.com', role: 'end-user' },
    });
    expect(b.status).toBe(200);
    expect(b.json.user).toMatchObject({ id: a.json.user.id, name: 'Ada L.', email: 'ada@example.com' });
    const c = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Ada', email: 'ADA@example.com', role: 'end-user' },
    });
    expect(c.status).toBe(200);
    expect(c.json.user.id).toBe(a.json.user.id);
    const found = await api('GET', '/api/v2/users/search.json?external_id=u-1');
    expect(found.json.users.map((u) => u.id)).toEqual([a.json.user.id]);
    const got = await api('GET', `/api/v2/users/${a.json.user.id}.json`);
    expect(got.json.user.role).toBe('end-user');
  });

  test('create_or_update matches external ids without case, and a user found by email takes what is sent', async () => {
    const agent = zd.addAgent({ name: 'Ana Agent', email: 'ana@acme.com', externalId: 'SSO-Ana' });
    // By external id, whatever its case: the case sent is kept; an email of another user is refused.
    const byId = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Ana A.', external_id: 'sso-ana', email: 'zoe@elsewhere.example' },
    });
    expect(byId.status).toBe(200);
    expect(byId.json.user).toMatchObject({
      id: agent.id,
      name: 'Ana A.',
      external_id: 'sso-ana',
      email: 'ana@acme.com',
    });
    expect(zd.user(agent.id)?.secondaryEmails).toEqual(['zoe@elsewhere.example']);
    const other = await endUser('u-2', 'Bo', 'bo@example.com');
    const taken = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Bo', external_id: 'u-2', email: 'ANA@acme.com' },
    });
    expect(taken.status).toBe(422);
    expect(taken.json.details.email?.[0]).toEqual({
      description: 'Email: ana@acme.com is already being used by another user',
      error: 'DuplicateValue',
    });
    // By email (a secondary one too): whoever it is gets the external id, name and role sent.
    const byEmail = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Mallory', external_id: 'parley:x:1', email: 'Zoe@elsewhere.example', role: 'end-user' },
    });
    expect(byEmail.json.user).toMatchObject({ id: agent.id, name: 'Mallory', external_id: 'parley:x:1' });
    expect(zd.user(agent.id)?.role).toBe('end-user');
    expect(zd.user(other)?.email).toBe('bo@example.com');
    // Notes and details are kept and shown.
    const noted = await api('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Cy', external_id: 'u-3', notes: 'Email given: cy@example.com', details: 'VIP' },
    });
    expect(noted.status).toBe(201);
    const shown = await api('GET', `/api/v2/users/${noted.json.user.id}.json`);
    expect(shown.json.user).toMatchObject({ notes: 'Email given: cy@example.com', details: 'VIP' });
  });

  test('ticket creation honours Idempotency-Key; comments are listed oldest first with via api', async () => {
    const requester = await endUser('u-1');
    const body = {
      ticket: {
        subject: 'Help',
        comment: { body: 'First', public: true, author_id: requester },
        requester_id: requester,
        external_id: 'conv-9',
      },
    };
    const first = await api('POST', '/api/v2/tickets.json', body, { 'Idempotency-Key': 'k1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-idempotency-lookup')).toBe('miss');
    const again = await api('POST', '/api/v2/tickets.json', body, { 'Idempotency-Key': 'k1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('x-idempotency-lookup')).toBe('hit');
    expect(again.json.ticket.id).toBe(first.json.ticket.id);
    const other = await api(
      'POST',
      '/api/v2/tickets.json',
      { ticket: { ...body.ticket, subject: 'x' } },
      {
        'Idempotency-Key': 'k1',
      },
    );
    expect(other.status).toBe(400);
    expect(other.json.error).toBe('IdempotentRequestError');
    expect(zd.tickets()).toHaveLength(1);

    const id = first.json.ticket.id;
    const listed = await api('GET', '/api/v2/tickets.json?external_id=conv-9');
    expect(listed.json.tickets.map((t) => t.id)).toEqual([id]);
    const upd = await api('PUT', `/api/v2/tickets/${id}.json`, {
      ticket: { comment: { body: 'Second', public: true, author_id: requester } },
    });
    expect(upd.status).toBe(200);
    const comments = await api('GET', `/api/v2/tickets/${id}/comments.json`);
    expect(comments.json.comments.map((c) => c.body)).toEqual(['First', 'Second']);
    expect(comments.json.comments[1]).toMatchObject({
      type: 'Comment',
      author_id: requester,
      plain_body: 'Second',
      public: true,
      via: { channel: 'api' },
    });
    expect(comments.json.comments[1]?.html_body).toContain('Second');
  });

  test('solved reopens on an end-user comment; closed answers 422; deleted answers 404; follow-ups', async () => {
    const requester = await endUser('u-1');
    const id = await newTicket(requester);
    zd.setStatus(id, 'solved');
    await api('PUT', `/api/v2/tickets/${id}.json`, {
      ticket: { comment: { body: 'Still broken', author_id: requester } },
    });
    expect(zd.ticket(id)?.status).toBe('open');

    zd.setStatus(id, 'closed');
    const closed = await api('PUT', `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: 'Hello?' } } });
    expect(closed.status).toBe(422);
    expect(closed.json).toMatchObject({
      error: 'RecordInvalid',
      details: { status: [{ description: 'Status: closed prevents ticket update' }] },
    });
    const followup = await newTicket(requester, { via_followup_source_id: id });
    expect(zd.ticket(followup)?.via.source).toMatchObject({ rel: 'follow_up', from: { ticket_id: id } });
    expect(zd.ticket(id)?.followup_ids).toEqual([followup]);

    zd.deleteTicket(followup);
    const gone = await api('GET', `/api/v2/tickets/${followup}.json`);
    expect(gone.status).toBe(404);
    expect(gone.json.error).toBe('RecordNotFound');
  });

  test('account limit answers JSON 429; the per-ticket update limit answers plain text 429', async () => {
    await zd.close();
    zd = await startZendeskEmulator({
      email: 'bot@example.com',
      apiToken: 'tok',
      ticketUpdateLimit: { max: 2, windowMs: 600_000 },
    });
    const requester = await endUser('u-1');
    const id = await newTicket(requester);
    const put = (): ReturnType<typeof api> =>
      api('PUT', `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: 'x', author_id: requester } } });
    expect((await put()).status).toBe(200);
    expect((await put()).status).toBe(200);
    const limited = await put();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('text/plain');
    expect(() => JSON.parse(limited.text) as unknown).toThrow();
    expect(limited.text).toBe('Too Many Requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(zd.callCount('PUT', /\/tickets\/\d+/)).toBe(3);

    await zd.close();
    zd = await startZendeskEmulator({
      email: 'bot@example.com',
      apiToken: 'tok',
      accountLimit: { max: 2, windowMs: 60_000 },
    });
    expect((await api('GET', '/api/v2/users/me.json')).headers.get('x-rate-limit-remaining')).toBe('1');
    await api('GET', '/api/v2/users/me.json');
    const over = await api('GET', '/api/v2/users/me.json');
    expect(over.status).toBe(429);
    expect(over.json.error).toBe('APIRateLimitExceeded');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('failNext with afterEffect performs the call and then answers the error', async () => {
    const requester = await endUser('u-1');
    zd.failNext('/api/v2/tickets.json', { status: 503, afterEffect: true, method: 'POST' });
    const r = await api('POST', '/api/v2/tickets.json', {
      ticket: { subject: 'x', comment: { body: 'x' }, requester_id: requester },
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(zd.tickets()).toHaveLength(1);
  });

  test('webhooks CRUD, filter and signing secret', async () => {
    const created = await api('POST', '/api/v2/webhooks', {
      webhook: {
        name: 'Parley',
        endpoint: 'http://127.0.0.1:1/hook',
        http_method: 'POST',
        request_format: 'json',
        status: 'active',
        subscriptions: ['conditional_ticket_events'],
        authentication: { type: 'bearer_token', data: { token: 'abc' }, add_position: 'header' },
      },
    });
    expect(created.status).toBe(201);
    const id = created.json.webhook.id;
    expect(id).toMatch(/^[0-9A-Z]{26}$/);
    expect(created.json.webhook.authentication).toEqual({ type: 'bearer_token', add_position: 'header' });
    const filtered = await api('GET', '/api/v2/webhooks?filter[name_contains]=parl');
    expect(filtered.json.webhooks.map((w) => w.id)).toEqual([id]);
    expect((await api('GET', '/api/v2/webhooks?filter[name_contains]=zzz')).json.webhooks).toEqual([]);
    const secret = await api('GET', `/api/v2/webhooks/${id}/signing_secret`);
    expect(secret.json.signing_secret).toEqual({ secret: expect.any(String), algorithm: 'SHA256' });
    expect((await api('PATCH', `/api/v2/webhooks/${id}`, { webhook: { name: 'Parley 2' } })).status).toBe(204);
    expect((await api('GET', `/api/v2/webhooks/${id}`)).json.webhook.name).toBe('Parley 2');
    expect((await api('DELETE', `/api/v2/webhooks/${id}`)).status).toBe(204);
    expect((await api('GET', `/api/v2/webhooks/${id}`)).status).toBe(404);
  });

  test('a webhook trigger fires for an agent public UI comment, not for API comments; signature verifies', async () => {
    const receiver = await startReceiver();
    try {
      const hook = await api('POST', '/api/v2/webhooks', {
        webhook: {
          name: 'Parley',
          endpoint: receiver.url,
          http_method: 'POST',
          request_format: 'json',
          status: 'active',
          subscriptions: ['conditional_ticket_events'],
        },
      });
      const hookId = hook.json.webhook.id;
      const secret = (await api('GET', `/api/v2/webhooks/${hookId}/signing_secret`)).json.signing_secret.secret;
      const trig = await api('POST', '/api/v2/triggers.json', {
        trigger: {
          title: 'Parley: agent replies',
          conditions: {
            all: [
              { field: 'update_type', operator: 'is', value: 'Change' },
              { field: 'comment_is_public', operator: 'is', value: true },
              { field: 'current_via_id', operator: 'is_not', value: '5' },
              { field: 'current_tags', operator: 'includes', value: 'parley' },
              { field: 'role', operator: 'is', value: 'agent' },
            ],
            any: [],
          },
          actions: [{ field: 'notification_webhook', value: [hookId, PARLEY_BODY] }],
        },
      });
      expect(trig.status).toBe(201);

      const requester = await endUser('u-1');
      const id = await newTicket(requester);
      await api('PUT', `/api/v2/tickets/${id}.json`, {
        ticket: { comment: { body: 'via API', public: true, author_id: requester } },
      });
      await zd.settle();
      expect(receiver.received).toHaveLength(0);

      const agent = zd.addAgent({
        name: 'Grace',
        email: 'grace@example.com',
        signature: 'Grace, {{agent.name}} team',
        photoUrl: 'https://example.com/g.png',
      });
      const result = await zd.agentComment(id, agent.id, 'Try "turning" it off\nand on');
      expect(result.fired).toContain('Parley: agent replies');
      expect(result.comment.via.channel).toBe('web');
      expect(result.comment.body).toBe('Try "turning" it off\nand on\n\nGrace, Grace team');
      expect(receiver.received).toHaveLength(1);
      const got = receiver.received[0] as Received;
      const ts = got.headers['x-zendesk-webhook-signature-timestamp'] as string;
      const expected = crypto
        .createHmac('sha256', secret)
        .update(ts + got.raw)
        .digest('base64');
      expect(got.headers['x-zendesk-webhook-signature']).toBe(expected);
      expect(got.headers['x-zendesk-webhook-id']).toBe(hookId);
      const payload = JSON.parse(got.raw) as Record<string, string>;
      expect(payload).toMatchObject({
        ticket_id: String(id),
        external_id: 'conv-1',
        comment_id: String(result.comment.id),
        body: result.comment.body,
        public: 'true',
        author_name: 'Grace',
        author_email: 'grace@example.com',
        author_photo: 'https://example.com/g.png',
      });
      expect(payload.html).toContain('turning');

      await zd.agentComment(id, agent.id, 'internal', { public: false });
      expect(receiver.received).toHaveLength(1);

      const again = await zd.redeliver();
      expect(again.status).toBe(200);
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[1]?.raw).toBe(got.raw);
      expect(receiver.received[1]?.headers['x-zendesk-webhook-invocation-id']).toBe(
        got.headers['x-zendesk-webhook-invocation-id'],
      );
      // A retry signed again: same body and invocation id, a signature that verifies over its own timestamp.
      const resigned = await zd.redeliver({ resign: true });
      const third = receiver.received[2] as Received;
      expect(resigned.invocationId).toBe(got.headers['x-zendesk-webhook-invocation-id']);
      expect(third.raw).toBe(got.raw);
      const ts3 = third.headers['x-zendesk-webhook-signature-timestamp'] as string;
      expect(third.headers['x-zendesk-webhook-signature']).toBe(
        crypto
          .createHmac('sha256', secret)
          .update(ts3 + third.raw)
          .digest('base64'),
      );
      // Text after the signature (a footer) follows it in the comment.
      const footed = await zd.agentComment(id, agent.id, 'Done', { footer: '--\nAcme' });
      expect(footed.comment.body).toBe('Done\n\nGrace, Grace team\n\n--\nAcme');
      expect(zd.warnings).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  test('the standard comment-update trigger emails the requester unless the parley tag is excluded', async () => {
    const requester = await endUser('u-1', 'Ada', 'ada@example.com');
    const agent = zd.addAgent({ name: 'Grace', email: 'grace@example.com' });
    const id = await newTicket(requester);
    expect(zd.requesterEmails).toHaveLength(0); // the requester authored the first comment

    await zd.agentComment(id, agent.id, 'Hello');
    expect(zd.requesterEmails).toHaveLength(1);
    expect(zd.requesterEmails[0]).toMatchObject({
      to: 'ada@example.com',
      triggerTitle: 'Notify requester and CCs of comment update',
    });
    expect(zd.requesterEmails[0]?.body).toContain('Hello');

    const listed = await api('GET', '/api/v2/triggers/active.json');
    const standard = listed.json.triggers.filter((t) => t.actions.some((a) => a.field === 'notification_user'));
    expect(standard.map((t) => t.title)).toEqual(
      expect.arrayContaining([
        'Notify requester of new proactive ticket',
        'Notify requester and CCs of comment update',
      ]),
    );
    for (const t of standard) {
      const r = await api('PUT', `/api/v2/triggers/${t.id}.json`, {
        trigger: {
          conditions: {
            all: [...t.conditions.all, { field: 'current_tags', operator: 'not_includes', value: 'parley' }],
            any: t.conditions.any,
          },
        },
      });
      expect(r.status).toBe(200);
    }
    await zd.agentComment(id, agent.id, 'Hello again');
    expect(zd.requesterEmails).toHaveLength(1);

    // A proactive ticket made through the API by the agent for an untagged requester still emails.
    await api('POST', '/api/v2/tickets.json', {
      ticket: { subject: 'Hi', comment: { body: 'We noticed', author_id: zd.apiUser.id }, requester_id: requester },
    });
    expect(zd.requesterEmails).toHaveLength(2);
    expect(zd.requesterEmails[1]?.triggerTitle).toBe('Notify requester of new proactive ticket');
  });
});

describe('Zendesk emulator uploads', () => {
  let zd: ZendeskEmulator;
  const auth = () => `Basic ${Buffer.from(`${zd.email}/token:${zd.apiToken}`).toString('base64')}`;
  interface Attachment {
    id: number;
    file_name: string;
    content_url: string;
    content_type: string;
    size: number;
  }
  interface UploadAnswer {
    upload: { token: string; attachment: Attachment; attachments: Attachment[] };
  }

  const post = (query: string, bytes: Buffer, type: string, authorization = auth()) =>
    fetch(`${zd.url}/api/v2/uploads.json?${query}`, {
      method: 'POST',
      headers: { Authorization: authorization, 'Content-Type': type },
      body: bytes,
    });
  const jsonCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${zd.url}${path}`, {
      method,
      headers: { Authorization: auth(), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeEach(async () => {
    zd = await startZendeskEmulator({ maxUploadBytes: 1024 });
  });
  afterEach(async () => {
    await zd.close();
  });

  it('takes files into one upload by its token, attaches them to a comment, and serves them with auth', async () => {
    const first = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const second = Buffer.from('%PDF-1.4 tiny');
    const r1 = await post('filename=a%20shot.png', first, 'image/png');
    expect(r1.status).toBe(201);
    const u1 = (await r1.json()) as UploadAnswer;
    expect(u1.upload.attachment).toMatchObject({ file_name: 'a shot.png', content_type: 'image/png', size: 7 });
    const r2 = await post(`filename=doc.pdf&token=${u1.upload.token}`, second, 'application/pdf');
    const u2 = (await r2.json()) as UploadAnswer;
    expect(u2.upload.token).toBe(u1.upload.token);
    expect(u2.upload.attachments.map((a) => a.file_name)).toEqual(['a shot.png', 'doc.pdf']);

    const user = await jsonCall('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Ada', external_id: 'ada', role: 'end-user' },
    });
    const userId = (user.json.user as { id: number }).id;
    const created = await jsonCall('POST', '/api/v2/tickets.json', {
      ticket: {
        subject: 'Files',
        requester_id: userId,
        comment: { body: 'See files', author_id: userId, uploads: [u1.upload.token] },
      },
    });
    expect(created.status).toBe(201);
    const ticketId = (created.json.ticket as { id: number }).id;
    const listed = await jsonCall('GET', `/api/v2/tickets/${ticketId}/comments.json`);
    const [comment] = listed.json.comments as { attachments: Attachment[] }[];
    expect(comment?.attachments.map((a) => [a.file_name, a.content_type, a.size])).toEqual([
      ['a shot.png', 'image/png', 7],
      ['doc.pdf', 'application/pdf', second.length],
    ]);
    const url = comment!.attachments[0]!.content_url;
    const got = await fetch(url, { headers: { Authorization: auth() } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await got.arrayBuffer()).equals(first)).toBe(true);
    // Downloads need the account's credentials ("Require authentication to download").
    expect((await fetch(url)).status).toBe(401);

    // A token attaches once; adding to an attached upload is refused.
    await jsonCall('PUT', `/api/v2/tickets/${ticketId}.json`, {
      ticket: { comment: { body: 'Again', author_id: userId, uploads: [u1.upload.token] } },
    });
    expect(zd.warnings).toEqual([`comment uploads: token ${u1.upload.token} is already attached`]);
    expect((await post(`filename=x.png&token=${u1.upload.token}`, first, 'image/png')).status).toBe(404);
  });

  it('refuses an upload without credentials, without a filename, or over the size limit', async () => {
    const bytes = Buffer.from('hello');
    expect((await post('filename=a.txt', bytes, 'text/plain', 'Basic bm9wZQ==')).status).toBe(401);
    expect((await post('', bytes, 'text/plain')).status).toBe(400);
    expect((await post('filename=big.bin', Buffer.alloc(1025), 'application/octet-stream')).status).toBe(413);
    expect(zd.uploads()).toEqual([]);
  });
});
