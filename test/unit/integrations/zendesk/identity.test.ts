/**
 * Who an app user is in Zendesk (identity.ts) and what the adapter sends `users/create_or_update`: by default never
 * the profile's email to be matched, with `trustUserEmail` exactly what Parley always sent.
 */
import type { UserProfile } from '../../../../common/conversation';
import { createZendeskAdapter, type ZendeskBatch } from '../../../../integrations/zendesk/adapter';
import { createZendeskClient } from '../../../../integrations/zendesk/client';
import { zendeskEndUser, zendeskEndUserIdentity, zendeskEndUserNotes } from '../../../../integrations/zendesk/identity';

describe('zendeskEndUserIdentity', () => {
  it('is the same for the same app and user, lower case, on a reserved domain', () => {
    const a = zendeskEndUserIdentity('acme', 'jane');
    expect(a).toEqual(zendeskEndUserIdentity('acme', 'jane'));
    expect(a.externalId).toMatch(/^parley:acme:[0-9a-f]{32}$/);
    expect(a.email).toMatch(/^user-[0-9a-f]{32}@acme\.parley\.invalid$/);
    expect(a.email.slice(5, 37)).toBe(a.externalId.slice('parley:acme:'.length));
  });

  it('differs for user ids that differ only in case (Zendesk matches external ids without case)', () => {
    const ids = ['Jane', 'jane', 'JANE'].map((u) => zendeskEndUserIdentity('acme', u).externalId.toLowerCase());
    expect(new Set(ids).size).toBe(3);
  });

  it('differs between apps, also where app and user ids would run together', () => {
    const ids = [
      zendeskEndUserIdentity('acme', 'jane'),
      zendeskEndUserIdentity('beta', 'jane'),
      zendeskEndUserIdentity('ac', 'mejane'),
    ].map((i) => i.email.split('@')[0]);
    expect(new Set(ids).size).toBe(3);
  });

  it('holds no user id, however personal, and keeps the domain a host name', () => {
    const { externalId, email } = zendeskEndUserIdentity('acme_eu-', 'jane.doe@example.com');
    expect(`${externalId} ${email}`).not.toContain('jane');
    expect(email).toMatch(/@acme-eu\.parley\.invalid$/);
  });
});

describe('zendeskEndUserNotes', () => {
  it('shows agents the email the app gave, marked as not verified', () => {
    expect(zendeskEndUserNotes('acme', 'u1', { email: 'ana@acme.com' })).toBe(
      'Parley user "u1" of the app acme.\nEmail given by the app (not verified, not used by Zendesk): ana@acme.com',
    );
    expect(zendeskEndUserNotes('acme', 'u1', {})).toBe('Parley user "u1" of the app acme.\nThe app gave no email.');
  });
});

describe('zendeskEndUser', () => {
  const claim = { appId: 'acme', userId: 'mallory', profile: { givenName: 'Ana', email: 'ana@acme.com' } };

  it('by default sends Parley’s own identity, never the profile’s email', () => {
    const body = zendeskEndUser(claim, { trustUserEmail: false });
    const { externalId, email } = zendeskEndUserIdentity('acme', 'mallory');
    expect(body).toEqual({
      name: 'Ana',
      external_id: externalId,
      email,
      role: 'end-user',
      notes: zendeskEndUserNotes('acme', 'mallory', claim.profile),
      skip_verify_email: true,
    });
    expect(JSON.stringify({ ...body, notes: undefined })).not.toContain('ana@acme.com');
  });

  it('with trustUserEmail sends what Parley always sent: the profile’s email, to be matched', () => {
    expect(zendeskEndUser(claim, { trustUserEmail: true })).toEqual({
      name: 'Ana',
      external_id: 'parley:acme:mallory',
      role: 'end-user',
      email: 'ana@acme.com',
    });
    expect(zendeskEndUser({ ...claim, profile: {} }, { trustUserEmail: true })).toEqual({
      name: 'mallory',
      external_id: 'parley:acme:mallory',
      role: 'end-user',
    });
  });
});

describe('the adapter', () => {
  const config = { url: 'https://acme.zendesk.com/', email: 'ops@acme.example', apiToken: 'tok-123' };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  async function send(trustUserEmail: boolean, refs: Record<string, string> = {}, profile: UserProfile = {}) {
    const sent: { method: string; path: string; body: unknown }[] = [];
    const answer = (route: string): Response => {
      if (route === 'POST /api/v2/users/create_or_update.json') return json(200, { user: { id: 11 } });
      if (route === 'GET /api/v2/tickets.json') return json(200, { tickets: [], next_page: null });
      if (route === 'POST /api/v2/tickets.json') return json(201, { ticket: { id: 42, status: 'new' } });
      if (route === 'GET /api/v2/tickets/42/comments.json') return json(200, { comments: [], next_page: null });
      if (route === 'PUT /api/v2/tickets/42.json') return json(200, { ticket: { id: 42, status: 'open' } });
      return json(404, { error: 'InvalidEndpoint' });
    };
    const doFetch: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input);
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      sent.push({ method: init?.method ?? 'GET', path: url.pathname, body });
      return Promise.resolve(answer(`${init?.method ?? 'GET'} ${url.pathname}`));
    };
    const batch: ZendeskBatch = {
      appId: 'acme',
      userId: 'mallory',
      conversationId: 'conversation:acme:mallory',
      profile,
      refs,
      items: [
        {
          eventId: 'evt-1',
          kind: 'message:user',
          enqueuedAt: Date.now(),
          message: { id: 'm1', role: 'user', text: 'hello', at: new Date().toISOString() },
        },
      ],
    };
    const result = await createZendeskAdapter(createZendeskClient(config, doFetch), { trustUserEmail }).send(batch);
    return { sent, result };
  }

  it('makes the end user the way the app’s setting says', async () => {
    const profile = { givenName: 'IT', surname: 'Security', email: 'ana@acme.com' };
    const strict = await send(false, {}, profile);
    expect(strict.sent[0]).toEqual({
      method: 'POST',
      path: '/api/v2/users/create_or_update.json',
      body: { user: zendeskEndUser({ appId: 'acme', userId: 'mallory', profile }, { trustUserEmail: false }) },
    });
    const trusted = await send(true, {}, profile);
    expect(trusted.sent[0]?.body).toEqual({
      user: { name: 'IT Security', external_id: 'parley:acme:mallory', role: 'end-user', email: 'ana@acme.com' },
    });
  });

  it('keeps the end user a conversation already has (also one an older Parley matched by email)', async () => {
    const { sent, result } = await send(false, { zendeskUserId: '7', zendeskTicketId: '42' });
    expect(sent.some((s) => s.path.startsWith('/api/v2/users'))).toBe(false);
    expect(sent.find((s) => s.method === 'PUT')?.body).toEqual({
      ticket: { comment: { body: 'hello', public: true, author_id: 7 } },
    });
    expect(result.refs).toEqual({ zendeskUserId: '7', zendeskTicketId: '42' });
  });
});
