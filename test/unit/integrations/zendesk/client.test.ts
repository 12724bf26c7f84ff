/**
 * The Zendesk client's transport: node-zendesk's typed methods over a fake `fetch` (no network, no Temporal), so
 * every answer Zendesk can give is seen as the Parley error the outbox branches on, and the per-call headers
 * (ticket creation's Idempotency-Key) reach exactly the request they belong to.
 */
import { isIntegrationError, type CodedError } from '../../../../common/errors';
import { createZendeskAdapter, type ZendeskBatch } from '../../../../integrations/zendesk/adapter';
import { createZendeskClient } from '../../../../integrations/zendesk/client';
import { ZENDESK_ERROR_CODES, type ZendeskErrorCode } from '../../../../integrations/zendesk/errors';

interface Sent {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Headers;
  body: unknown;
  signal: AbortSignal | null | undefined;
}

/** A fetch answering from `answer`, recording what it was sent. */
function fakeFetch(answer: (req: Sent) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const doFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const req: Sent = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
      signal: init?.signal,
    };
    sent.push(req);
    return answer(req);
  };
  return { sent, doFetch };
}

const config = { url: 'https://acme.zendesk.com/', email: 'ops@acme.example', apiToken: 'tok-123' };
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

async function failure(answer: () => Response | Promise<Response>): Promise<CodedError<ZendeskErrorCode>> {
  const { doFetch } = fakeFetch(answer);
  const err: unknown = await createZendeskClient(config, doFetch)
    .api.users.me()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (!isIntegrationError(err, ...ZENDESK_ERROR_CODES)) throw new Error(`not a Zendesk error: ${String(err)}`);
  return err;
}

describe('Zendesk transport: every non-2xx is a Parley error', () => {
  it.each([
    [401, 'zendesk_auth_failed', false],
    [403, 'zendesk_auth_failed', false],
    [404, 'zendesk_not_found', false],
    [422, 'zendesk_unprocessable', false],
    [400, 'zendesk_invalid', false],
    [409, 'zendesk_invalid', false],
    [500, 'zendesk_unavailable', true],
    [502, 'zendesk_unavailable', true],
    [503, 'zendesk_unavailable', true],
  ] as const)('%i → %s (retryable: %s)', async (status, code, retryable) => {
    const err = await failure(() => json(status, { error: 'Whatever', description: 'Zendesk said no' }));
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('names the path and the start of the answer', async () => {
    const closed = {
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: { status: [{ description: 'Status: closed prevents ticket update' }] },
    };
    const err = await failure(() => json(422, closed));
    expect(err.message).toContain('GET users/me.json');
    expect(err.message).toContain('Status: closed prevents ticket update');
  });

  it('the account limit (JSON 429) is a rate limit with its Retry-After', async () => {
    const err = await failure(() =>
      json(
        429,
        { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' },
        { 'Retry-After': '7' },
      ),
    );
    expect(err).toMatchObject({ code: 'zendesk_rate_limited', retryable: false, retryAfterMs: 7000 });
  });

  it('the per-ticket update limit (plain-text 429) is a rate limit with its Retry-After', async () => {
    const err = await failure(
      () =>
        new Response('Too Many Requests', {
          status: 429,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'Retry-After': '93' },
        }),
    );
    expect(err).toMatchObject({ code: 'zendesk_rate_limited', retryable: false, retryAfterMs: 93_000 });
  });

  it('a 429 without Retry-After waits a minute; an HTTP-date Retry-After is read too', async () => {
    expect((await failure(() => new Response('', { status: 429 }))).retryAfterMs).toBe(60_000);
    const at = new Date(Date.now() + 30_000).toUTCString();
    const dated = await failure(() => new Response('', { status: 429, headers: { 'Retry-After': at } }));
    expect(dated.retryAfterMs).toBeGreaterThan(25_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('no answer at all is zendesk_unavailable, retried, with the cause kept', async () => {
    const cause = new TypeError('fetch failed');
    const err = await failure(() => Promise.reject(cause));
    expect(err).toMatchObject({ code: 'zendesk_unavailable', retryable: true });
    expect(err.message).toContain('fetch failed');
    expect(err.cause).toBe(cause);
  });

  it('a success is a success, even with a Retry-After header (node-zendesk would make it an error)', async () => {
    const { doFetch } = fakeFetch(() =>
      json(200, { user: { id: 1, name: 'Bot', role: 'admin' } }, { 'Retry-After': '5' }),
    );
    const { result } = await createZendeskClient(config, doFetch).api.users.me();
    expect(result).toMatchObject({ id: 1, name: 'Bot' });
  });

  it('sends Basic email/token to <url>/api/v2 with a timeout signal', async () => {
    const { sent, doFetch } = fakeFetch(() => json(200, { user: { id: 1 } }));
    await createZendeskClient(config, doFetch).api.users.me();
    expect(sent[0]?.path).toBe('/api/v2/users/me.json');
    expect(sent[0]?.headers.get('authorization')).toBe(
      `Basic ${Buffer.from('ops@acme.example/token:tok-123').toString('base64')}`,
    );
    expect(sent[0]?.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('Zendesk transport: per-call headers', () => {
  it('gives each call its own Idempotency-Key and none to calls outside withHeaders', async () => {
    let next = 1;
    const { sent, doFetch } = fakeFetch(async (req) => {
      // Answers out of order, so the calls overlap.
      await new Promise((resolve) => setTimeout(resolve, req.method === 'POST' ? 20 : 1));
      return json(201, { ticket: { id: next++, status: 'new' } });
    });
    const client = createZendeskClient(config, doFetch);
    const create = (key: string) =>
      client.withHeaders({ 'Idempotency-Key': key }, () =>
        client.api.tickets.create({ ticket: { subject: key, comment: { body: key } } }),
      );
    await Promise.all([create('k1'), create('k2'), client.api.tickets.update(7, { ticket: { status: 'open' } })]);
    const keyOf = (subject: string) =>
      sent.find((s) => (s.body as { ticket: { subject?: string } }).ticket.subject === subject)?.headers;
    expect(keyOf('k1')?.get('idempotency-key')).toBe('k1');
    expect(keyOf('k2')?.get('idempotency-key')).toBe('k2');
    expect(sent.find((s) => s.method === 'PUT')?.headers.has('idempotency-key')).toBe(false);
  });

  it('the adapter creates a ticket with the batch key, and sends it on nothing else', async () => {
    const { sent, doFetch } = fakeFetch((req) => {
      const route = `${req.method} ${req.path}`;
      if (route === 'POST /api/v2/users/create_or_update.json') return json(200, { user: { id: 11 } });
      if (route === 'GET /api/v2/tickets.json') return json(200, { tickets: [], next_page: null });
      if (route === 'POST /api/v2/tickets.json') return json(201, { ticket: { id: 42, status: 'new' } });
      if (route === 'GET /api/v2/tickets/42/comments.json')
        return json(200, {
          comments: [
            { id: 1, author_id: 11, body: 'hello', plain_body: 'hello', created_at: new Date().toISOString() },
          ],
          next_page: null,
        });
      return json(404, { error: 'InvalidEndpoint' });
    });
    const batch: ZendeskBatch = {
      appId: 'acme',
      userId: 'jane',
      conversationId: 'conversation:acme:jane',
      profile: { givenName: 'Jane' },
      refs: {},
      items: [
        {
          eventId: 'evt-1',
          kind: 'message:user',
          enqueuedAt: Date.now(),
          message: { id: 'm1', role: 'user', text: 'hello', at: new Date().toISOString() },
        },
      ],
    };
    const { refs } = await createZendeskAdapter(createZendeskClient(config, doFetch), { trustUserEmail: false }).send(
      batch,
    );
    expect(refs).toEqual({ zendeskUserId: '11', zendeskTicketId: '42' });
    // A new ticket carries the body as its first comment: no comment check after it (clocks may differ).
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/v2/users/create_or_update.json',
      'GET /api/v2/tickets.json',
      'POST /api/v2/tickets.json',
    ]);
    expect(sent[1]?.query).toMatchObject({ external_id: 'conversation:acme:jane' });
    const keys = sent.map((s) => s.headers.get('idempotency-key'));
    expect(keys).toEqual([null, null, 'conversation:acme:jane:evt-1']);

    // A ticket an earlier, crashed attempt created is found by external_id, and its comments checked first.
    sent.length = 0;
    const { sent: again, doFetch: retryFetch } = fakeFetch((req) => {
      const route = `${req.method} ${req.path}`;
      if (route === 'POST /api/v2/users/create_or_update.json') return json(200, { user: { id: 11 } });
      if (route === 'GET /api/v2/tickets.json')
        return json(200, { tickets: [{ id: 42, status: 'new' }], next_page: null });
      if (route === 'GET /api/v2/tickets/42/comments.json')
        return json(200, {
          comments: [
            { id: 1, author_id: 11, body: 'hello', plain_body: 'hello', created_at: new Date().toISOString() },
          ],
          next_page: null,
        });
      return json(404, { error: 'InvalidEndpoint' });
    });
    await createZendeskAdapter(createZendeskClient(config, retryFetch), { trustUserEmail: false }).send(batch);
    expect(again.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/v2/users/create_or_update.json',
      'GET /api/v2/tickets.json',
      'GET /api/v2/tickets/42/comments.json',
    ]);
    expect(again[2]?.query).toEqual({ sort_order: 'desc' });
  });
});
