/**
 * The Help Scout client against the Help Scout emulator: one token per process cache, refreshed before it lapses
 * (by the clock the client is given), a fresh one on a 401, and mailbox ids looked up once and forgotten on demand.
 */
import { createHelpScoutCache } from '../../../../integrations/helpscout/cache';
import {
  createHelpScoutClient,
  TOKEN_REFRESH_MARGIN_MS,
  type HelpScoutConfig,
} from '../../../../integrations/helpscout/client';
import { checkHelpScout } from '../../../../integrations/helpscout/connect';
import { forgetMailbox, resolveMailboxId } from '../../../../integrations/helpscout/mailbox';
import { startHelpScoutEmulator, type HelpScoutEmulator } from '../../../emulators/helpscout';

const TTL_SECONDS = 7200;
let hs: HelpScoutEmulator;
let config: HelpScoutConfig;

beforeAll(async () => {
  hs = await startHelpScoutEmulator({ tokenTtlSeconds: TTL_SECONDS, mailboxes: [{ name: 'Support' }] });
  config = { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 'Support', apiUrl: hs.apiUrl };
});
afterAll(() => hs?.close());

/** A clock the test moves by hand. */
function manualClock(start = Date.now()) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

const mailboxLookups = () => hs.calls.filter((c) => c.method === 'GET' && c.path === '/v2/mailboxes').length;
const unauthorized = () => hs.calls.filter((c) => c.status === 401).length;

describe('Help Scout tokens', () => {
  it('reuses one token across clients sharing a cache, and asks again with a new cache', async () => {
    const cache = createHelpScoutCache();
    const before = hs.tokenGrants;
    await createHelpScoutClient(config, { cache }).request('GET', 'mailboxes');
    await createHelpScoutClient(config, { cache }).request('GET', 'mailboxes');
    expect(hs.tokenGrants - before).toBe(1);
    await createHelpScoutClient(config, { cache: createHelpScoutCache() }).request('GET', 'mailboxes');
    expect(hs.tokenGrants - before).toBe(2);
  });

  it('refreshes a minute before expiry, so no call goes out with a lapsing token', async () => {
    const cache = createHelpScoutCache();
    const clock = manualClock();
    const client = createHelpScoutClient(config, { cache, now: clock.now });
    const first = await client.token();
    const before = hs.tokenGrants;
    clock.advance(TTL_SECONDS * 1000 - TOKEN_REFRESH_MARGIN_MS - 1000);
    expect(await client.token()).toBe(first);
    expect(hs.tokenGrants).toBe(before);
    clock.advance(2000);
    const second = await client.token();
    expect(second).not.toBe(first);
    expect(hs.tokenGrants).toBe(before + 1);
    expect(cache.tokens.get(`${hs.apiUrl}|${hs.clientId}`)).toEqual({
      token: second,
      expiresAt: clock.now() + TTL_SECONDS * 1000,
    });
  });

  it('gets a fresh token when Help Scout refuses the cached one, and the call goes through', async () => {
    const cache = createHelpScoutCache();
    const client = createHelpScoutClient(config, { cache });
    await client.request('GET', 'mailboxes');
    hs.expireTokens();
    const [grants, refused] = [hs.tokenGrants, unauthorized()];
    expect((await client.request('GET', 'mailboxes')).status).toBe(200);
    expect(hs.tokenGrants).toBe(grants + 1);
    expect(unauthorized()).toBe(refused + 1);
  });

  it('answers refused credentials with helpscout_auth_failed', async () => {
    const client = createHelpScoutClient({ ...config, clientSecret: 'wrong' }, { cache: createHelpScoutCache() });
    await expect(client.token()).rejects.toMatchObject({ code: 'helpscout_auth_failed', retryable: false });
  });
});

describe('Help Scout answers', () => {
  it('maps non-2xx answers through the shared mapper', async () => {
    const client = createHelpScoutClient(config, { cache: createHelpScoutCache() });
    await expect(client.request('GET', 'conversations/999999')).rejects.toMatchObject({
      code: 'helpscout_not_found',
    });
    hs.failNext('/v2/mailboxes', { status: 422, body: { message: 'Validation error' } });
    await expect(client.request('GET', 'mailboxes')).rejects.toMatchObject({ code: 'helpscout_unprocessable' });
    hs.failNext('/v2/mailboxes', { status: 429, retryAfter: 4 });
    await expect(client.request('GET', 'mailboxes')).rejects.toMatchObject({
      code: 'helpscout_rate_limited',
      retryAfterMs: 4000,
    });
    hs.failNext('/v2/mailboxes', { status: 502 });
    await expect(client.request('GET', 'mailboxes')).rejects.toMatchObject({
      code: 'helpscout_unavailable',
      retryable: true,
    });
  });
});

describe('Help Scout mailboxes', () => {
  it('looks a mailbox name up once per cache, and again after it is forgotten', async () => {
    const cache = createHelpScoutCache();
    const client = createHelpScoutClient(config, { cache });
    const lookups = mailboxLookups();
    const id = await resolveMailboxId(client, config, cache);
    expect(await resolveMailboxId(client, config, cache)).toBe(id);
    expect(mailboxLookups() - lookups).toBe(1);

    // Deleted and replaced by one of the same name: forgotten, then found anew.
    hs.deleteMailbox(id);
    const replacement = hs.addMailbox({ name: 'Support' });
    expect(await resolveMailboxId(client, config, cache)).toBe(id);
    forgetMailbox(cache, config);
    expect(await resolveMailboxId(client, config, cache)).toBe(replacement.id);
    expect(mailboxLookups() - lookups).toBe(2);
  });

  it('takes a numeric mailbox as its id and names a missing one', async () => {
    const cache = createHelpScoutCache();
    const client = createHelpScoutClient(config, { cache });
    expect(await resolveMailboxId(client, { ...config, mailbox: '42' }, cache)).toBe(42);
    await expect(resolveMailboxId(client, { ...config, mailbox: 'Nope' }, cache)).rejects.toMatchObject({
      code: 'helpscout_mailbox_not_found',
    });
  });

  it('checks a connection: a fresh token and the mailbox reachable', async () => {
    const cache = createHelpScoutCache();
    const client = createHelpScoutClient(config, { cache });
    const id = await resolveMailboxId(client, config, cache);
    await expect(checkHelpScout(client, config, cache)).resolves.toBe(`token granted; mailbox ${id} reachable`);
  });
});
