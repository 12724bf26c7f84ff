/**
 * Figure 4: history events per user message, with one integration and with all of them, and the longest run of a
 * conversation that received 20 000 messages (continue-as-new keeps each run short).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { conversationWorkflowId } from '../common/ids';
import { startHelpScoutEmulator } from '../test/emulators/helpscout';
import { startSlackEmulator } from '../test/emulators/slack';
import { startTestSink } from '../test/emulators/test-sink';
import { startZendeskEmulator } from '../test/emulators/zendesk';
import { runsOf } from '../test/helpers/history';
import { waitFor } from '../test/helpers/wait';
import { startWebhookReceiver } from '../test/helpers/webhook-receiver';
import { CONTINUE_AS_NEW_AT_EVENTS, conversationQuery } from '../workflows/definitions';
import { pool, postJson, startStack, type Harness } from './harness';
import { envNumber, num, printTable, workerSettings } from './report';

/** The conversation has sent everything it holds, on every outbox. */
async function settled(client: Client, workflowId: string, messages: number): Promise<boolean> {
  const state = await client.workflow.getHandle(workflowId).query(conversationQuery);
  const boxes = Object.values(state.outboxes);
  return (
    state.totalMessages >= messages &&
    boxes.length > 0 &&
    boxes.every((b) => b.queue.length === 0 && (b.status === 'idle' || b.status === 'faulted'))
  );
}

export async function cost(h: Harness): Promise<void> {
  const perConversation = envNumber('BENCH_COST_MESSAGES', 20);
  const longMessages = envNumber('BENCH_LONG_MESSAGES', 20_000);
  const concurrency = envNumber('BENCH_CONCURRENCY', 32);
  const sink = await startTestSink();
  const slack = await startSlackEmulator();
  const zendesk = await startZendeskEmulator();
  const hs = await startHelpScoutEmulator({ mailboxes: [{ name: 'Support' }] });
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const receiver = await startWebhookReceiver(secret);
  const keyOne = `bench_${randomUUID().replace(/-/g, '')}`;
  const keyAll = `bench_${randomUUID().replace(/-/g, '')}`;
  const stack = await startStack(h, 'cost', {
    apps: [
      { id: 'one', apiKeys: [keyOne], sink: { url: sink.url } },
      {
        id: 'all',
        apiKeys: [keyAll],
        webhooks: [{ url: receiver.url, secret }],
        sink: { url: sink.url },
        slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl },
        zendesk: { url: zendesk.url, email: zendesk.email, apiToken: zendesk.apiToken },
        helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 'Support', apiUrl: hs.apiUrl },
      },
    ],
  });
  const rows: (string | number)[][] = [];
  let longRow: (string | number)[] | undefined;
  try {
    for (const [app, key, label] of [
      ['one', keyOne, 'one integration (test sink)'],
      ['all', keyAll, 'all: Slack, Zendesk, Help Scout, test sink, client webhook'],
    ] as const) {
      const user = 'jane';
      const id = conversationWorkflowId(app, user);
      const say = (i: number) =>
        postJson(`${stack.apiUrl}/v1/apps/${app}/users/${user}/messages`, key, { text: `message ${i}` });
      await say(0);
      await waitFor(() => settled(h.client, id, 1), { timeoutMs: 60_000, what: `${app}: the first message sent` });
      const afterFirst = (await runsOf(h.client, id)).reduce((a, b) => a + b, 0);
      // A chatty user: four messages a second, each sent on as it comes (Zendesk batches its 5 s window).
      for (let i = 1; i < perConversation; i++) {
        await say(i);
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitFor(() => settled(h.client, id, perConversation), {
        timeoutMs: 120_000,
        what: `${app}: every message sent`,
      });
      const total = (await runsOf(h.client, id)).reduce((a, b) => a + b, 0);
      rows.push([
        label,
        num(perConversation),
        num(afterFirst),
        num(total),
        num((total - afterFirst) / (perConversation - 1), 1),
      ]);
    }

    // One conversation, 20 000 messages: the continue-as-new chain and its longest run.
    const id = conversationWorkflowId('one', 'long');
    const t0 = Date.now();
    await pool(longMessages, concurrency, async (i) => {
      await postJson(`${stack.apiUrl}/v1/apps/one/users/long/messages`, keyOne, { text: `long ${i}` });
    });
    await waitFor(() => sink.items(id).length >= longMessages, {
      timeoutMs: 900_000,
      intervalMs: 1000,
      what: 'the long conversation delivered',
    });
    const seconds = (Date.now() - t0) / 1000;
    const runs = await runsOf(h.client, id);
    longRow = [
      num(longMessages),
      num(runs.length),
      num(Math.max(...runs)),
      num(runs.reduce((a, b) => a + b, 0) / longMessages, 2),
      `${num(seconds, 0)} s`,
    ];
  } finally {
    await stack.stop();
    await Promise.all([sink.close(), slack.close(), zendesk.close(), hs.close(), receiver.close()]);
  }
  printTable(
    '4. Cost per message: history events',
    { messagesPerConversation: perConversation, pace: '4 messages/s', ...workerSettings() },
    ['integrations', 'messages', 'events after the first', 'events after all', 'events per further message'],
    rows,
    ['"Events after the first" includes the workflow start and opening every integration (channel, ticket, …).'],
  );
  if (longRow)
    printTable(
      '4b. One conversation, many messages: continue-as-new',
      { concurrency, integration: 'test sink', ...workerSettings() },
      ['messages', 'runs', 'longest run, events', 'events per message (all runs)', 'sent and delivered in'],
      [longRow],
      [
        'Temporal suggests continue-as-new at 4,096 events (dev-server default `limit.historyCount.suggestContinueAsNew`);',
        `it warns at 10,240 and terminates at 51,200. Parley starts to drain at ${num(CONTINUE_AS_NEW_AT_EVENTS)} events and continues once`,
        'no send is in flight.',
      ],
    );
}
