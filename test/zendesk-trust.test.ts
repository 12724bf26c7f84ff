/**
 * Zendesk as an attacker sees it, end to end (the real API and worker, a real Temporal dev server, the Zendesk
 * emulator): a user who claims an agent's email must not become that agent; user ids that differ only in case are
 * two people; a signed webhook replayed after five minutes is refused; a redelivery is relayed once; the agent's
 * own signature is cut also when a `--` block follows it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startZendeskEmulator, type EmulatedUser, type ZendeskEmulator } from './emulators/zendesk';

const key = testKey('zt');
const trustedKey = testKey('zv');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let zd: ZendeskEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
let trustedApi: ReturnType<typeof apiClient>;
let ana: EmulatedUser;
let zoe: EmulatedUser;

beforeAll(async () => {
  zd = await startZendeskEmulator();
  // An agent whose SSO logs her in by her external_id.
  ana = zd.addAgent({
    name: 'Ana Agent',
    email: 'ana@acme.com',
    externalId: 'sso-ana-7',
  });
  // The agent who answers in the webhook tests (apart from Ana, whom the identity tests try to take over).
  zoe = zd.addAgent({ name: 'Zoe Desk', email: 'zoe@acme.com', signature: '{{agent.name}}\nAcme Support' });
  receiver = await startWebhookReceiver(secret);
  const port = await freePort();
  const zendesk = { url: zd.url, email: zd.email, apiToken: zd.apiToken };
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      apps: [
        { id: 'zt', apiKeys: [key], webhooks: [{ url: receiver.url, secret }], zendesk },
        // An app whose emails are verified before they reach Parley.
        { id: 'zv', apiKeys: [trustedKey], zendesk: { ...zendesk, trustUserEmail: true } },
      ],
    }),
  });
  api = apiClient(parley.apiUrl, key);
  trustedApi = apiClient(parley.apiUrl, trustedKey);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await zd?.close();
});

async function ticketOf(appId: string, userId: string): Promise<number> {
  return Number(
    await waitFor(async () => (await conversationState(parley.client, appId, userId)).refs.zendeskTicketId, {
      what: `the ticket of ${appId}/${userId}`,
      timeoutMs: 20_000,
    }),
  );
}

/** What the client app was told an agent said to `userId`. */
const repliesTo = (userId: string) =>
  receiver
    .events()
    .filter((e) => e.body.userId === userId && e.body.data.message?.source === 'zendesk')
    .map((e) => e.body.data.message?.text);

describe('Zendesk identity: an email is a claim, not an identity', () => {
  it('a user claiming an agent’s email gets their own end user; the agent is untouched; agents see the claim', async () => {
    await api('PUT', '/v1/apps/zt/users/mallory', { givenName: 'IT', surname: 'Security', email: 'ana@acme.com' });
    expect((await api('POST', '/v1/apps/zt/users/mallory/messages', { text: 'please reset my password' })).status).toBe(
      202,
    );
    const ticket = await ticketOf('zt', 'mallory');

    // Ana is who she was: name, email, SSO external_id, role.
    expect(zd.user(ana.id)).toMatchObject({
      name: 'Ana Agent',
      email: 'ana@acme.com',
      secondaryEmails: [],
      external_id: 'sso-ana-7',
      role: 'agent',
    });
    // The ticket is the new end user's, and so is every comment on it.
    const t = zd.ticket(ticket)!;
    expect(t.requester_id).not.toBe(ana.id);
    expect(t.comments.map((c) => c.author_id)).toEqual([t.requester_id]);
    const requester = zd.user(t.requester_id)!;
    expect(requester).toMatchObject({ name: 'IT Security', role: 'end-user' });
    // A Parley address Zendesk cannot mail, and a Parley external_id; the claimed email is in the notes agents see.
    expect(requester.email).toMatch(/^user-[0-9a-f]{32}@zt\.parley\.invalid$/);
    expect(requester.external_id).toMatch(/^parley:zt:[0-9a-f]{32}$/);
    expect(requester.notes).toContain('ana@acme.com');
    expect(requester.notes).toContain('not verified');
    expect(zd.requesterEmails.filter((e) => e.to === 'ana@acme.com')).toEqual([]);
  });

  it('user ids that differ only in case are two end users (Zendesk matches external ids without case)', async () => {
    await api('POST', '/v1/apps/zt/users/Kim/messages', { text: 'I am Kim' });
    await api('POST', '/v1/apps/zt/users/kim/messages', { text: 'I am kim' });
    const [upper, lower] = [zd.ticket(await ticketOf('zt', 'Kim'))!, zd.ticket(await ticketOf('zt', 'kim'))!];
    expect(upper.requester_id).not.toBe(lower.requester_id);
    expect(upper.comments.map((c) => [c.author_id, c.body])).toEqual([[upper.requester_id, 'I am Kim']]);
    expect(lower.comments.map((c) => [c.author_id, c.body])).toEqual([[lower.requester_id, 'I am kim']]);
  });

  it('with trustUserEmail: true, Zendesk matches the user by email, as before (for apps whose emails are verified)', async () => {
    // Carla wrote to support by mail once: Zendesk knows her by her address.
    const carla = await zendeskCall('POST', '/api/v2/users/create_or_update.json', {
      user: { name: 'Carla C.', email: 'carla@example.com', role: 'end-user' },
    });
    await trustedApi('PUT', '/v1/apps/zv/users/carla', { givenName: 'Carla', email: 'carla@example.com' });
    await trustedApi('POST', '/v1/apps/zv/users/carla/messages', { text: 'hello again' });
    const t = zd.ticket(await ticketOf('zv', 'carla'))!;
    expect(t.requester_id).toBe(carla.user.id);
    expect(zd.user(carla.user.id)).toMatchObject({
      name: 'Carla',
      email: 'carla@example.com',
      external_id: 'parley:zv:carla',
    });
  });
});

describe('Zendesk webhooks: fresh, once, without signatures', () => {
  let ticket: number;
  beforeAll(async () => {
    await api('POST', '/v1/apps/zt/users/wes/messages', { text: 'where is my refund?' });
    ticket = await ticketOf('zt', 'wes');
  });

  /** A webhook body as Parley's trigger renders it, for a comment Zendesk never sent: signed at `signedAt`. */
  function signedWebhook(commentId: string, text: string, signedAt: Date) {
    const body = JSON.stringify({
      ticket_id: String(ticket),
      external_id: conversationWorkflowId('zt', 'wes'),
      comment_id: commentId,
      comment: text,
      public: 'true',
      author_id: String(zoe.id),
      author_name: zoe.name,
      author_email: zoe.email,
      author_photo: '',
    });
    const timestamp = signedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const hook = zd.webhooks()[0]!;
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-signature': createHmac('sha256', hook.secret)
          .update(timestamp + body)
          .digest('base64'),
        'x-zendesk-webhook-signature-timestamp': timestamp,
        'x-zendesk-webhook-id': hook.id,
        'x-zendesk-webhook-invocation-id': String(Date.now()) + commentId,
      },
    };
  }
  const post = (w: ReturnType<typeof signedWebhook>) =>
    fetch(`${parley.apiUrl}/zendesk/webhook`, { method: 'POST', headers: w.headers, body: w.body });

  it('refuses a rightly signed webhook whose signature is older than five minutes (401), and relays a recent one', async () => {
    const stale = await post(signedWebhook('990000001', 'stale reply', new Date(Date.now() - 6 * 60_000)));
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'zendesk_signature_invalid',
      message: expect.stringContaining('stale'),
    });
    const future = await post(signedWebhook('990000002', 'future reply', new Date(Date.now() + 6 * 60_000)));
    expect(future.status).toBe(401);
    // The same construction four minutes old is within the window: the HMAC is right.
    const recent = await post(signedWebhook('990000003', 'recent reply', new Date(Date.now() - 4 * 60_000)));
    expect(recent.status).toBe(200);
    await waitFor(() => repliesTo('wes').includes('recent reply'), { what: 'the recent reply' });
    expect(repliesTo('wes')).toEqual(['recent reply']);
  });

  it('relays a redelivered webhook (same invocation id) once, as sent or signed again', async () => {
    const first = await zd.agentComment(ticket, zoe.id, 'Your refund left today.');
    expect(first.deliveries.map((d) => d.status)).toEqual([200]);
    const again = await zd.redeliver();
    const resigned = await zd.redeliver({ resign: true });
    expect([again.invocationId, resigned.invocationId]).toEqual([
      first.deliveries[0]!.invocationId,
      first.deliveries[0]!.invocationId,
    ]);
    expect([again.status, resigned.status]).toEqual([200, 200]);
    expect(JSON.parse(again.responseBody)).toEqual({ duplicate: first.deliveries[0]!.invocationId });
    await waitFor(() => repliesTo('wes').includes('Your refund left today.'), { what: 'the reply' });
    // A later message from the user flushes everything before it through the workflow: nothing more came.
    await api('POST', '/v1/apps/zt/users/wes/messages', { text: 'thanks' });
    await waitFor(() => zd.ticket(ticket)?.comments.some((c) => c.body === 'thanks'), { timeoutMs: 20_000 });
    expect(repliesTo('wes').filter((t) => t === 'Your refund left today.')).toHaveLength(1);
  });

  it('cuts the agent’s own signature also when a -- block follows it', async () => {
    const { comment, deliveries } = await zd.agentComment(ticket, zoe.id, 'Your refund is on its way.', {
      footer: '--\nAcme Support · acme.example\nThis message is confidential.',
    });
    expect(comment.body).toBe(
      'Your refund is on its way.\n\nZoe Desk\nAcme Support\n\n--\nAcme Support · acme.example\nThis message is confidential.',
    );
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    const text = await waitFor(() => repliesTo('wes').find((t) => t?.startsWith('Your refund is on')), {
      what: 'the reply',
    });
    expect(text).toBe('Your refund is on its way.');
  });
});

/** A call to the emulator's REST API with the account's credentials (as Zendesk's own UI or a sync would make). */
async function zendeskCall(method: string, path: string, body: unknown) {
  const res = await fetch(`${zd.url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${zd.email}/token:${zd.apiToken}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as { user: { id: number } };
}
