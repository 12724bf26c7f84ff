/**
 * Erasing a user end to end: the real API and worker, a real Temporal dev server, and the Slack, Zendesk and Help
 * Scout emulators, the sink and a client webhook. `DELETE /v1/apps/{appId}/users/{userId}` must leave nothing of
 * the user in Parley or in Temporal, clean each vendor as far as its API allows (and say what it could not), tell
 * the app `user:erased` last, and let the same user id start over with an empty conversation.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createApp, type AppDeps } from '../api/app';
import { conversationWorkflowId } from '../common/ids';
import { createLogger } from '../common/logger';
import {
  CONVERSATION_WORKFLOW_TYPE,
  eraseUserUpdate,
  ParleyApp,
  ParleyUser,
  type ConversationInput,
} from '../workflows/definitions';
import { runIdsOf } from './helpers/history';
import { customerEmail } from '../integrations/helpscout/adapter';
import { agentReply, conversationState } from './helpers/agent';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startTestSink, type TestSink } from './emulators/test-sink';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const APP = 'erase';
const key = testKey('erase');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let slack: SlackEmulator;
let zd: ZendeskEmulator;
let hs: HelpScoutEmulator;
let sink: TestSink;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  slack = await startSlackEmulator();
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  zd = await startZendeskEmulator({ ticketUpdateLimit: { max: 1000, windowMs: 600_000 } });
  hs = await startHelpScoutEmulator({ mailboxes: [{ name: 'Support' }] });
  sink = await startTestSink();
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: APP,
          name: 'Acme',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          sink: { url: sink.url },
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            installerUserId: 'U0INSTALL',
            apiUrl: slack.apiUrl,
          },
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
          helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 'Support', apiUrl: hs.apiUrl },
        },
      ],
    }),
  });
  slack.setParleyUrl(parley.apiUrl);
  api = apiClient(parley.apiUrl, key);
});
afterAll(async () => {
  await parley?.stop();
  await receiver?.close();
  await sink?.close();
  await hs?.close();
  await zd?.close();
  await slack?.close();
});
afterEach(() => {
  expect(slack.specViolations).toEqual([]);
  expect(zd.warnings).toEqual([]);
});

const userPath = (user: string, rest = '') => `/v1/apps/${APP}/users/${encodeURIComponent(user)}${rest}`;

async function say(user: string, text: string): Promise<void> {
  expect((await api('POST', userPath(user, '/messages'), { text })).status).toBe(202);
}

/** Every outbox of the user's conversation has sent what it had, and the references the test reads exist. */
async function relayedEverywhere(user: string, refs: string[]) {
  return waitFor(
    async () => {
      const state = await conversationState(parley.client, APP, user);
      const boxes = Object.values(state.outboxes);
      const quiet = boxes.length === 5 && boxes.every((b) => b.queue.length === 0 && b.status === 'idle');
      return quiet && refs.every((r) => state.refs[r]) ? state : undefined;
    },
    { timeoutMs: 30_000, what: `${user}'s messages relayed everywhere` },
  );
}

async function historyGone(workflowId: string, runId: string): Promise<void> {
  await waitFor(
    async () => {
      try {
        await parley.client.workflow.getHandle(workflowId, runId).describe();
        return false;
      } catch (err) {
        return err instanceof WorkflowNotFoundError;
      }
    },
    // Temporal deletes a closed run's history in a background task: on the dev server it takes 10 to 20 s.
    { timeoutMs: 90_000, intervalMs: 500, what: `the history of run ${runId} deleted` },
  );
}

describe('DELETE /v1/apps/{appId}/users/{userId}', () => {
  it('erases the user in Parley, Temporal, Slack, Zendesk, Help Scout and the sink, and says what remains', async () => {
    const workflowId = conversationWorkflowId(APP, 'jane');
    expect(
      (
        await api('PUT', userPath('jane'), {
          givenName: 'Jane',
          surname: 'Doe',
          email: 'jane@example.com',
          properties: { plan: 'pro' },
        })
      ).status,
    ).toBe(202);
    await say('jane', 'My order never came');
    await say('jane', 'Order #1234, paid by card');
    await relayedEverywhere('jane', ['slackChannelId', 'zendeskTicketId', 'zendeskUserId', 'helpscoutConversationId']);
    await agentReply(parley.client, APP, 'jane', 'slack:1', 'Sorry Jane, we are on it', 'slack');
    await waitFor(() => receiver.events().some((d) => d.body.data.message?.text === 'Sorry Jane, we are on it'));
    const before = await relayedEverywhere('jane', []);
    const channel = before.refs.slackChannelId as string;
    const channelName = slack.channel(channel)?.name as string;
    const ticket = Number(before.refs.zendeskTicketId);
    const zendeskUser = Number(before.refs.zendeskUserId);
    const hsConversation = Number(before.refs.helpscoutConversationId);
    const hsCustomer = hs.conversation(hsConversation)?.customerId as number;
    const { runId } = await parley.client.workflow.getHandle(workflowId).describe();
    expect(channelName).toBe('sk-jane-doe');
    // Parley's own end user (a .parley.invalid address; the email the app gave is in its notes).
    expect(zd.user(zendeskUser)).toMatchObject({
      name: 'Jane Doe',
      email: expect.stringMatching(/@erase\.parley\.invalid$/),
      role: 'end-user',
    });
    expect(sink.items(workflowId).map((i) => i.text)).toContain('My order never came');

    const started = Date.now();
    const res = await api('DELETE', userPath('jane'));
    process.stdout.write(`DELETE of a user in Slack, Zendesk, Help Scout and the sink: ${Date.now() - started} ms\n`);
    expect(res.status).toBe(200);
    const report = res.body;
    expect(report).toMatchObject({
      conversationId: workflowId,
      status: 'erased',
      runId,
      parley: { profile: true, messages: 3, queued: 0, totalMessages: 2 },
      history: { deleted: true, runs: 1 },
      webhooks: [{ url: receiver.url, delivered: true }],
    });
    const erased = (system: string, kind: string) =>
      report.erased.filter((e: { system: string; kind: string }) => e.system === system && e.kind === kind);
    const remains = (system: string, kind: string) =>
      report.remains.filter((e: { system: string; kind: string }) => e.system === system && e.kind === kind);
    expect(erased('slack', 'channel')).toEqual([
      {
        system: 'slack',
        kind: 'channel',
        id: channel,
        detail: expect.stringMatching(/^renamed to #sk-erased-\w+ and archived$/),
      },
    ]);
    expect(erased('slack', 'dispatch_notice')).toHaveLength(1);
    expect(remains('slack', 'channel')[0]?.detail).toMatch(/keeps its messages.*a bot cannot delete a channel/);
    expect(erased('zendesk', 'ticket')).toEqual([expect.objectContaining({ id: String(ticket) })]);
    expect(erased('zendesk', 'end_user')).toEqual([
      expect.objectContaining({ id: String(zendeskUser), detail: expect.stringContaining('permanently deleted') }),
    ]);
    expect(erased('helpscout', 'conversation')).toEqual([expect.objectContaining({ id: String(hsConversation) })]);
    expect(erased('helpscout', 'customer')).toEqual([expect.objectContaining({ id: String(hsCustomer) })]);
    expect(erased('sink', 'batches')).toHaveLength(1);
    // Nothing the user said or told in the report itself (their id is the app's own, in the conversation id).
    expect(JSON.stringify(report)).not.toMatch(/Jane|Doe|sk-jane-doe|jane@example\.com|order|1234/);

    // The app heard it, signed, last of everything about this conversation.
    const events = receiver.events().filter((d) => d.body.conversationId === workflowId);
    const last = events.at(-1);
    expect(last?.body.type).toBe('user:erased');
    expect(last?.signatureValid).toBe(true);
    expect(last?.body).toMatchObject({ userId: 'jane', appId: APP, data: { parley: report.parley } });
    expect((last?.body.data as { erased: unknown[] }).erased).toEqual(report.erased);

    // Parley and Temporal hold nothing of it.
    const messages = await api('GET', userPath('jane', '/messages'));
    expect(messages.status).toBe(404);
    expect(messages.body.error.code).toBe('conversation_not_found');
    await historyGone(workflowId, runId);

    // Slack: the channel is anonymous and archived, the dispatch notice names nobody.
    const renamed = slack.channel(channel);
    expect(renamed?.archived).toBe(true);
    expect(renamed?.name).toMatch(/^sk-erased-[a-z0-9]+$/);
    const general = slack.channelByName('general')!;
    const notices = slack.messages(general.id).filter((m) => m.metadata?.event_type === 'parley_dispatch');
    expect(notices).toHaveLength(1);
    expect(JSON.stringify(notices)).not.toMatch(/Jane|sk-jane-doe|jane@example\.com/);
    expect(notices[0]?.text).toBe("A conversation from Acme: its user's data was erased.");

    // Zendesk: the ticket and the end user are permanently deleted, in Zendesk's order.
    expect(zd.ticket(ticket)).toBeUndefined();
    expect(zd.user(zendeskUser)).toMatchObject({
      deleted: 'permanent',
      name: 'Permanently Deleted User',
      email: null,
      external_id: null,
    });
    // The email the app gave (kept in the end user's notes) is gone with it.
    expect(JSON.stringify(zd.user(zendeskUser))).not.toContain('jane@example.com');
    const deletes = zd.calls.filter((c) => c.method === 'DELETE').map((c) => `${c.path} ${c.status}`);
    expect(deletes).toEqual([
      `/api/v2/tickets/${ticket}.json 204`,
      `/api/v2/deleted_tickets/${ticket}.json 200`,
      `/api/v2/users/${zendeskUser}.json 200`,
      `/api/v2/deleted_users/${zendeskUser}.json 200`,
    ]);

    // Help Scout: the conversation and Parley's customer for Jane are gone.
    expect(hs.conversation(hsConversation)).toBeUndefined();
    expect(hs.customers().some((c) => c.email === customerEmail(APP, 'jane'))).toBe(false);

    // The sink: its batches of the conversation are deleted.
    expect(sink.erased()).toEqual([workflowId]);
    expect(sink.items(workflowId)).toEqual([]);

    // The same user id starts over: a new, empty conversation, a new channel, ticket and customer.
    await say('jane', 'Hello again');
    const fresh = await relayedEverywhere('jane', ['slackChannelId', 'zendeskTicketId', 'helpscoutConversationId']);
    const again = await api('GET', userPath('jane', '/messages'));
    expect(again.status).toBe(200);
    expect(again.body.messages.map((m: { text: string }) => m.text)).toEqual(['Hello again']);
    const summary = await api('GET', userPath('jane', '/conversation'));
    expect(summary.body).toMatchObject({ status: 'active', profile: {}, totalMessages: 1 });
    expect(fresh.refs.slackChannelId).not.toBe(channel);
    expect(Number(fresh.refs.zendeskTicketId)).not.toBe(ticket);
    expect(Number(fresh.refs.zendeskUserId)).not.toBe(zendeskUser);
    expect(Number(fresh.refs.helpscoutConversationId)).not.toBe(hsConversation);
    const { runId: freshRun } = await parley.client.workflow.getHandle(workflowId).describe();
    expect(freshRun).not.toBe(runId);
  });

  it('carries a message sent while the erasure runs into the fresh conversation after it', async () => {
    const workflowId = conversationWorkflowId(APP, 'max');
    await api('PUT', userPath('max'), { givenName: 'Max', email: 'max@example.com' });
    await say('max', 'Please forget me');
    await relayedEverywhere('max', ['zendeskTicketId', 'zendeskUserId']);
    const { runId } = await parley.client.workflow.getHandle(workflowId).describe();
    // Zendesk is down for a few seconds: the erasure waits in its clean-up, retried with backoff.
    zd.failNext(/^\/api\/v2\/tickets\.json$/, { status: 503, method: 'GET' }, 2);

    const deleting = api('DELETE', userPath('max'));
    await waitFor(async () => (await conversationState(parley.client, APP, 'max')).erasure !== undefined, {
      what: 'the erasure under way',
    });
    await say('max', 'Actually, one more question');
    const res = await deleting;
    expect(res.status).toBe(200);
    expect(res.body.parley).toMatchObject({ profile: true, messages: 1 });
    expect(res.body.erased).toEqual(
      expect.arrayContaining([expect.objectContaining({ system: 'zendesk', kind: 'end_user' })]),
    );
    await historyGone(workflowId, runId);

    // The message came after the erasure began: it is the first of a fresh conversation, relayed as usual.
    const fresh = await relayedEverywhere('max', ['slackChannelId']);
    expect(fresh.messages.map((m) => m.text)).toEqual(['Actually, one more question']);
    expect(fresh.profile).toEqual({});
    const channel = fresh.refs.slackChannelId as string;
    expect(slack.messages(channel).map((m) => m.text)).toEqual(
      expect.arrayContaining([expect.stringContaining('Actually, one more question')]),
    );
    expect(JSON.stringify(slack.messages(channel))).not.toContain('Please forget me');
  });

  it('deletes the history of every run of a conversation that continued as new', async () => {
    const workflowId = conversationWorkflowId(APP, 'lena');
    // Started as the API starts conversations, with a low continue-as-new limit so it has several runs.
    const input: ConversationInput = { appId: APP, userId: 'lena', appName: 'Acme', continueAsNewAfterEvents: 40 };
    await parley.client.workflow.start(CONVERSATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: parley.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: ParleyApp, value: APP },
        { key: ParleyUser, value: 'lena' },
      ],
    });
    for (let i = 1; (await runIdsOf(parley.client, workflowId)).length < 2; i++) {
      await say('lena', `message ${i}`);
      await relayedEverywhere('lena', []);
    }
    const runs = await runIdsOf(parley.client, workflowId);
    const res = await api('DELETE', userPath('lena'));
    expect(res.status).toBe(200);
    expect(res.body.history).toEqual({ deleted: true, runs: runs.length });
    for (const runId of runs) await historyGone(workflowId, runId);
  });

  it('finishes an erasure whose history was not deleted yet (the API had answered 202, or stopped)', async () => {
    const workflowId = conversationWorkflowId(APP, 'olga');
    await api('PUT', userPath('olga'), { givenName: 'Olga' });
    await say('olga', 'hello');
    await relayedEverywhere('olga', []);
    // The erasure ran, but nothing deleted its history: the next DELETE does, answering the same report.
    const report = await parley.client.workflow
      .getHandle(workflowId)
      .executeUpdate(eraseUserUpdate, { args: [{ webhooks: [receiver.url] }] });
    await parley.client.workflow.getHandle(workflowId, report.runId).result();
    const res = await api('DELETE', userPath('olga'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'erased', runId: report.runId, history: { deleted: true, runs: 1 } });
    expect(res.body.erased).toEqual(report.erased);
    await historyGone(workflowId, report.runId);
    expect((await api('DELETE', userPath('olga'))).status).toBe(404);
  });

  it('answers 202 while a slow vendor keeps the erasure going, and still deletes the history after', async () => {
    const workflowId = conversationWorkflowId(APP, 'pia');
    await say('pia', 'hello');
    await relayedEverywhere('pia', ['zendeskTicketId']);
    const { runId } = await parley.client.workflow.getHandle(workflowId).describe();
    // A second API on the same Temporal and worker that waits one second only.
    const deps: AppDeps & { eraseWaitMs: number } = {
      temporal: parley.client,
      config: parley.config,
      taskQueue: parley.taskQueue,
      log: createLogger({ level: 'silent' }),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      eraseWaitMs: 1000,
    };
    const server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const impatient = apiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, key);
      zd.failNext(/^\/api\/v2\/tickets\.json$/, { status: 503, method: 'GET' }, 3);
      const res = await impatient('DELETE', userPath('pia'));
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ conversationId: workflowId, status: 'erasing' });
      const erased = await waitFor(
        () => receiver.events().find((d) => d.body.conversationId === workflowId && d.body.type === 'user:erased'),
        { timeoutMs: 30_000, what: 'user:erased' },
      );
      expect((erased.body.data as { erased: { system: string }[] }).erased).toEqual(
        expect.arrayContaining([expect.objectContaining({ system: 'zendesk' })]),
      );
      await historyGone(workflowId, runId);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers 404 for a user Parley has nothing of', async () => {
    const res = await api('DELETE', userPath('nobody'));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('conversation_not_found');
  });

  it("keeps a Zendesk user who is not Parley's own, and says so", async () => {
    // An agent's address given as the user's email: today's create_or_update matches the agent.
    const agent = zd.addAgent({ name: 'Zoe Desk', email: 'zoe@acme.example', createdAt: '2024-03-01T09:00:00Z' });
    await api('PUT', userPath('mallory'), { givenName: 'Mallory', email: 'zoe@acme.example' });
    await say('mallory', 'hi');
    const state = await relayedEverywhere('mallory', ['zendeskTicketId', 'zendeskUserId']);
    const res = await api('DELETE', userPath('mallory'));
    expect(res.status).toBe(200);
    const userId = Number(state.refs.zendeskUserId);
    if (userId === agent.id) {
      expect(res.body.remains).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            system: 'zendesk',
            kind: 'end_user',
            id: String(agent.id),
            detail: expect.stringContaining('existed before this conversation began'),
          }),
        ]),
      );
      expect(zd.user(agent.id)?.deleted).toBeUndefined();
    } else {
      // Zendesk identities by external_id (issue 16 item 3): the agent was never the user's end user.
      expect(zd.user(agent.id)?.deleted).toBeUndefined();
      expect(zd.user(userId)?.deleted).toBe('permanent');
    }
  });
});
