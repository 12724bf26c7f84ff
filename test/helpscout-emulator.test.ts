/**
 * The Help Scout emulator, exercised with plain fetch (as a Mailbox API 2.0 client would) and with a tiny local
 * server standing in for Parley's webhook endpoint.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
}

/** A stand-in for Parley's webhook endpoint. */
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
    url: `http://127.0.0.1:${port}/helpscout/webhook`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface FieldError {
  path: string;
  message: string;
  source: string;
}
interface ErrorBody {
  message: string;
  logRef: string;
  _embedded: { errors: FieldError[] };
}
interface Thread {
  id: number;
  type: string;
  body: string;
  createdBy: Record<string, unknown>;
}
interface Listing {
  _embedded: Record<string, ({ id: number; name: string; events: string[] } & Record<string, unknown>)[]>;
  page: { size: number; totalElements: number; totalPages: number; number: number };
}
interface Conversation extends Record<string, unknown> {
  _embedded: { threads: Thread[] };
}

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

async function getToken(hs: HelpScoutEmulator, secret = hs.clientSecret): Promise<Response> {
  return fetch(hs.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: hs.clientId, client_secret: secret }),
  });
}

async function token(hs: HelpScoutEmulator): Promise<string> {
  const res = await getToken(hs);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

function api(hs: HelpScoutEmulator, tok: string) {
  return async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${hs.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${tok}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

function conversationBody(mailboxId: number, email: string, type = 'email', extra: Record<string, unknown> = {}) {
  return {
    subject: 'Help with my order',
    customer: { email, firstName: 'Ada', lastName: 'Lovelace' },
    mailboxId,
    type,
    status: 'active',
    threads: [{ type: type === 'chat' ? 'chat' : 'customer', customer: { email }, text: 'Hello there' }],
    tags: ['parley'],
    ...extra,
  };
}

describe('Help Scout emulator', () => {
  let hs: HelpScoutEmulator;
  let call: ReturnType<typeof api>;
  let mailboxId: number;

  beforeEach(async () => {
    hs = await startHelpScoutEmulator({ rateLimit: false });
    call = api(hs, await token(hs));
    mailboxId = hs.mailboxes()[0]!.id;
  });
  afterEach(async () => {
    await hs.close();
  });

  async function createConversation(email = 'ada@example.com', type = 'email', extra = {}): Promise<number> {
    const res = await call('POST', 'conversations', conversationBody(mailboxId, email, type, extra));
    expect(res.status).toBe(201);
    return Number(res.headers.get('resource-id'));
  }

  test('token grant, bad credentials, expiry → 401 → a new token works', async () => {
    const bad = await getToken(hs, 'nope');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client' });

    const res = await getToken(hs);
    expect(res.status).toBe(200);
    const body = await json<Record<string, unknown>>(res);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 7200 });
    expect(typeof body.access_token).toBe('string');
    expect(hs.tokenGrants).toBe(2);

    expect((await fetch(`${hs.apiUrl}mailboxes`)).status).toBe(401);
    hs.expireTokens();
    const expired = await call('GET', 'mailboxes');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: expect.any(String), logRef: expect.any(String) });

    const fresh = api(hs, await token(hs));
    expect((await fresh('GET', 'mailboxes')).status).toBe(200);
    expect(hs.tokenGrants).toBe(3);
  });

  test('mailboxes: list, get, add, delete', async () => {
    const second = hs.addMailbox({ name: 'Billing', email: 'billing@example.com' });
    const list = await json<Listing>(call('GET', 'mailboxes'));
    expect(list._embedded.mailboxes!.map((m) => m.name)).toEqual(['Support', 'Billing']);
    expect(list.page).toEqual({ size: 25, totalElements: 2, totalPages: 1, number: 1 });
    const one = await json<Listing>(call('GET', `mailboxes/${second.id}`));
    expect(one).toMatchObject({ id: second.id, name: 'Billing', email: 'billing@example.com' });
    hs.deleteMailbox(second.id);
    expect((await call('GET', `mailboxes/${second.id}`)).status).toBe(404);
  });

  test('create conversation → 201 + Resource-ID + Location; validation errors', async () => {
    const res = await call('POST', 'conversations', conversationBody(mailboxId, 'ada@example.com'));
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('');
    const id = res.headers.get('resource-id');
    expect(id).toMatch(/^\d+$/);
    expect(res.headers.get('location')).toBe(`${hs.apiUrl}conversations/${id}`);

    const conv = await json<Conversation>(call('GET', `conversations/${id}?embed=threads`));
    expect(conv).toMatchObject({
      id: Number(id),
      number: 1,
      type: 'email',
      status: 'active',
      state: 'published',
      subject: 'Help with my order',
      preview: 'Hello there',
      mailboxId,
      threads: 1,
      tags: [{ tag: 'parley', id: expect.any(Number) }],
      primaryCustomer: { email: 'ada@example.com', first: 'Ada', last: 'Lovelace', type: 'customer' },
      customer: { email: 'ada@example.com' },
    });
    expect(conv._embedded.threads).toHaveLength(1);
    expect(hs.customers()).toHaveLength(1);

    const invalid = await call('POST', 'conversations', { customer: { email: 'x@example.com' }, type: 'fax' });
    expect(invalid.status).toBe(400);
    const err = await json<ErrorBody>(invalid);
    expect(err.message).toBe('Bad request');
    expect(err._embedded.errors.map((e) => e.path).sort()).toEqual(
      ['mailboxId', 'status', 'subject', 'threads', 'type'].sort(),
    );
  });

  test('customer thread reopens, threads newest first, note and reply', async () => {
    const id = await createConversation();
    expect(
      (await call('PATCH', `conversations/${id}`, { op: 'replace', path: '/status', value: 'closed' })).status,
    ).toBe(204);
    expect(hs.conversation(id)!.status).toBe('closed');

    const res = await call('POST', `conversations/${id}/customer`, {
      customer: { email: 'ada@example.com' },
      text: 'Second message',
    });
    expect(res.status).toBe(201);
    const threadId = Number(res.headers.get('resource-id'));
    expect(hs.conversation(id)!.status).toBe('active');
    expect((await call('POST', `conversations/${id}/notes`, { text: 'internal' })).status).toBe(201);

    const list = (await json<Conversation>(call('GET', `conversations/${id}/threads`)))._embedded.threads;
    expect(list.map((t) => t.type)).toEqual(['note', 'customer', 'lineitem', 'customer']);
    expect(list[1]).toMatchObject({ id: threadId, body: 'Second message', createdBy: { type: 'customer' } });
    expect(list[0]!.createdBy).toMatchObject({ type: 'user', id: hs.apiUser.id });
    expect(list.map((t) => t.id)).toEqual([...list.map((t) => t.id)].sort((a, b) => b - a));

    expect((await call('POST', `conversations/${id}/customer`, { text: '' })).status).toBe(400);
  });

  test('list: mailbox, status, tag, query by email', async () => {
    const a = await createConversation('ada@example.com');
    const b = await createConversation('bob@example.com', 'email', { tags: ['other'], status: 'closed' });
    const find = async (qs: string): Promise<number[]> => {
      const body = await json<Listing>(call('GET', `conversations?${qs}`));
      return body._embedded.conversations!.map((c) => c.id);
    };
    expect(await find(`mailbox=${mailboxId}`)).toEqual([a]); // default status: active
    expect(await find(`mailbox=${mailboxId}&status=all`)).toEqual([b, a]);
    expect(await find('status=closed')).toEqual([b]);
    expect(await find('status=all&tag=parley')).toEqual([a]);
    expect(await find(`status=all&query=${encodeURIComponent('(email:"bob@example.com")')}`)).toEqual([b]);
    expect(await find(`status=all&query=${encodeURIComponent('(customerEmail:"ada@example.com")')}`)).toEqual([a]);
    expect(await find(`status=all&query=${encodeURIComponent('(email:"nobody@example.com")')}`)).toEqual([]);
  });

  test('deleted mailbox: its conversations answer 404, creating in it answers 400 on mailboxId', async () => {
    const id = await createConversation();
    hs.deleteMailbox(mailboxId);
    expect((await call('GET', `conversations/${id}`)).status).toBe(404);
    expect((await call('GET', `conversations/${id}/threads`)).status).toBe(404);
    expect((await call('POST', `conversations/${id}/customer`, { text: 'hi' })).status).toBe(404);
    const res = await call('POST', 'conversations', conversationBody(mailboxId, 'ada@example.com'));
    expect(res.status).toBe(400);
    const err = await json<ErrorBody>(res);
    expect(err._embedded.errors).toEqual([
      expect.objectContaining({ path: 'mailboxId', message: expect.any(String), source: 'JSON' }),
    ]);
  });

  test('webhook CRUD and validation', async () => {
    const body = { url: 'http://127.0.0.1:1/hook', events: ['convo.agent.reply.created'], secret: 's3cret' };
    const res = await call('POST', 'webhooks', { ...body, payloadVersion: 'V2', label: 'parley' });
    expect(res.status).toBe(201);
    const id = Number(res.headers.get('resource-id'));
    expect(res.headers.get('location')).toBe(`${hs.apiUrl}webhooks/${id}`);

    const got = await json<Record<string, unknown>>(call('GET', `webhooks/${id}`));
    expect(got).toMatchObject({ id, url: body.url, events: body.events, payloadVersion: 'V2', label: 'parley' });
    expect(got.secret).toBeUndefined();

    expect((await call('PUT', `webhooks/${id}`, { ...body, events: ['convo.note.created'] })).status).toBe(204);
    const list = await json<Listing>(call('GET', 'webhooks'));
    expect(list._embedded.webhooks).toEqual([expect.objectContaining({ id, events: ['convo.note.created'] })]);

    const badEvent = await call('POST', 'webhooks', { ...body, events: ['convo.exploded'] });
    expect(badEvent.status).toBe(400);
    expect((await json<ErrorBody>(badEvent))._embedded.errors[0]).toMatchObject({ path: 'events[0]' });
    const longSecret = await call('POST', 'webhooks', { ...body, secret: 'x'.repeat(41) });
    expect(longSecret.status).toBe(400);
    expect((await json<ErrorBody>(longSecret))._embedded.errors[0]).toMatchObject({ path: 'secret' });
    expect((await call('POST', 'webhooks', { ...body, secret: 'x'.repeat(40) })).status).toBe(201);
    expect((await call('POST', 'webhooks', { ...body, url: 'not a url' })).status).toBe(400);

    expect((await call('DELETE', `webhooks/${id}`)).status).toBe(204);
    expect((await call('GET', `webhooks/${id}`)).status).toBe(404);
  });

  test('agentReply delivers a correctly signed v2 conversation; redeliver and bad signatures', async () => {
    const receiver = await startReceiver();
    try {
      const secret = 'parley-webhook-secret';
      const events = ['convo.agent.reply.created', 'convo.note.created'];
      expect((await call('POST', 'webhooks', { url: receiver.url, events, secret })).status).toBe(201);
      const other = hs.addMailbox({ name: 'Elsewhere' });
      const elsewhere = `${receiver.url}?elsewhere`;
      expect((await call('POST', 'webhooks', { url: elsewhere, events, secret, mailboxIds: [other.id] })).status).toBe(
        201,
      );
      const agent = hs.addUser({
        first: 'Grace',
        last: 'Hopper',
        email: 'grace@team.test',
        photoUrl: 'https://x/p.png',
      });
      const id = await createConversation();

      const result = await hs.agentReply(id, agent.id, 'Hi <Ada>\nsee you');
      expect(result.deliveries).toEqual([expect.objectContaining({ url: receiver.url, status: 200, body: 'ok' })]);
      expect(receiver.received).toHaveLength(1);
      const got = receiver.received[0]!;
      expect(got.headers['x-helpscout-event']).toBe('convo.agent.reply.created');
      expect(got.headers['content-type']).toBe('application/json');
      const expected = crypto.createHmac('sha1', secret).update(got.raw).digest('base64');
      expect(got.headers['x-helpscout-signature']).toBe(expected);

      const payload = JSON.parse(got.raw) as Conversation;
      expect(payload).toMatchObject({ id, mailboxId, primaryCustomer: { email: 'ada@example.com' } });
      expect(payload._embedded.threads[0]).toMatchObject({
        id: result.threadId,
        type: 'reply',
        body: '<div>Hi &lt;Ada&gt;<br>see you</div>',
        createdBy: { id: agent.id, type: 'user', first: 'Grace', last: 'Hopper', photoUrl: 'https://x/p.png' },
      });

      const again = await hs.redeliver();
      expect(again.status).toBe(200);
      expect(receiver.received[1]!.raw).toBe(got.raw);
      expect(receiver.received[1]!.headers['x-helpscout-signature']).toBe(got.headers['x-helpscout-signature']);

      await hs.agentNote(id, agent.id, 'private', { badSignature: true });
      const note = receiver.received[2]!;
      expect(note.headers['x-helpscout-event']).toBe('convo.note.created');
      expect(note.headers['x-helpscout-signature']).not.toBe(
        crypto.createHmac('sha1', secret).update(note.raw).digest('base64'),
      );
      expect((JSON.parse(note.raw) as Conversation)._embedded.threads[0]).toMatchObject({ type: 'note' });
    } finally {
      await receiver.close();
    }
  });

  test('customer emails: email and chat replies are emailed, phone replies and notes are not; auto-reply', async () => {
    const agent = hs.addUser({ first: 'Grace', last: 'Hopper', email: 'grace@team.test' });
    const email = await createConversation('e@example.com', 'email');
    const chat = await createConversation('c@example.com', 'chat');
    const phone = await createConversation('p@example.com', 'phone');
    expect(hs.customerEmails).toEqual([]);

    const r1 = await hs.agentReply(email, agent.id, 'by email');
    await hs.agentReply(chat, agent.id, 'by chat');
    await hs.agentReply(phone, agent.id, 'by phone');
    await hs.agentNote(email, agent.id, 'a note');
    expect(hs.customerEmails).toEqual([
      { to: 'e@example.com', conversationId: email, threadId: r1.threadId, text: 'by email', kind: 'reply' },
      expect.objectContaining({ to: 'c@example.com', conversationId: chat, kind: 'reply' }),
    ]);

    // The API reply endpoint emails too, unless imported.
    const customerId = hs.conversation(email)!.customerId;
    expect(
      (await call('POST', `conversations/${email}/reply`, { customer: { id: customerId }, text: 'api' })).status,
    ).toBe(201);
    expect(
      (
        await call('POST', `conversations/${email}/reply`, {
          customer: { id: customerId },
          text: 'old',
          imported: true,
        })
      ).status,
    ).toBe(201);
    expect(hs.customerEmails.map((e) => e.text)).toEqual(['by email', 'by chat', 'api']);

    hs.customerEmails.length = 0;
    await createConversation('quiet@example.com', 'email', { autoReply: true }); // mailbox auto-reply is off
    hs.setAutoReply(mailboxId, true, 'We got it');
    await createConversation('auto@example.com', 'email', { autoReply: true });
    await createConversation('noauto@example.com', 'email');
    expect(hs.customerEmails).toEqual([
      expect.objectContaining({ to: 'auto@example.com', kind: 'autoReply', text: 'We got it' }),
    ]);
  });

  test('failNext answers 429 with X-RateLimit-Retry-After, then recovers; calls are recorded', async () => {
    hs.failNext('/conversations', { status: 429, retryAfter: 7 });
    const limited = await call('GET', 'conversations');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-retry-after')).toBe('7');
    expect((await call('GET', 'conversations')).status).toBe(200);

    hs.failNext(/\/threads$/, { status: 503, body: { message: 'down' } }, 2);
    const id = await createConversation();
    expect((await call('GET', `conversations/${id}/threads`)).status).toBe(503);
    expect((await call('GET', `conversations/${id}/threads`)).status).toBe(503);
    expect((await call('GET', `conversations/${id}/threads`)).status).toBe(200);

    const recorded = hs.calls.filter((c) => c.path === '/v2/conversations');
    expect(recorded.map((c) => [c.method, c.status])).toEqual([
      ['GET', 429],
      ['GET', 200],
      ['POST', 201],
    ]);
    expect(recorded[2]!.body).toMatchObject({ subject: 'Help with my order' });
  });
});

describe('Help Scout emulator attachments', () => {
  let hs: HelpScoutEmulator;
  let call: ReturnType<typeof api>;
  let mailboxId: number;

  beforeEach(async () => {
    hs = await startHelpScoutEmulator({ rateLimit: false, maxAttachmentBytes: 1024 });
    call = api(hs, await token(hs));
    mailboxId = hs.mailboxes()[0]!.id;
  });
  afterEach(async () => {
    await hs.close();
  });

  interface ThreadsAnswer {
    _embedded: {
      threads: {
        id: number;
        _embedded: {
          attachments: {
            id: number;
            filename: string;
            mimeType: string;
            size: number;
            _links: Record<string, { href: string }>;
          }[];
        };
      }[];
    };
  }

  test('create conversation and create customer thread take attachments; threads list them; data serves them', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 9, 9]);
    const pdf = Buffer.from('%PDF-1.4 small');
    const created = await call('POST', 'conversations', {
      ...conversationBody(mailboxId, 'ada@example.com'),
      threads: [
        {
          type: 'customer',
          customer: { email: 'ada@example.com' },
          text: 'Hello there',
          attachments: [{ fileName: 'a.png', mimeType: 'image/png', data: png.toString('base64') }],
        },
      ],
    });
    expect(created.status).toBe(201);
    const id = Number(created.headers.get('resource-id'));
    const added = await call('POST', `conversations/${id}/customer`, {
      customer: { email: 'ada@example.com' },
      text: 'And this',
      attachments: [{ fileName: 'b.pdf', mimeType: 'application/pdf', data: pdf.toString('base64') }],
    });
    expect(added.status).toBe(201);

    const threads = await json<ThreadsAnswer>(call('GET', `conversations/${id}/threads`));
    const [newest, oldest] = threads._embedded.threads;
    expect(oldest?._embedded.attachments.map((a) => [a.filename, a.mimeType, a.size])).toEqual([
      ['a.png', 'image/png', 6],
    ]);
    expect(newest?._embedded.attachments.map((a) => [a.filename, a.mimeType, a.size])).toEqual([
      ['b.pdf', 'application/pdf', pdf.length],
    ]);
    const link = newest!._embedded.attachments[0]!._links;
    expect(link.web?.href).toMatch(/^https:\/\/secure\.helpscout\.net\//);
    const data = await call('GET', link.data!.href.slice(hs.apiUrl.length));
    expect(data.status).toBe(200);
    const { data: base64 } = (await data.json()) as { data: string };
    expect(Buffer.from(base64, 'base64').equals(pdf)).toBe(true);
    expect((await call('GET', `conversations/${id}/attachments/999/data`)).status).toBe(404);
  });

  test('refuses attachments missing a field, not base64, or over the size limit, and keeps nothing', async () => {
    const id = Number(
      (await call('POST', 'conversations', conversationBody(mailboxId, 'bo@example.com'))).headers.get('resource-id'),
    );
    const attempt = (attachments: unknown) =>
      call('POST', `conversations/${id}/customer`, { customer: { email: 'bo@example.com' }, text: 'x', attachments });
    const missing = await attempt([{ fileName: 'a.txt', data: 'aGk=' }]);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain('attachments[0].mimeType');
    expect((await attempt([{ fileName: 'a.txt', mimeType: 'text/plain', data: 'not base64!' }])).status).toBe(400);
    const big = Buffer.alloc(1025).toString('base64');
    expect((await attempt([{ fileName: 'a.bin', mimeType: 'application/octet-stream', data: big }])).status).toBe(400);
    expect(hs.conversation(id)?.threads).toHaveLength(1);
  });
});

describe('Help Scout emulator rate limit', () => {
  test('per-token window: headers on every response, 429 with X-RateLimit-Retry-After, writes count twice', async () => {
    const hs = await startHelpScoutEmulator({ rateLimit: { max: 4, windowMs: 60_000 } });
    try {
      const call = api(hs, await token(hs));
      const first = await call('GET', 'mailboxes');
      expect(first.headers.get('x-ratelimit-limit-minute')).toBe('4');
      expect(first.headers.get('x-ratelimit-remaining-minute')).toBe('3');
      const mailboxId = hs.mailboxes()[0]!.id;
      expect((await call('POST', 'conversations', conversationBody(mailboxId, 'a@example.com'))).status).toBe(201);
      const third = await call('GET', 'mailboxes');
      expect(third.headers.get('x-ratelimit-remaining-minute')).toBe('0');
      const limited = await call('GET', 'mailboxes');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('x-ratelimit-retry-after'))).toBeGreaterThan(0);
      // Another token has its own window.
      expect((await api(hs, await token(hs))('GET', 'mailboxes')).status).toBe(200);
    } finally {
      await hs.close();
    }
  });
});
