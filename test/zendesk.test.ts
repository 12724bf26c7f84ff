/**
 * Zendesk end to end: the real API and worker, a real Temporal dev server, the Zendesk emulator (users, tickets,
 * comments, webhooks, triggers, both 429s, closed and deleted tickets) and signed webhooks back from "Zendesk".
 */
import { randomBytes } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { TRIGGER_TITLE } from '../integrations/zendesk/connect';
import { zendeskEndUserIdentity } from '../integrations/zendesk/identity';
import { stripSignatures } from '../integrations/zendesk/strip';
import { agentReply, conversationState } from './helpers/agent';
import {
  apiClient,
  waitForOutbox,
  startTestParley,
  testAdminKey,
  testConfig,
  testKey,
  type TestParley,
} from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const key = testKey('zd');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let zd: ZendeskEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
/** The integration routes and outbox resume take an admin key. */
let admin: ReturnType<typeof apiClient>;
let agent: number;

beforeAll(async () => {
  zd = await startZendeskEmulator({ ticketUpdateLimit: { max: 1000, windowMs: 600_000 } });
  agent = zd.addAgent({ name: 'Zoe Desk', email: 'zoe@acme.example', signature: 'Zoe Desk\nAcme Support' }).id;
  receiver = await startWebhookReceiver(secret);
  const port = await freePort();
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      apps: [
        {
          id: 'zd',
          name: 'Acme',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
        },
      ],
    }),
  });
  api = apiClient(parley.apiUrl, key);
  admin = apiClient(parley.apiUrl, testAdminKey);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await zd?.close();
});

const user = (id: string, rest = '') => `/v1/apps/zd/users/${id}${rest}`;
async function ticketOf(id: string): Promise<number> {
  return Number(
    await waitFor(async () => (await conversationState(parley.client, 'zd', id)).refs.zendeskTicketId, {
      what: 'the ticket',
      timeoutMs: 20_000,
    }),
  );
}
const zendeskEndUserIdentityOf = (appId: string, userId: string) => {
  const { externalId, email } = zendeskEndUserIdentity(appId, userId);
  return { external_id: externalId, email };
};
const publicComments = (ticket: number) => zd.ticket(ticket)?.comments.filter((c) => c.public) ?? [];

describe('Zendesk: connecting', () => {
  it('creates its webhook and trigger at start-up and keeps Zendesk from emailing Parley users', () => {
    expect(zd.webhooks()).toEqual([
      expect.objectContaining({
        name: 'Parley',
        endpoint: `${parley.apiUrl.replace('localhost', '127.0.0.1')}/zendesk/webhook`,
      }),
    ]);
    const trigger = zd.trigger(TRIGGER_TITLE);
    expect(trigger?.conditions.all).toEqual(
      expect.arrayContaining([{ field: 'current_via_id', operator: 'is_not', value: '5' }]),
    );
    const requesterTriggers = zd.triggers().filter((t) => t.actions.some((a) => a.field === 'notification_user'));
    expect(requesterTriggers.length).toBeGreaterThan(0);
    for (const t of requesterTriggers)
      expect(t.conditions.all).toContainEqual({ field: 'current_tags', operator: 'not_includes', value: 'parley' });
  });

  it("refuses the app's client key: only an admin key connects, checks or removes Zendesk", async () => {
    const triggersBefore = JSON.stringify(zd.triggers());
    const webhooksBefore = JSON.stringify(zd.webhooks());
    for (const [method, path] of [
      ['POST', '/v1/apps/zd/integrations/zendesk/connect'],
      ['DELETE', '/v1/apps/zd/integrations/zendesk'],
      ['POST', '/v1/apps/zd/integrations/zendesk/check'],
      ['GET', '/v1/apps/zd/integrations'],
    ] as const) {
      const res = await api(method, path);
      expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 403, 'forbidden_scope']);
    }
    // Zendesk saw nothing: the webhook, Parley's trigger and every requester trigger are as they were.
    expect(JSON.stringify(zd.triggers())).toBe(triggersBefore);
    expect(JSON.stringify(zd.webhooks())).toBe(webhooksBefore);
    expect(zd.trigger(TRIGGER_TITLE)).toBeDefined();
  });

  it('repairs a configuration edited by hand', async () => {
    const trigger = zd.trigger(TRIGGER_TITLE)!;
    trigger.conditions.all = trigger.conditions.all.filter((c) => c.field !== 'current_via_id');
    // The client key cannot repair it (nor break it further).
    expect((await api('POST', '/v1/apps/zd/integrations/zendesk/connect')).status).toBe(403);
    expect(zd.trigger(TRIGGER_TITLE)?.conditions.all).not.toContainEqual(
      expect.objectContaining({ field: 'current_via_id' }),
    );
    const res = await admin('POST', '/v1/apps/zd/integrations/zendesk/connect');
    expect(res.status).toBe(200);
    expect(res.body.signingSecret).toBeUndefined();
    expect(zd.trigger(TRIGGER_TITLE)?.conditions.all).toContainEqual({
      field: 'current_via_id',
      operator: 'is_not',
      value: '5',
    });
    expect(zd.triggers().filter((t) => t.title === TRIGGER_TITLE)).toHaveLength(1);
    expect((await admin('POST', '/v1/apps/zd/integrations/zendesk/check')).body.state).toBe('ok');
  });
});

describe('Zendesk: tickets', () => {
  it('makes one end user and one ticket, turns 40 messages in 3 seconds into one comment, never emails the user', async () => {
    await api('PUT', user('jane'), { givenName: 'Jane', surname: 'Doe', email: 'jane@example.com' });
    const texts = Array.from({ length: 40 }, (_, i) => `message ${i + 1}`);
    const started = Date.now();
    for (const text of texts) await api('POST', user('jane', '/messages'), { text });
    expect(Date.now() - started).toBeLessThan(3000);
    const ticket = await ticketOf('jane');
    const t = zd.ticket(ticket)!;
    expect(t).toMatchObject({ external_id: conversationWorkflowId('zd', 'jane'), subject: 'message 1' });
    expect(t.tags).toContain('parley');
    const requester = zd.user(t.requester_id)!;
    // Found by Parley's own external_id, at an address Zendesk cannot mail; the app's email is in the notes.
    expect(requester).toMatchObject({ name: 'Jane Doe', role: 'end-user', ...zendeskEndUserIdentityOf('zd', 'jane') });
    expect(requester.notes).toContain('jane@example.com');
    expect(publicComments(ticket)).toHaveLength(1);
    expect(publicComments(ticket)[0]?.body).toBe(texts.join('\n\n'));
    expect(publicComments(ticket)[0]?.author_id).toBe(requester.id);
    const calls = zd.calls.filter((c) => c.at >= started).length;
    process.stdout.write(`Zendesk API calls for a burst of 40 user messages: ${calls}\n`);
    expect(zd.requesterEmails.filter((e) => e.ticketId === ticket)).toEqual([]);
  });

  it('brings public agent replies back without signatures; private notes and API comments stay put', async () => {
    const ticket = await ticketOf('jane');
    const reply = await zd.agentComment(ticket, agent, 'Hi Jane, we are on it.\n\n--\nAcme Support · acme.example');
    expect(reply.fired).toContain(TRIGGER_TITLE);
    expect(reply.deliveries[0]?.status).toBe(200);
    const event = await waitFor(() => receiver.events().find((d) => d.body.userId === 'jane'));
    expect(event.body.data.message).toMatchObject({
      text: 'Hi Jane, we are on it.',
      source: 'zendesk',
      agent: { name: 'Zoe Desk' },
    });
    await zd.redeliver();
    await zd.agentComment(ticket, agent, 'internal: check the warehouse', { public: false });
    await agentReply(parley.client, 'zd', 'jane', 'slack-1', 'Also checked from Slack', 'slack');
    await api('POST', user('jane', '/messages'), { text: 'thank you' });
    await waitFor(() => publicComments(ticket).some((c) => c.body === 'thank you'), { timeoutMs: 20_000 });
    const messages = (await api('GET', user('jane', '/messages'))).body.messages.map((m: { text: string }) => m.text);
    expect(messages.slice(-3)).toEqual(['Hi Jane, we are on it.', 'Also checked from Slack', 'thank you']);
    expect(zd.ticket(ticket)?.comments.some((c) => !c.public && c.body.includes('↩ Ana Agent via Slack'))).toBe(true);
    expect(
      receiver.events().filter((d) => d.body.userId === 'jane' && d.body.data.message?.source === 'zendesk'),
    ).toHaveLength(1);
  });

  it('strips the agent’s own signature and any -- block', () => {
    expect(stripSignatures('Thanks!\n\nZoe Desk\nAcme Support', 'Zoe Desk\nAcme Support')).toBe('Thanks!');
    expect(stripSignatures('Hello\n--\nThe team', null)).toBe('Hello');
    expect(stripSignatures('a -- b', null)).toBe('a -- b');
  });

  it('refuses webhooks with a bad signature', async () => {
    const ticket = await ticketOf('jane');
    const forged = await zd.agentComment(ticket, agent, 'forged', { badSignature: true });
    expect(forged.deliveries[0]?.status).toBe(401);
  });
});

describe('Zendesk: limits and faults', () => {
  it('holds on both kinds of 429 and sends everything afterwards as one comment, in order', async () => {
    await api('POST', user('rita', '/messages'), { text: 'r0' });
    const ticket = await ticketOf('rita');
    zd.failNext(`/api/v2/tickets/${ticket}`, { status: 429, retryAfter: 3, body: 'Too Many Requests', method: 'PUT' });
    await api('POST', user('rita', '/messages'), { text: 'r1' });
    await waitFor(
      async () => (await conversationState(parley.client, 'zd', 'rita')).outboxes.zendesk?.status === 'rate_limited',
      { timeoutMs: 15_000 },
    );
    // Then the account limit (a JSON 429) on the next try.
    zd.failNext(`/api/v2/tickets/${ticket}/comments`, { status: 429, retryAfter: 1 });
    for (const text of ['r2', 'r3']) await api('POST', user('rita', '/messages'), { text });
    await waitFor(() => publicComments(ticket).some((c) => c.body.includes('r3')), { timeoutMs: 30_000 });
    expect(publicComments(ticket).map((c) => c.body)).toEqual(['r0', 'r1\n\nr2\n\nr3']);
  });

  it('opens a follow-up for a closed ticket and reopens a solved one', async () => {
    await api('POST', user('sol', '/messages'), { text: 's1' });
    const first = await ticketOf('sol');
    zd.setStatus(first, 'solved');
    await api('POST', user('sol', '/messages'), { text: 's2' });
    await waitFor(() => zd.ticket(first)?.status === 'open', { timeoutMs: 20_000 });
    zd.setStatus(first, 'closed');
    await api('POST', user('sol', '/messages'), { text: 's3' });
    const followUp = await waitFor(
      async () => {
        const id = Number((await conversationState(parley.client, 'zd', 'sol')).refs.zendeskTicketId);
        return id !== first ? id : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(zd.ticket(followUp)?.via.source.rel).toBe('follow_up');
    expect(publicComments(followUp).map((c) => c.body)).toEqual(['s3']);
  });

  it('shows a deleted ticket or a bad token as a fault, keeps the messages, and never comments twice', async () => {
    await api('POST', user('del', '/messages'), { text: 'd1' });
    const ticket = await ticketOf('del');
    zd.deleteTicket(ticket);
    await api('POST', user('del', '/messages'), { text: 'd2' });
    const box = await waitForOutbox(api, 'zd', 'del', 'zendesk', 'faulted');
    expect(box.fault.type).toBe('zendesk_ticket_deleted');
    expect(box.pending).toBe(1);
    // An operator's resume: the conversation goes on in a new ticket, with the message that waited.
    await admin('POST', user('del', '/outboxes/resume'), { outbox: 'zendesk' });
    const reopened = await waitFor(
      async () => {
        const id = Number((await conversationState(parley.client, 'zd', 'del')).refs.zendeskTicketId);
        return id !== ticket ? id : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(publicComments(reopened).map((c) => c.body)).toEqual(['d2']);
    expect(zd.ticket(reopened)?.external_id).toBe(conversationWorkflowId('zd', 'del'));

    zd.failNext('/api/v2/users/create_or_update', { status: 401, body: { error: "Couldn't authenticate you" } });
    await api('POST', user('tok', '/messages'), { text: 't1' });
    const auth = await waitForOutbox(api, 'zd', 'tok', 'zendesk', 'faulted');
    expect(auth.fault.type).toBe('zendesk_auth_failed');
    expect((await api('POST', user('tok', '/outboxes/resume'), { outbox: 'zendesk' })).status).toBe(403);
    await admin('POST', user('tok', '/outboxes/resume'), { outbox: 'zendesk' });
    expect(publicComments(await ticketOf('tok')).map((c) => c.body)).toEqual(['t1']);

    await api('POST', user('dup', '/messages'), { text: 'u1' });
    const dupTicket = await ticketOf('dup');
    zd.failNext(`/api/v2/tickets/${dupTicket}`, { status: 500, method: 'PUT', afterEffect: true });
    await api('POST', user('dup', '/messages'), { text: 'u2' });
    await waitFor(async () => (await conversationState(parley.client, 'zd', 'dup')).outboxes.zendesk?.delivered === 2, {
      timeoutMs: 20_000,
    });
    expect(publicComments(dupTicket).map((c) => c.body)).toEqual(['u1', 'u2']);
  });

  it('removes its trigger and webhook and restores the requester triggers when the last app leaves', async () => {
    const res = await admin('DELETE', '/v1/apps/zd/integrations/zendesk');
    expect(res.body.removed).toBe(true);
    expect(zd.trigger(TRIGGER_TITLE)).toBeUndefined();
    expect(zd.webhooks()).toEqual([]);
    for (const t of zd.triggers())
      expect(t.conditions.all).not.toContainEqual({ field: 'current_tags', operator: 'not_includes', value: 'parley' });
  });
});
