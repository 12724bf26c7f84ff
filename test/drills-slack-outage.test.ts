/**
 * Drill: Slack answers 500 for a while (twice after the post went through, so the client never learned it), then
 * 429 with Retry-After for a while, in the middle of a burst to four channels. Every message is posted once, in
 * order.
 */
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';

const key = testKey('outage');
let slack: SlackEmulator;
let parley: TestParley;

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@example.com' });
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: 'outage',
          apiKeys: [key],
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            installerUserId: 'U0INSTALL',
            apiUrl: slack.apiUrl,
          },
        },
      ],
    }),
  });
});
afterAll(async () => {
  await parley?.stop();
  await slack?.close();
});

it('posts every message once, in order, through 500s and then 429s from Slack', async () => {
  const startedAt = Date.now();
  const call = apiClient(parley.apiUrl, key);
  const users = ['ada', 'bob', 'cy', 'dee'];
  const perUser = 8;
  const sent: Record<string, string[]> = Object.fromEntries(users.map((u) => [u, []]));
  async function say(user: string, i: number): Promise<void> {
    const text = `${user} ${i}`;
    expect((await call('POST', `/v1/apps/outage/users/${user}/messages`, { text, id: `${user}-${i}` })).status).toBe(
      202,
    );
    sent[user]?.push(text);
  }
  const channelOf = (user: string) =>
    waitFor(async () => (await conversationState(parley.client, 'outage', user)).refs.slackChannelId, {
      what: `${user}'s channel`,
    });
  const posted = (channel: string, user: string) =>
    slack
      .messages(channel)
      .map((m) => m.text)
      .filter((t) => t.startsWith(`${user} `));

  // Channels open and the first message posted before the trouble starts.
  await Promise.all(users.map((u) => say(u, 1)));
  const channels = Object.fromEntries(await Promise.all(users.map(async (u) => [u, await channelOf(u)] as const)));
  for (const u of users) await waitFor(() => posted(channels[u] ?? '', u).length === 1, { what: `${u}'s first post` });

  slack.failNext('chat.postMessage', { status: 500, afterEffect: true }, 2);
  slack.failNext('chat.postMessage', { status: 500 }, 6);
  slack.failNext('chat.postMessage', { status: 429, retryAfter: 2 }, 6);
  for (let i = 2; i <= perUser; i++) await Promise.all(users.map((u) => say(u, i)));
  for (const u of users) {
    await waitFor(() => posted(channels[u] ?? '', u).length >= perUser, {
      timeoutMs: 90_000,
      what: `all of ${u}'s messages in Slack`,
    });
  }
  const answered = (status: number) =>
    slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === status);
  expect(answered(500)).toHaveLength(8);
  expect(answered(429)).toHaveLength(6);
  const received = Object.fromEntries(users.map((u) => [u, posted(channels[u] ?? '', u)]));
  const tally = tallyDrill('slack-outage', sent, received);
  reportDrill(tally, startedAt, `Slack answered 500 ×8 (2 after posting) then 429 ×6 (Retry-After 2 s)`);
  expectClean(tally);
  expect(slack.specViolations).toEqual([]);
});
