/** Agent replies and archives reach the client app's webhook: signed, in order, once, whatever the receiver does. */
import { randomBytes } from 'node:crypto';
import { agentReply, conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';

const key = testKey('hooks');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [{ id: 'hooks', name: 'Hooks', apiKeys: [key], webhooks: [{ url: receiver.url, secret }] }],
    }),
  });
  api = apiClient(parley.apiUrl, key);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
});

const forUser = (user: string) => receiver.events().filter((d) => d.body.userId === user);

describe('webhooks to the client app', () => {
  it('delivers an agent reply, signed, after the receiver failed its first tries', async () => {
    const user = 'retry';
    expect((await api('POST', `/v1/apps/hooks/users/${user}/messages`, { text: 'help?' })).status).toBe(202);
    receiver.failNext(500, 2);
    await agentReply(parley.client, 'hooks', user, 'reply-1', 'Hi, Ana here!');
    const [delivery] = await waitFor(() => (forUser(user).length === 1 ? forUser(user) : undefined), {
      what: 'the webhook',
    });
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.eventId).toBe(delivery?.body.id);
    expect(delivery?.body).toMatchObject({
      type: 'message:agent',
      appId: 'hooks',
      userId: user,
      conversationId: 'conversation:hooks:retry',
      data: {
        message: { id: 'reply-1', role: 'agent', text: 'Hi, Ana here!', source: 'slack', agent: { name: 'Ana Agent' } },
      },
    });
    // The user side sees it too, and the user's own message never went to the webhook.
    const list = await api('GET', `/v1/apps/hooks/users/${user}/messages`);
    expect(list.body.messages.map((m: { role: string; text: string }) => `${m.role}:${m.text}`)).toEqual([
      'user:help?',
      'agent:Hi, Ana here!',
    ]);
    await api('POST', `/v1/apps/hooks/users/${user}/archive`);
    await waitFor(() => forUser(user).length === 2);
    expect(forUser(user).map((d) => d.body.type)).toEqual(['message:agent', 'conversation:archived']);
    expect(receiver.deliveries.filter((d) => d.body.userId === user)).toHaveLength(2);
  });

  it('gives a receiver that was down everything once it is back, in order, each event once', async () => {
    const user = 'downtime';
    await api('POST', `/v1/apps/hooks/users/${user}/messages`, { text: 'anyone?' });
    await receiver.down();
    try {
      for (let i = 1; i <= 4; i++) await agentReply(parley.client, 'hooks', user, `down-${i}`, `reply ${i}`);
      await agentReply(parley.client, 'hooks', user, 'down-2', 'reply 2 (redelivered by the vendor)');
      await waitFor(
        async () => {
          const box = (await conversationState(parley.client, 'hooks', user)).outboxes[`webhook:${receiver.url}`];
          return box?.status === 'sending' && box.queue.length === 4;
        },
        { what: 'the webhook outbox retrying' },
      );
    } finally {
      await receiver.up();
    }
    await waitFor(() => forUser(user).length === 4, { timeoutMs: 60_000, what: 'all four replies' });
    expect(forUser(user).map((d) => d.body.data.message?.text)).toEqual(['reply 1', 'reply 2', 'reply 3', 'reply 4']);
    expect(receiver.deliveries.filter((d) => d.body.userId === user)).toHaveLength(4);
    expect(forUser(user).every((d) => d.signatureValid)).toBe(true);
  });

  it("holds the queue for a 429's Retry-After, then sends what is pending, in order", async () => {
    const user = 'throttled';
    await api('POST', `/v1/apps/hooks/users/${user}/messages`, { text: 'hello' });
    receiver.failNext(429, 1, { 'retry-after': '2' });
    await agentReply(parley.client, 'hooks', user, 'thr-1', 'first');
    const held = await waitFor(
      async () => {
        const r = await api('GET', `/v1/apps/hooks/users/${user}/conversation`);
        return r.body.outboxes.find((b: { status: string }) => b.status === 'rate_limited');
      },
      { what: 'a rate-limited outbox' },
    );
    expect(held.holdUntil).toEqual(expect.any(String));
    await agentReply(parley.client, 'hooks', user, 'thr-2', 'second');
    await waitFor(() => forUser(user).length === 2, { what: 'both replies' });
    expect(forUser(user).map((d) => d.body.data.message?.text)).toEqual(['first', 'second']);
    const firstAt = receiver.deliveries.find((d) => d.body.data.message?.id === 'thr-1');
    expect(firstAt).toBeDefined();
    expect(Date.parse(held.holdUntil)).toBeLessThanOrEqual(Date.now());
  });
});
