/**
 * Records the workflow histories that test/unit/workflows/replay.test.ts replays against the current workflow code,
 * so a deploy that would break running conversations fails a unit test instead. Each scenario runs today's
 * workflows/ on a real Temporal dev server with a real Parley (worker + API) and the emulators, waits until the
 * workflow is quiet (its last workflow task completed, no activity in flight), and saves the full history as proto
 * JSON under test/fixtures/histories/.
 *
 *   npm run histories:record                       every scenario
 *   npm run histories:record -- inbox continued    some of them
 *   npm run histories:record -- --tag v2           write `<name>.v2.json` beside the files already there
 *   npm run histories:record -- --overwrite        replace existing files (only when no run of that shape remains)
 *
 * An existing file is never replaced without `--overwrite`: a history recorded from older code is what proves that
 * conversations started by that code still replay.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import prettier from 'prettier';
import { conversationWorkflowId, inboxWorkflowId } from '../common/ids';
import { createLogger } from '../common/logger';
import { startDevServer } from '../workers/dev-server';
import { findOrInstallTemporalCli } from '../workers/temporal-cli';
import { emailThreadId } from '../integrations/email/token';
import {
  conversationQuery,
  eraseUserUpdate,
  inboxQuery,
  slackInstallationQuery,
  type ConversationState,
} from '../workflows/definitions';
import { agentReply } from '../test/helpers/agent';
import { installSlack } from '../test/helpers/slack-install';
import { installationWorkflowId } from '../common/slack-installation';
import {
  EMAIL_TEST_USERS,
  gmailReply,
  replyToOf,
  startEmailStack,
  waitForNotifications,
} from '../test/helpers/email-stack';
import { runIdsOf } from '../test/helpers/history';
import { sendRawMail, startTestMailServer } from '../test/helpers/mail';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey } from '../test/helpers/parley';
import { freePort } from '../test/helpers/ports';
import { waitFor } from '../test/helpers/wait';
import { startWebhookReceiver } from '../test/helpers/webhook-receiver';
import { startSlackEmulator } from '../test/emulators/slack';
import { startTestSink, type TestSink } from '../test/emulators/test-sink';

const HISTORIES_DIR = path.resolve(__dirname, '..', 'test', 'fixtures', 'histories');

/** The app's Slack block against an emulator: the same in every scenario that posts to Slack. */
function slackConfig(slack: { botToken: string; signingSecret: string; apiUrl: string }) {
  return {
    botToken: slack.botToken,
    signingSecret: slack.signingSecret,
    installerUserId: 'U0INSTALL',
    apiUrl: slack.apiUrl,
  };
}

/** One saved run: what the replay test reads back (`events` is the SDK's proto JSON, as `historyToJSON` writes it). */
interface HistoryFile {
  workflowId: string;
  runId: string;
  /** What the run went through, for whoever reads the fixture. */
  scenario: string;
  /** The commit whose workflow code produced it (`+dirty` when workflows/ had uncommitted changes). */
  recordedFrom: string;
  events: unknown[];
}

interface Recording {
  name: string;
  scenario: string;
  workflowId: string;
  runId: string;
}

type Keep = (recording: Recording) => Promise<void>;

interface Scenario {
  /** The files it writes (without `.json`), checked before it runs. */
  names: string[];
  /** Drives the scenario and hands each quiet run to `keep` before tearing down (the inbox watcher is terminated). */
  run(keep: Keep): Promise<void>;
}

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'record-histories' });
const { EventType } = temporal.api.enums.v1;
const WORKFLOW_TASK_EVENTS = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
]);

function progress(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Waits until a run is quiet: its last workflow-task event is a completion (or the run has closed), no activity is
 * in flight unless `activityInFlight` allows one (the inbox watcher always has its session), and the history
 * length held still across two reads.
 */
async function waitQuiet(client: Client, workflowId: string, runId: string, activityInFlight = false): Promise<void> {
  const handle = client.workflow.getHandle(workflowId, runId);
  let previous = -1;
  await waitFor(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const description = await handle.describe();
      const closed = description.status.name !== 'RUNNING';
      const lastTask = events.filter((e) => WORKFLOW_TASK_EVENTS.has(e.eventType ?? 0)).at(-1)?.eventType;
      const idle = activityInFlight || (description.raw.pendingActivities ?? []).length === 0;
      const quiet = closed || (lastTask === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && idle);
      const still = events.length === previous;
      previous = events.length;
      return quiet && still;
    },
    { timeoutMs: 60_000, intervalMs: 300, what: `${workflowId} quiet` },
  );
}

/** The workflow's current run, once it is quiet (see waitQuiet). */
async function quietRun(client: Client, workflowId: string): Promise<string> {
  const { runId } = await client.workflow.getHandle(workflowId).describe();
  await waitQuiet(client, workflowId, runId);
  return runId;
}

async function conversationState(client: Client, workflowId: string): Promise<ConversationState> {
  return client.workflow.getHandle(workflowId).query(conversationQuery);
}

/** Every outbox of the conversation has sent everything and is idle. */
async function waitOutboxesDrained(client: Client, workflowId: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const boxes = Object.values((await conversationState(client, workflowId)).outboxes);
      return boxes.length > 0 && boxes.every((b) => b.queue.length === 0 && b.status === 'idle');
    },
    { timeoutMs, what: `every outbox of ${workflowId} drained` },
  );
}

const sinkTexts = (sink: TestSink, workflowId: string) => sink.batches(workflowId).map((b) => b.map((i) => i.text));

/**
 * One conversation that sees every signal (profileUpdate, userMessage, agentReply from Slack's /sk and from another
 * source, archive and the reopening userMessage, resumeOutbox) with three outboxes (the test sink, a client webhook,
 * Slack against its emulator), a 429 hold with the batch after it, and a permanent fault resumed.
 */
async function everySignal(keep: Keep): Promise<void> {
  const sink = await startTestSink();
  const slack = await startSlackEmulator();
  const AGENT = 'U0AGENTANA';
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  slack.addUser({ id: AGENT, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const receiver = await startWebhookReceiver(secret);
  const key = testKey('replay');
  const appId = 'replay';
  const parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: appId,
          name: 'Replay',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          // A permanent fault re-checks only after ten minutes, so the resume below is what clears it.
          sink: { url: sink.url, policy: { batchWindowMs: 0, recheckMs: 600_000 } },
          slack: slackConfig(slack),
        },
      ],
    }),
  });
  try {
    slack.setParleyUrl(parley.apiUrl);
    const api = apiClient(parley.apiUrl, key);
    const user = 'jane';
    const workflowId = conversationWorkflowId(appId, user);
    const userPath = (rest = '') => `/v1/apps/${appId}/users/${user}${rest}`;
    const expectStatus = async (res: Promise<{ status: number; body: unknown }>, status = 202) => {
      const r = await res;
      if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    };
    // Fixed message ids, so a re-recording differs from the last one only where the workflow code did.
    const say = (text: string) =>
      expectStatus(api('POST', userPath('/messages'), { text, id: `replay-${text.replace(/\W+/g, '-')}` }));
    const slackTexts = (channel: string) => slack.messages(channel).map((m) => m.text ?? '');
    const testOutbox = async () => (await conversationState(parley.client, workflowId)).outboxes.sink;

    progress('every-signal: profile, first message');
    await expectStatus(api('PUT', userPath(), { givenName: 'Jane', surname: 'Doe', email: 'jane@example.com' }));
    await say('hello');
    const channel = await waitFor(
      async () => (await conversationState(parley.client, workflowId)).refs.slackChannelId,
      {
        what: 'the Slack channel',
      },
    );
    await waitFor(() => slackTexts(channel).includes('hello') && sinkTexts(sink, workflowId).flat().includes('hello'));

    progress('every-signal: agent replies (Slack /sk, then a direct signal from another source)');
    const command = await slack.sendSlashCommand({ userId: AGENT, channelId: channel, text: 'Hi Jane, Ana here.' });
    if (command.status !== 200) throw new Error(`/sk answered ${command.status}`);
    await waitFor(() => receiver.events().some((d) => d.body.data.message?.text === 'Hi Jane, Ana here.'));
    await agentReply(parley.client, appId, user, 'zd-1', 'Your refund is on its way', 'zendesk');
    await waitFor(() => slackTexts(channel).some((t) => t.includes('Your refund is on its way')));
    await waitOutboxesDrained(parley.client, workflowId);

    progress('every-signal: a 429 with Retry-After holds the sink, then one batch');
    sink.failNext({ status: 429, headers: { 'retry-after': '2' } });
    await say('two');
    await waitFor(async () => (await testOutbox())?.status === 'rate_limited', { what: 'rate_limited' });
    await say('three');
    await waitFor(() => sinkTexts(sink, workflowId).some((b) => b.join() === 'two,three'), { what: 'the held batch' });

    progress('every-signal: a permanent fault, then resumeOutbox');
    sink.setOutage({ status: 403, body: '{"error":"token revoked"}' });
    try {
      await say('four');
      await waitFor(async () => (await testOutbox())?.status === 'faulted', { what: 'faulted' });
      await say('five');
      await waitFor(async () => (await testOutbox())?.queue.length === 2);
    } finally {
      sink.setOutage(undefined);
    }
    await expectStatus(
      apiClient(parley.apiUrl, testAdminKey)('POST', userPath('/outboxes/resume'), { outbox: 'sink' }),
    );
    await waitFor(() => sinkTexts(sink, workflowId).some((b) => b.join() === 'four,five'), { what: 'after resume' });

    progress('every-signal: a profile change of the display name, archive, reopen');
    await expectStatus(api('PUT', userPath(), { givenName: 'Janet' }));
    await waitOutboxesDrained(parley.client, workflowId);
    await expectStatus(api('POST', userPath('/archive')));
    await waitFor(() => slack.channel(channel)?.archived === true, { what: 'the channel archived' });
    await waitFor(() => receiver.events().some((d) => d.body.type === 'conversation:archived'));
    await waitOutboxesDrained(parley.client, workflowId);
    await say('back again');
    const fresh = await waitFor(
      async () => {
        const id = (await conversationState(parley.client, workflowId)).refs.slackChannelId;
        return id && id !== channel ? id : undefined;
      },
      { what: 'a fresh channel' },
    );
    await waitFor(() => slackTexts(fresh).includes('back again'));
    await waitOutboxesDrained(parley.client, workflowId);

    const runId = await quietRun(parley.client, workflowId);
    if (slack.specViolations.length > 0) throw new Error(`Slack spec violations: ${slack.specViolations.join('; ')}`);
    await keep({
      name: 'conversation-every-signal',
      scenario:
        'profileUpdate, userMessage; agentReply by Slack /sk and by signal (zendesk); the test sink answers 429 ' +
        'Retry-After 2 (hold, then one batch), then 403 (faulted) and resumeOutbox; profileUpdate renaming; ' +
        'archive; a reopening userMessage (fresh Slack channel). Outboxes: test sink, client webhook, Slack.',
      workflowId,
      runId,
    });
  } finally {
    await parley.stop();
    await receiver.close();
    await slack.close();
    await sink.close();
  }
}

/** A conversation that continues-as-new (at 20 events) in the middle of a rate-limit hold, and its next run. */
async function continued(keep: Keep): Promise<void> {
  const sink = await startTestSink();
  const key = testKey('replay');
  const appId = 'replay-can';
  const parley = await startTestParley({
    config: testConfig({ apps: [{ id: appId, name: 'Replay', apiKeys: [key], sink: { url: sink.url } }] }),
    continueAsNewAfterEvents: 20,
  });
  try {
    const api = apiClient(parley.apiUrl, key);
    const user = 'long-runner';
    const workflowId = conversationWorkflowId(appId, user);
    const say = async (text: string) => {
      const res = await api('POST', `/v1/apps/${appId}/users/${user}/messages`, { text, id: `replay-${text}` });
      if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(res.body)}`);
    };
    progress('continued: a held outbox, messages until continue-as-new');
    await api('PUT', `/v1/apps/${appId}/users/${user}`, { givenName: 'Lena' });
    sink.failNext({ status: 429, headers: { 'retry-after': '6' } });
    await say('c1');
    await waitFor(
      async () => (await conversationState(parley.client, workflowId)).outboxes.sink?.status === 'rate_limited',
    );
    for (let i = 2; i <= 8; i++) await say(`c${i}`);
    await waitFor(async () => (await runIdsOf(parley.client, workflowId)).length > 1, { what: 'continue-as-new' });
    await waitFor(() => sinkTexts(sink, workflowId).length === 1, { timeoutMs: 30_000, what: 'the held batch' });
    await say('c9');
    await waitFor(() => sinkTexts(sink, workflowId).flat().includes('c9'));
    await waitOutboxesDrained(parley.client, workflowId);

    // Visibility lists newest first; the chain is saved oldest first.
    const runs = (await runIdsOf(parley.client, workflowId)).reverse();
    for (const runId of runs) await waitQuiet(parley.client, workflowId, runId);
    const [first, second] = runs;
    if (!first || !second) throw new Error(`expected two runs, found ${runs.length}`);
    await keep({
      name: 'conversation-continued',
      scenario:
        'continueAsNewAfterEvents 20: profileUpdate, the test sink answers 429 Retry-After 6 on c1, c2…c8 arrive ' +
        'during the hold, the run drains and continues-as-new with the deadline carried.',
      workflowId,
      runId: first,
    });
    await keep({
      name: 'conversation-continued.run2',
      scenario:
        'The run after conversation-continued: starts with the carried state and held deadline, sends c1…c8 as ' +
        'one batch when it fires, then c9.',
      workflowId,
      runId: second,
    });
  } finally {
    await parley.stop();
    await sink.close();
  }
}

/**
 * The email stack: the inbox watcher (type `inbox`, activity `watchEmailInbox`, `watchInbox` before the rename) runs short IMAP sessions, one of them
 * relaying an agent's reply; the email conversation it replied to is saved too.
 */
async function inbox(keep: Keep): Promise<void> {
  const stack = await startEmailStack({ label: 'replay', email: { watchSessionMs: 3000 } });
  try {
    const { api, appId } = stack;
    const userPath = (userId: string, rest = '') => stack.userPath(userId, rest);
    const user = 'jane';
    const workflowId = conversationWorkflowId(appId, user);
    progress('inbox: a user message mailed to the team, an agent answers by mail');
    await api('PUT', userPath(user), { givenName: 'Jane', surname: 'Doe', email: 'jane@example.com' });
    await api('POST', userPath(user, '/messages'), { text: 'My order never came' });
    const [first] = await waitForNotifications(stack, user, 1);
    if (!first) throw new Error('no notification');
    const thread = emailThreadId(workflowId);
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [replyToOf(first)],
      gmailReply({
        from: '"Ana Agent" <agent@acme.com>',
        to: replyToOf(first),
        subject: `Re: ${first.parsed.subject}`,
        inReplyTo: first.parsed.messageId ?? '',
        references: `<parley.${thread}.thread@example.com> ${first.parsed.messageId}`,
        reply: 'Hi Jane, it ships tomorrow.\nAna',
        quoted: 'Jane Doe wrote:\nMy order never came',
      }),
    );
    await waitFor(() => stack.repliesFor(user).length === 1, { what: 'the reply at the client app' });
    // The session that relayed it has ended and handed its cursor back to the workflow, and the next one began.
    const inboxId = inboxWorkflowId(appId);
    const handle = stack.parley.client.workflow.getHandle(inboxId);
    await waitFor(async () => {
      const state = await handle.query(inboxQuery);
      return state.cursor.relayed >= 1 && state.sessions >= 2;
    });
    await waitOutboxesDrained(stack.parley.client, workflowId);
    const conversationRun = (await stack.parley.client.workflow.getHandle(workflowId).describe()).runId;
    await waitQuiet(stack.parley.client, workflowId, conversationRun);
    const inboxRun = (await handle.describe()).runId;
    // The watcher always has a session open: quiet means its last workflow task completed.
    await waitQuiet(stack.parley.client, inboxId, inboxRun, true);
    await keep({
      name: 'inbox',
      scenario:
        'The inbox watcher of an app with email: 3-second IMAP sessions (activity watchEmailInbox; watchInbox in histories recorded before the rename), one relaying an ' +
        "agent's reply to the conversation; recorded with the next session scheduled.",
      workflowId: inboxId,
      runId: inboxRun,
    });
    await keep({
      name: 'conversation-email',
      scenario:
        'profileUpdate, a userMessage mailed to the team (email outbox), the agent reply relayed by the inbox ' +
        'watcher and delivered to the client webhook.',
      workflowId,
      runId: conversationRun,
    });
  } finally {
    await stack.close();
  }
}

/**
 * Erasing users (the `eraseUser` update), with the test sink, a client webhook and Slack: one erased run that
 * completes with its report, and one that continues as a fresh conversation because a message came while the
 * sink's clean-up was retried; and that fresh run. The update is sent with the Temporal client, not the API, which
 * would delete the histories this saves.
 */
async function erase(keep: Keep): Promise<void> {
  const sink = await startTestSink();
  const slack = await startSlackEmulator();
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const receiver = await startWebhookReceiver(secret);
  const key = testKey('replay');
  const appId = 'replay-erase';
  const parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: appId,
          name: 'Replay',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          sink: { url: sink.url },
          slack: slackConfig(slack),
        },
      ],
    }),
  });
  try {
    slack.setParleyUrl(parley.apiUrl);
    const api = apiClient(parley.apiUrl, key);
    const expectStatus = async (res: Promise<{ status: number; body: unknown }>, status = 202) => {
      const r = await res;
      if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    };
    const say = (user: string, text: string) =>
      expectStatus(
        api('POST', `/v1/apps/${appId}/users/${user}/messages`, { text, id: `replay-${text.replace(/\W+/g, '-')}` }),
      );
    const eraseUser = (workflowId: string) =>
      parley.client.workflow
        .getHandle(workflowId)
        .executeUpdate(eraseUserUpdate, { args: [{ webhooks: [receiver.url] }] });

    progress('erase: a conversation with a profile, messages and a reply, erased');
    const jane = conversationWorkflowId(appId, 'jane');
    await expectStatus(api('PUT', `/v1/apps/${appId}/users/jane`, { givenName: 'Jane', email: 'jane@example.com' }));
    await say('jane', 'hello');
    await waitFor(async () => (await conversationState(parley.client, jane)).refs.slackChannelId, {
      what: 'the Slack channel',
    });
    await agentReply(parley.client, appId, 'jane', 'slack:1', 'Hi Jane', 'slack');
    await waitOutboxesDrained(parley.client, jane);
    const janeRun = (await parley.client.workflow.getHandle(jane).describe()).runId;
    await eraseUser(jane);
    await waitFor(() => receiver.events().some((d) => d.body.type === 'user:erased' && d.body.userId === 'jane'));
    await waitQuiet(parley.client, jane, janeRun);

    progress('erase: a message while the erasure waits for the sink, then the fresh conversation');
    const max = conversationWorkflowId(appId, 'max');
    await say('max', 'forget me');
    await waitOutboxesDrained(parley.client, max);
    const maxRun = (await parley.client.workflow.getHandle(max).describe()).runId;
    sink.failNext({ status: 503 }, 2);
    const erasing = eraseUser(max);
    await waitFor(async () => (await conversationState(parley.client, max)).erasure !== undefined);
    await say('max', 'one more thing');
    await erasing;
    const fresh = await waitFor(
      async () => {
        const runId = (await parley.client.workflow.getHandle(max).describe()).runId;
        return runId !== maxRun ? runId : undefined;
      },
      { what: 'the fresh run' },
    );
    await waitOutboxesDrained(parley.client, max);
    await waitQuiet(parley.client, max, maxRun);
    await waitQuiet(parley.client, max, fresh);
    if (slack.specViolations.length > 0) throw new Error(`Slack spec violations: ${slack.specViolations.join('; ')}`);
    await keep({
      name: 'conversation-erased',
      scenario:
        'profileUpdate, userMessage, agentReply (slack), then eraseUser: outboxes drained, Parley cleared, Slack and ' +
        'sink clean-ups, user:erased to the client webhook; the run completes with the report.',
      workflowId: jane,
      runId: janeRun,
    });
    await keep({
      name: 'conversation-erased-afresh',
      scenario:
        'userMessage, then eraseUser while the sink answers 503 twice to its DELETE; a userMessage arrives during the ' +
        'erasure and is carried: the run continues as new, a fresh conversation.',
      workflowId: max,
      runId: maxRun,
    });
    await keep({
      name: 'conversation-erased-afresh.run2',
      scenario: 'The fresh conversation after conversation-erased-afresh: starts with the carried message.',
      workflowId: max,
      runId: fresh,
    });
  } finally {
    await parley.stop();
    await receiver.close();
    await slack.close();
    await sink.close();
  }
}

/**
 * Bots and offline users (workflows/control.ts, receipts.ts): a conversation the bot controls (a user message and a
 * bot message kept, nothing relayed), the bot's handoff to the team (the sink gets the exchange), a user message
 * relayed, an agent reply the client app answers with `{"delivered": false}`, the fallback mail after 2 s (a timer
 * and `emailRepliesToUser`), a read receipt, a handoff back to the bot by the API, and an archive.
 */
async function handoff(keep: Keep): Promise<void> {
  const mail = await startTestMailServer([
    ...EMAIL_TEST_USERS,
    { login: 'jane', password: 'jane-pw', email: 'jane@example.com' },
  ]);
  const sink = await startTestSink();
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const receiver = await startWebhookReceiver(secret);
  receiver.answerWith((body) => (body.type === 'message:agent' ? { delivered: false } : undefined));
  const key = testKey('replay');
  const appId = 'replay-handoff';
  const port = await freePort();
  const parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      apps: [
        {
          id: appId,
          name: 'Replay',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          sink: { url: sink.url },
          email: {
            smtp: { host: mail.host, port: mail.smtpPort, user: 'parley', pass: 'parley-pw' },
            imap: { host: mail.host, port: mail.imapPort, user: 'support', pass: 'support-pw' },
            from: 'Replay Support <parley@example.com>',
            teamAddresses: ['team@example.com'],
            allowedSenders: ['@acme.com'],
            replyAddress: 'support@example.com',
          },
          control: { default: 'bot' },
          offline: { emailAfter: '2s', emailsVerified: true, linkUrl: 'https://app.example/messages' },
        },
      ],
    }),
  });
  try {
    const api = apiClient(parley.apiUrl, key);
    const user = 'jane';
    const workflowId = conversationWorkflowId(appId, user);
    const userPath = (rest = '') => `/v1/apps/${appId}/users/${user}${rest}`;
    const expectStatus = async (res: Promise<{ status: number; body: unknown }>, status = 202) => {
      const r = await res;
      if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    };
    const state = () => conversationState(parley.client, workflowId);
    progress('handoff: the bot in control, then its handoff to the team');
    await expectStatus(api('PUT', userPath(), { givenName: 'Jane', email: 'jane@example.com' }));
    await expectStatus(api('POST', userPath('/messages'), { text: 'my parcel?', id: 'replay-h1' }));
    await expectStatus(api('POST', userPath('/messages'), { text: 'Which order?', id: 'replay-h2', role: 'bot' }));
    await expectStatus(
      api('POST', userPath('/messages'), { text: 'A human will help.', id: 'replay-h3', role: 'bot', handoff: true }),
    );
    await waitFor(async () => (await state()).control?.current === 'team', { what: 'the team in control' });
    await expectStatus(api('POST', userPath('/messages'), { text: 'order 7', id: 'replay-h4' }));
    await waitFor(() => sinkTexts(sink, workflowId).flat().includes('order 7'), { what: 'the sink got order 7' });
    progress('handoff: an agent reply the app did not deliver, mailed after 2 s, then read');
    await agentReply(parley.client, appId, user, 'zendesk:replay-1', 'It ships tomorrow.', 'zendesk');
    await waitFor(async () => (await state()).receipts?.mailed === 1, { timeoutMs: 30_000, what: 'the fallback mail' });
    await expectStatus(
      api('POST', userPath(`/messages/${encodeURIComponent('zendesk:replay-1')}/receipt`), { status: 'read' }),
    );
    await waitFor(async () => (await state()).receipts?.statuses.some((s) => s.status === 'read'), { what: 'read' });
    progress('handoff: back to the bot, archive');
    await expectStatus(api('POST', userPath('/handoff'), { to: 'bot', reason: 'solved' }));
    await waitFor(() => receiver.events().some((d) => d.body.data.control?.to === 'bot'), { what: 'handoff webhook' });
    await expectStatus(api('POST', userPath('/archive')));
    await waitFor(() => receiver.events().some((d) => d.body.type === 'conversation:archived'));
    await waitOutboxesDrained(parley.client, workflowId);
    const runId = await quietRun(parley.client, workflowId);
    await keep({
      name: 'conversation-handoff',
      scenario:
        'control default bot: profileUpdate, a user message and a bot message kept (nothing relayed), a bot message ' +
        'with handoff (ParleyControl upserted, the sink gets the exchange, the webhook conversation:handoff), a user ' +
        'message relayed, an agent reply the app answers {delivered:false}, the fallback mail after 2 s (timer, ' +
        'emailRepliesToUser), a read receipt, handoff to the bot by the API, archive. Outboxes: sink, email, webhook.',
      workflowId,
      runId,
    });
  } finally {
    await parley.client.workflow
      .getHandle(inboxWorkflowId(appId))
      .terminate('recorded')
      .catch(() => undefined);
    await parley.stop();
    await receiver.close();
    await sink.close();
    await mail.stop();
  }
}

/**
 * Slack for teams (workflows/assignment.ts): a first message with metadata routed to #billing, a claim and an assign
 * from `/sk` (ParleyAssignee upserted, conversation:assigned to the webhook, the notice updated), a profile property
 * and a department change (conversation:routed to Slack only), a resolve (an archive after it) and the user's next
 * message reopening it.
 */
async function teams(keep: Keep): Promise<void> {
  const slack = await startSlackEmulator();
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  slack.addUser({ id: 'U0ANABILL', name: 'ana', realName: 'Ana Billing', email: 'ana@acme.example' });
  slack.addUser({ id: 'U0BENBILL', name: 'ben', realName: 'Ben Billing', email: 'ben@acme.example' });
  await new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl }).conversations.create({ name: 'billing' });
  const secret = `whsec_${randomBytes(16).toString('hex')}`;
  const receiver = await startWebhookReceiver(secret);
  const key = testKey('replay');
  const appId = 'replay-teams';
  const parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: appId,
          name: 'Replay',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            ...slackConfig(slack),
            routes: [
              { name: 'billing', when: { metadata: 'department', in: ['billing'] }, channel: 'billing' },
              { name: 'vip', when: { property: 'plan', equals: 'vip' }, channel: 'general' },
            ],
          },
        },
      ],
    }),
  });
  slack.setParleyUrl(parley.apiUrl);
  try {
    const api = apiClient(parley.apiUrl, key);
    const user = 'jane';
    const workflowId = conversationWorkflowId(appId, user);
    const userPath = (rest = '') => `/v1/apps/${appId}/users/${user}${rest}`;
    const expectStatus = async (res: Promise<{ status: number; body: unknown }>, status = 202) => {
      const r = await res;
      if (r.status !== status) throw new Error(`expected HTTP ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
    };
    const state = () => conversationState(parley.client, workflowId);
    progress('teams: routed by metadata, claimed, assigned');
    await expectStatus(
      api('POST', userPath('/messages'), {
        text: 'charged twice',
        id: 'replay-t1',
        metadata: { department: 'billing' },
      }),
    );
    const channel = await waitFor(
      async () => (await state()).refs.slackDispatchTs && (await state()).refs.slackChannelId,
      {
        what: 'the channel and its notice',
      },
    );
    await slack.sendSlashCommand({ userId: 'U0ANABILL', channelId: channel, text: '!claim' });
    await waitFor(async () => (await state()).assignment?.assignee?.id === 'U0ANABILL', { what: 'claimed' });
    await slack.sendSlashCommand({ userId: 'U0ANABILL', channelId: channel, text: '!assign <@U0BENBILL|ben>' });
    await waitFor(async () => (await state()).assignment?.assignee?.id === 'U0BENBILL', { what: 'assigned' });
    progress('teams: a profile property and a department change re-route');
    await expectStatus(api('PUT', userPath(), { givenName: 'Jane', properties: { plan: 'vip' } }));
    await expectStatus(api('PUT', userPath('/conversation'), { department: null }));
    await waitFor(async () => (await state()).refs.slackRoute === 'vip', { what: 'the vip route' });
    progress('teams: resolved, then reopened by the user');
    await slack.sendSlashCommand({ userId: 'U0INSTALL', channelId: channel, text: '!resolve' });
    await waitFor(async () => (await state()).status === 'archived', { what: 'resolved and archived' });
    await expectStatus(api('POST', userPath('/messages'), { text: 'still charged', id: 'replay-t2' }));
    await waitFor(async () => (await state()).assignment?.status === 'reopened', { what: 'reopened' });
    await waitOutboxesDrained(parley.client, workflowId).catch(async (err: unknown) => {
      progress(
        JSON.stringify(Object.values((await state()).outboxes).map((b) => [b.key, b.status, b.fault, b.queue.length])),
      );
      throw err;
    });
    const runId = await quietRun(parley.client, workflowId);
    await keep({
      name: 'conversation-teams',
      scenario:
        'Slack routes and assignment: a user message with metadata routed to #billing, assign signals (claim, assign: ' +
        'ParleyAssignee upserted, conversation:assigned to the webhook and Slack), a profile property change and a ' +
        'route signal (conversation:routed to Slack), a resolve (assigned + archive), a user message reopening it. ' +
        'Outboxes: slack, webhook.',
      workflowId,
      runId,
    });
  } finally {
    await parley.stop();
    await receiver.close();
    await slack.close();
  }
}

/**
 * A Slack workspace's installation (workflows/slack-installation.ts): an install by OAuth through the emulator's
 * authorize page, a few refreshes of 4-second tokens, a conversation's Slack outbox resumed by the install, the
 * refresh token revoked (needs_reinstall and the notice), and a reinstall that resumes the outboxes again.
 */
async function slackInstallationScenario(keep: Keep): Promise<void> {
  const clientId = `${Date.now()}.1`;
  const clientSecret = randomBytes(16).toString('hex');
  const slack = await startSlackEmulator({ oauth: { clientId, clientSecret, tokenLifetimeSeconds: 4 } });
  const key = testKey('replay');
  const parley = await startTestParley({
    config: testConfig({
      apps: [
        {
          id: 'replay',
          name: 'Replay',
          apiKeys: [key],
          slack: {
            clientId,
            clientSecret,
            signingSecret: slack.signingSecret,
            apiUrl: slack.apiUrl,
            oauthUrl: `${slack.url}/oauth/v2/authorize`,
          },
        },
      ],
    }),
  });
  try {
    const api = apiClient(parley.apiUrl, key);
    const workflowId = installationWorkflowId(slack.teamId);
    const state = () => parley.client.workflow.getHandle(workflowId).query(slackInstallationQuery);
    await installSlack(parley.apiUrl, 'replay', { bearer: testAdminKey });
    const sent = await api('POST', '/v1/apps/replay/users/jane/messages', { text: 'hello' });
    if (sent.status !== 202) throw new Error(`message answered ${sent.status}`);
    await waitFor(async () => (await state()).refreshes >= 2, { timeoutMs: 30_000, what: 'two refreshes' });
    slack.oauth?.revokeRefreshTokens();
    await waitFor(async () => (await state()).status === 'needs_reinstall', { what: 'needs_reinstall' });
    await installSlack(parley.apiUrl, 'replay', { bearer: testAdminKey });
    await waitFor(async () => (await state()).refreshes >= 3, { timeoutMs: 30_000, what: 'a refresh after reinstall' });
    const { runId } = await parley.client.workflow.getHandle(workflowId).describe();
    await waitQuiet(parley.client, workflowId, runId);
    await keep({
      name: 'slack-installation',
      scenario:
        'A Slack installation: installed by OAuth, 4-second tokens refreshed, outboxes resumed, refresh token revoked ' +
        '(needs_reinstall, notice), reinstalled, refreshed again.',
      workflowId,
      runId,
    });
  } finally {
    await parley.stop();
    await slack.close();
  }
}

/**
 * A vendor slow, then fast again (activities/local-sends.ts): the first send runs locally; while the sink takes
 * 700 ms the local attempts are declined (a failed marker) and the regular activity sends; once it answers at once,
 * one more regular send brings the average down and the local attempts come back.
 */
async function slowSend(keep: Keep): Promise<void> {
  const sink = await startTestSink();
  const key = testKey('replay');
  const appId = 'replay-slow';
  const parley = await startTestParley({
    config: testConfig({
      apps: [{ id: appId, name: 'Replay', apiKeys: [key], sink: { url: sink.url, policy: { batchWindowMs: 0 } } }],
    }),
  });
  try {
    const api = apiClient(parley.apiUrl, key);
    const user = 'slow-vendor';
    const workflowId = conversationWorkflowId(appId, user);
    let sent = 0;
    const say = async (text: string) => {
      const res = await api('POST', `/v1/apps/${appId}/users/${user}/messages`, { text, id: `replay-${text}` });
      if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(res.body)}`);
      sent += 1;
      await waitFor(() => sink.items(workflowId).length === sent, { what: `${text} at the sink` });
    };
    progress('slow-send: a sink taking 700 ms, then answering at once');
    sink.setLatency(700);
    for (const text of ['s1', 's2', 's3']) await say(text);
    sink.setLatency(0);
    for (const text of ['s4', 's5', 's6']) await say(text);
    await waitOutboxesDrained(parley.client, workflowId);
    const runId = await quietRun(parley.client, workflowId);
    await keep({
      name: 'conversation-slow-send',
      scenario:
        'The test sink takes 700 ms for s1…s3 (s1 local; s2, s3 declined locally as slow and sent by the regular ' +
        'activity), then answers at once for s4…s6 (s4 regular, s5 and s6 local again).',
      workflowId,
      runId,
    });
  } finally {
    await parley.stop();
    await sink.close();
  }
}

const SCENARIOS: Record<string, Scenario> = {
  'slack-installation': { names: ['slack-installation'], run: slackInstallationScenario },
  'every-signal': { names: ['conversation-every-signal'], run: everySignal },
  continued: { names: ['conversation-continued', 'conversation-continued.run2'], run: continued },
  inbox: { names: ['inbox', 'conversation-email'], run: inbox },
  erase: {
    names: ['conversation-erased', 'conversation-erased-afresh', 'conversation-erased-afresh.run2'],
    run: erase,
  },
  handoff: { names: ['conversation-handoff'], run: handoff },
  teams: { names: ['conversation-teams'], run: teams },
  'slow-send': { names: ['conversation-slow-send'], run: slowSend },
};

function recordedFrom(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short=12', 'HEAD');
  return git('status', '--porcelain', '--', 'workflows') ? `${commit}+dirty` : commit;
}

async function save(client: Client, recording: Recording, file: string, from: string): Promise<number> {
  const history = await client.workflow.getHandle(recording.workflowId, recording.runId).fetchHistory();
  const { events } = JSON.parse(historyToJSON(history)) as { events: unknown[] };
  const doc: HistoryFile = {
    workflowId: recording.workflowId,
    runId: recording.runId,
    scenario: recording.scenario,
    recordedFrom: from,
    events,
  };
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  fs.writeFileSync(file, await prettier.format(JSON.stringify(doc), options));
  return events.length;
}

function parseArgs(argv: string[]): { names: string[]; tag?: string; overwrite: boolean } {
  const names: string[] = [];
  let tag: string | undefined;
  let overwrite = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--overwrite') overwrite = true;
    else if (arg === '--tag') tag = argv[++i];
    else if (Object.hasOwn(SCENARIOS, arg)) names.push(arg);
    else throw new Error(`unknown argument "${arg}" (scenarios: ${Object.keys(SCENARIOS).join(', ')})`);
  }
  if (tag !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(tag)) throw new Error('--tag takes a name like v2');
  return { names: names.length > 0 ? names : Object.keys(SCENARIOS), ...(tag ? { tag } : {}), overwrite };
}

async function main(): Promise<void> {
  const { names, tag, overwrite } = parseArgs(process.argv.slice(2));
  const fileOf = (name: string) => path.join(HISTORIES_DIR, `${name}${tag ? `.${tag}` : ''}.json`);
  const scenarios = names.map((name) => SCENARIOS[name] as Scenario);
  for (const file of scenarios.flatMap((s) => s.names).map(fileOf))
    if (fs.existsSync(file) && !overwrite)
      throw new Error(`${path.relative(process.cwd(), file)} exists: pass --tag <name> (or --overwrite)`);
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  const from = recordedFrom();
  if (from.endsWith('+dirty')) progress('note: workflows/ has uncommitted changes; the files will say so');

  const cli = await findOrInstallTemporalCli(path.resolve('.parley'), log);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-histories-'));
  const server = await startDevServer({
    cli,
    home: runDir,
    port: await freePort(),
    uiPort: await freePort(),
    persist: false,
    log,
  });
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    // The helpers in test/helpers find the server and the bundle (today's workflows/) as they do under jest.
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const bundlePath = path.join(runDir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, bundle.code);
    process.env.PARLEY_TEST_TEMPORAL_ADDRESS = server.address;
    process.env.PARLEY_TEST_WORKFLOW_BUNDLE = bundlePath;

    for (const scenario of scenarios) {
      await scenario.run(async (recording) => {
        const file = fileOf(recording.name);
        const events = await save(client, recording, file, from);
        progress(`saved ${path.relative(process.cwd(), file)}: ${events} events (${recording.workflowId})`);
      });
    }
  } finally {
    await connection?.close();
    await server.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    // Whatever a helper left open (a keep-alive socket, the SDK's native runtime) must not keep a finished run alive.
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`record-histories: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
