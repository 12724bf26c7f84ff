/**
 * Drill: the client app's webhook receiver goes down while agents answer three users, stays down while Parley
 * retries, and comes back. Every reply reaches the app once (by event id), signed, in order per conversation.
 */
import { randomBytes } from 'node:crypto';
import { conversationWorkflowId } from '../common/ids';
import { agentReply } from './helpers/agent';
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';

const key = testKey('down');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let receiver: WebhookReceiver;
let parley: TestParley;

beforeAll(async () => {
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({ apps: [{ id: 'down', apiKeys: [key], webhooks: [{ url: receiver.url, secret }] }] }),
  });
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
});

it('delivers every reply once, in order, after the receiver was down', async () => {
  const startedAt = Date.now();
  const call = apiClient(parley.apiUrl, key);
  const users = ['ada', 'bob', 'cy'];
  const perUser = 12;
  const sent: Record<string, string[]> = Object.fromEntries(users.map((u) => [u, []]));
  async function reply(user: string, i: number): Promise<void> {
    const text = `reply ${i} to ${user}`;
    await agentReply(parley.client, 'down', user, `${user}-r${i}`, text);
    sent[user]?.push(text);
  }
  const arrived = (user: string) => receiver.events().filter((d) => d.body.userId === user);

  for (const u of users)
    expect((await call('POST', `/v1/apps/down/users/${u}/messages`, { text: 'hi' })).status).toBe(202);
  for (let i = 1; i <= 3; i++) await Promise.all(users.map((u) => reply(u, i)));
  for (const u of users) await waitFor(() => arrived(u).length >= 1, { what: `the first reply to ${u}` });

  await receiver.down();
  for (let i = 4; i <= perUser; i++) await Promise.all(users.map((u) => reply(u, i)));
  // Down "for a while": until each conversation's delivery has failed and been retried at least twice.
  const attempts = async (user: string): Promise<number> => {
    const { raw } = await parley.client.workflow.getHandle(conversationWorkflowId('down', user)).describe();
    return Math.max(0, ...(raw.pendingActivities ?? []).map((a) => a.attempt ?? 0));
  };
  for (const u of users) await waitFor(async () => (await attempts(u)) >= 3, { what: `retries of ${u}'s deliveries` });
  const duringOutage = receiver.deliveries.length;
  await receiver.up();

  for (const u of users) {
    await waitFor(() => arrived(u).length >= perUser, { timeoutMs: 90_000, what: `every reply to ${u}` });
  }
  expect(receiver.deliveries.every((d) => d.signatureValid)).toBe(true);
  const received = Object.fromEntries(
    users.map((u) => [
      u,
      receiver.deliveries.filter((d) => d.body.userId === u).map((d) => d.body.data.message?.text ?? ''),
    ]),
  );
  // Repeated event ids would be repeats too (the texts above already count those).
  const tally = tallyDrill('webhook-down', sent, received);
  reportDrill(
    tally,
    startedAt,
    `receiver down until every conversation's delivery had failed twice; ${duringOutage} deliveries before it came back`,
  );
  expectClean(tally);
});
