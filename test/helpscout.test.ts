/**
 * Help Scout end to end: the real API and worker, a real Temporal dev server, the Help Scout emulator (OAuth2,
 * mailboxes, conversations, threads, webhooks, 429s) and signed webhooks back from "Help Scout".
 */
import { createHmac, randomBytes } from 'node:crypto';
import { helpScoutWebhookSecret } from '../integrations/helpscout/verify';
import { customerEmail } from '../integrations/helpscout/adapter';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';

const key = testKey('hs');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let hs: HelpScoutEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
/** The integration routes take an admin key. */
let admin: ReturnType<typeof apiClient>;
let agentId: number;

function config(mailbox: string) {
  return testConfig({
    server: { publicUrl: parley?.apiUrl ?? 'http://127.0.0.1:1' },
    apps: [
      {
        id: 'hs',
        name: 'Acme',
        apiKeys: [key],
        webhooks: [{ url: receiver.url, secret }],
        helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox, apiUrl: hs.apiUrl },
      },
    ],
  });
}

/** Parley's public URL is its own address, known once it listens: start, then restart with it in the config. */
async function start(mailbox: string, taskQueue?: string): Promise<void> {
  const first = await startTestParley({ config: config(mailbox), ...(taskQueue ? { taskQueue } : {}) });
  const port = new URL(first.apiUrl).port;
  await first.stop();
  const withUrl = testConfig({ ...config(mailbox), server: { publicUrl: `http://127.0.0.1:${port}` } });
  parley = await startTestParley({ config: withUrl, taskQueue: first.taskQueue, port: Number(port) });
  api = apiClient(parley.apiUrl, key);
  admin = apiClient(parley.apiUrl, testAdminKey);
}

beforeAll(async () => {
  hs = await startHelpScoutEmulator({ tokenTtlSeconds: 3600, mailboxes: [{ name: 'Support' }, { name: 'Billing' }] });
  agentId = hs.addUser({
    first: 'Hana',
    last: 'Scout',
    email: 'hana@acme.example',
    photoUrl: 'https://example.com/hana.png',
  }).id;
  receiver = await startWebhookReceiver(secret);
  await start('Support');
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await hs?.close();
});

const user = (id: string, rest = '') => `/v1/apps/hs/users/${id}${rest}`;
/** The live mailbox of that name (a deleted one may share it). */
const mailbox = (name: string) =>
  hs
    .mailboxes()
    .filter((m) => m.name === name)
    .at(-1)!;
const support = () => mailbox('Support');
const billing = () => mailbox('Billing');

async function hsConversationOf(id: string): Promise<number> {
  return Number(
    await waitFor(async () => (await conversationState(parley.client, 'hs', id)).refs.helpscoutConversationId, {
      what: 'the Help Scout conversation',
    }),
  );
}

describe('Help Scout: connecting', () => {
  it("refuses the app's client key: no webhook is made in Help Scout", async () => {
    const res = await api('POST', '/v1/apps/hs/integrations/helpscout/connect');
    expect([res.status, res.body.error?.code]).toEqual([403, 'forbidden_scope']);
    expect(hs.webhooks()).toEqual([]);
  });

  it('creates its webhook through the API, repairs it, and removes it', async () => {
    const res = await admin('POST', '/v1/apps/hs/integrations/helpscout/connect');
    expect(res.status).toBe(200);
    const [hook] = hs.webhooks();
    expect(hook).toMatchObject({
      url: `${parley.apiUrl.replace('localhost', '127.0.0.1')}/helpscout/webhook/hs`,
      events: ['convo.agent.reply.created'],
      mailboxIds: [support().id],
    });
    expect(hook?.secret.length).toBeLessThanOrEqual(40);
    // Someone edits it by hand; connecting again puts it right, without a second webhook.
    hook!.events = ['convo.created'];
    expect((await admin('POST', '/v1/apps/hs/integrations/helpscout/connect')).body.repaired).toBe(true);
    expect(hs.webhooks()).toHaveLength(1);
    expect(hs.webhooks()[0]?.events).toEqual(['convo.agent.reply.created']);
    expect((await admin('POST', '/v1/apps/hs/integrations/helpscout/check')).body).toMatchObject({ state: 'ok' });
  });
});

describe('Help Scout: conversations', () => {
  it('opens one conversation per user, adds later messages as customer threads, never emails the user', async () => {
    await api('PUT', user('jane'), {
      givenName: 'Jane',
      surname: 'Doe',
      email: 'jane@example.com',
      properties: { plan: 'pro' },
    });
    await api('POST', user('jane', '/messages'), { text: 'My order never came' });
    const id = await hsConversationOf('jane');
    await api('POST', user('jane', '/messages'), { text: 'Order #42' });
    await waitFor(() => hs.conversation(id)?.threads.filter((t) => t.type === 'customer').length === 2);
    const conv = hs.conversation(id)!;
    expect(conv).toMatchObject({
      mailboxId: support().id,
      subject: 'My order never came',
      type: 'chat',
      tags: ['parley'],
    });
    const customer = hs.customers().find((c) => c.id === conv.customerId)!;
    expect(customer.email).toBe(customerEmail('hs', 'jane'));
    expect(customer.email.endsWith('.parley.invalid')).toBe(true);
    expect(conv.threads.filter((t) => t.type === 'customer').map((t) => t.text)).toEqual([
      'My order never came',
      'Order #42',
    ]);
    expect(conv.threads.find((t) => t.type === 'note')?.text).toContain('jane@example.com');

    // An agent answers in the mailbox: the user gets it in the app, with the agent's name and photo.
    const reply = await hs.agentReply(id, agentId, 'Sorry Jane, a new parcel is on its way.');
    expect(reply.deliveries[0]?.status).toBe(200);
    const event = await waitFor(() => receiver.events().find((d) => d.body.userId === 'jane'));
    expect(event.body.data.message).toMatchObject({
      text: 'Sorry Jane, a new parcel is on its way.',
      source: 'helpscout',
      agent: { name: 'Hana Scout' },
    });
    // Redelivered by Help Scout: dropped. A note: internal.
    await hs.redeliver();
    await hs.agentNote(id, agentId, 'VIP, refund shipping');
    await api('POST', user('jane', '/messages'), { text: 'Thanks!' });
    await waitFor(() => hs.conversation(id)?.threads.filter((t) => t.type === 'customer').length === 3);
    const list = await api('GET', user('jane', '/messages'));
    expect(list.body.messages.map((m: { text: string }) => m.text)).toEqual([
      'My order never came',
      'Order #42',
      'Sorry Jane, a new parcel is on its way.',
      'Thanks!',
    ]);
    // Whatever Help Scout emails goes to the undeliverable customer address, never to the user.
    expect(hs.customerEmails.every((e) => e.to.endsWith('.parley.invalid'))).toBe(true);
    expect(hs.customerEmails.some((e) => e.to === 'jane@example.com')).toBe(false);
  });

  it('fetches the threads when a webhook does not embed them', async () => {
    const id = await hsConversationOf('jane');
    const { threadId } = await hs.agentReply(id, agentId, 'Fetched, not embedded');
    const body = JSON.stringify({ id });
    const signature = createHmac('sha1', helpScoutWebhookSecret('hs', hs.clientSecret)).update(body).digest('base64');
    const res = await fetch(`${parley.apiUrl}/helpscout/webhook/hs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-helpscout-event': 'convo.agent.reply.created',
        'x-helpscout-signature': signature,
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ relayed: threadId });
    await waitFor(() => receiver.events().some((d) => d.body.data.message?.text === 'Fetched, not embedded'));
    expect(receiver.events().filter((d) => d.body.data.message?.text === 'Fetched, not embedded')).toHaveLength(1);
  });

  it('refuses webhooks with a bad signature', async () => {
    const id = await hsConversationOf('jane');
    const before = (await conversationState(parley.client, 'hs', 'jane')).messages.length;
    const forged = await hs.agentReply(id, agentId, 'forged', { badSignature: true });
    expect(forged.deliveries[0]?.status).toBe(401);
    expect((await conversationState(parley.client, 'hs', 'jane')).messages.length).toBe(before);
  });

  it('answers an app without Help Scout exactly as a bad signature: which apps use it stays unknown', async () => {
    const body = JSON.stringify({ id: 1 });
    const post = async (appId: string, signature?: string) => {
      const res = await fetch(`${parley.apiUrl}/helpscout/webhook/${appId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-helpscout-event': 'convo.agent.reply.created',
          ...(signature !== undefined ? { 'x-helpscout-signature': signature } : {}),
        },
        body,
      });
      return { status: res.status, body: await res.json() };
    };
    const bad = createHmac('sha1', 'not-the-secret').update(body).digest('base64');
    const known = await post('hs', bad);
    expect(known).toEqual({
      status: 401,
      body: { error: { code: 'helpscout_signature_invalid', message: 'wrong X-HelpScout-Signature' } },
    });
    for (const appId of ['nobody', 'zz-not-an-app']) expect([appId, await post(appId, bad)]).toEqual([appId, known]);
    // Unsigned: the same answer for both too.
    expect(await post('nobody')).toEqual(await post('hs'));
    // Even a signature made with the derived secret of an app that has no Help Scout opens nothing.
    const guessed = createHmac('sha1', helpScoutWebhookSecret('nobody', hs.clientSecret)).update(body).digest('base64');
    expect(await post('nobody', guessed)).toEqual(known);
  });

  it('refreshes an expired token, holds on a 429 and never makes a thread twice', async () => {
    await api('POST', user('rita', '/messages'), { text: 'one' });
    const id = await hsConversationOf('rita');
    const grants = hs.tokenGrants;
    hs.expireTokens();
    hs.failNext(`/v2/conversations/${id}/customer`, { status: 429, retryAfter: 2, method: 'POST' });
    await api('POST', user('rita', '/messages'), { text: 'two' });
    await waitFor(
      async () => (await conversationState(parley.client, 'hs', 'rita')).outboxes.helpscout?.status === 'rate_limited',
    );
    await api('POST', user('rita', '/messages'), { text: 'three' });
    await waitFor(() => hs.conversation(id)?.threads.filter((t) => t.type === 'customer').length === 3, {
      timeoutMs: 20_000,
    });
    expect(hs.tokenGrants).toBeGreaterThan(grants);
    // Made, but the answer was lost: the retry finds the thread and does not post it again.
    hs.failNext(`/v2/conversations/${id}/customer`, { status: 500, method: 'POST', afterEffect: true });
    await api('POST', user('rita', '/messages'), { text: 'four' });
    await waitFor(
      async () => {
        const s = await conversationState(parley.client, 'hs', 'rita');
        return s.outboxes.helpscout?.delivered === 4 && s.outboxes.helpscout.queue.length === 0;
      },
      { timeoutMs: 20_000 },
    );
    expect(
      hs
        .conversation(id)
        ?.threads.filter((t) => t.type === 'customer')
        .map((t) => t.text),
    ).toEqual(['one', 'two', 'three', 'four']);
  });

  it('survives a deleted mailbox: a new conversation in the configured one, with the history and the pending message', async () => {
    await api('POST', user('max', '/messages'), { text: 'first' });
    const old = await hsConversationOf('max');
    hs.deleteMailbox(support().id);
    hs.addMailbox({ name: 'Support' });
    await api('POST', user('max', '/messages'), { text: 'second' });
    const fresh = await waitFor(
      async () => {
        const id = Number((await conversationState(parley.client, 'hs', 'max')).refs.helpscoutConversationId);
        return id !== old ? id : undefined;
      },
      { what: 'a new conversation', timeoutMs: 15_000 },
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}: ${JSON.stringify((await conversationState(parley.client, 'hs', 'max')).outboxes.helpscout)}`,
      );
    });
    const conv = hs.conversation(fresh)!;
    expect(conv.mailboxId).toBe(support().id);
    expect(conv.threads.filter((t) => t.type === 'customer').map((t) => t.text)).toEqual(['second']);
    expect(conv.threads.some((t) => t.type === 'note' && t.text.includes('first'))).toBe(true);
  });

  it('puts new conversations in a newly configured mailbox and leaves existing ones where they are', async () => {
    // max's conversation lives in the current Support mailbox (the previous test moved it there).
    const existing = await hsConversationOf('max');
    await parley.stop();
    await start('Billing', parley.taskQueue);
    // After a config change, connecting again points the webhook at the new mailbox.
    expect((await admin('POST', '/v1/apps/hs/integrations/helpscout/connect')).body.mailboxId).toBe(billing().id);
    await api('POST', user('max', '/messages'), { text: 'still here' });
    await api('POST', user('nina', '/messages'), { text: 'billing question' });
    const nina = await hsConversationOf('nina');
    await waitFor(() => hs.conversation(existing)?.threads.some((t) => t.text === 'still here'));
    expect(hs.conversation(nina)?.mailboxId).toBe(billing().id);
    expect(hs.conversation(existing)?.mailboxId).toBe(support().id);
  });

  it('removes its webhook when disconnected', async () => {
    expect((await api('DELETE', '/v1/apps/hs/integrations/helpscout')).status).toBe(403);
    expect((await admin('DELETE', '/v1/apps/hs/integrations/helpscout')).body.removedWebhooks).toBeGreaterThan(0);
    expect(hs.webhooks().filter((w) => w.url.startsWith(parley.apiUrl.replace('localhost', '127.0.0.1')))).toEqual([]);
  });
});
