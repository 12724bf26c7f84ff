/**
 * Bots and offline users end to end (issue 23): the real API and worker on the run's dev server, the Slack, Zendesk
 * and Help Scout emulators, a real GreenMail (the team's notifications, the users' fallback mails, their answers and
 * bounces through the inbox) and a client app's webhook that can say `{"delivered": false}`.
 */
import { randomBytes } from 'node:crypto';
import { conversationWorkflowId, inboxWorkflowId } from '../common/ids';
import { ParleyControl } from '../workflows/definitions';
import { agentReply, conversationState } from './helpers/agent';
import { EMAIL_TEST_USERS, gmailReply } from './helpers/email-stack';
import {
  fetchMails,
  rawMail,
  sendRawMail,
  startTestMailServer,
  type FetchedMail,
  type MailServer,
  type MailAccount,
} from './helpers/mail';
import { apiClient, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const APP = `bot-${randomBytes(3).toString('hex')}`;
const PLAIN = `unverified-${randomBytes(3).toString('hex')}`;
const AGENT = 'U0AGENTANA';
const EMAIL_AFTER_MS = 3000;
const key = testKey('handoff');
const plainKey = testKey('plain');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
const USERS = ['jane', 'kim', 'lee', 'uma'].map((login) => ({
  login,
  password: `${login}-pw`,
  email: `${login}@example.com`,
}));

let mail: MailServer;
let slack: SlackEmulator;
let zd: ZendeskEmulator;
let hs: HelpScoutEmulator;
let receiver: WebhookReceiver;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;

const mailbox = (login: string, port = mail.imapPort): MailAccount => ({
  host: mail.host,
  port,
  user: login,
  pass: `${login}-pw`,
});

beforeAll(async () => {
  mail = await startTestMailServer([...EMAIL_TEST_USERS, ...USERS]);
  slack = await startSlackEmulator();
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@acme.example' });
  slack.addUser({ id: AGENT, name: 'ana', realName: 'Ana Agent', email: 'ana@acme.example' });
  zd = await startZendeskEmulator({ ticketUpdateLimit: { max: 1000, windowMs: 600_000 } });
  hs = await startHelpScoutEmulator({ mailboxes: [{ name: 'Support' }] });
  receiver = await startWebhookReceiver(secret);
  const port = await freePort();
  const email = (inbox: string) => ({
    smtp: { host: mail.host, port: mail.smtpPort, user: 'parley', pass: 'parley-pw' },
    imap: { host: mail.host, port: mail.imapPort, user: inbox, pass: `${inbox}-pw` },
    from: 'Acme Support <parley@example.com>',
    teamAddresses: ['team@example.com'],
    allowedSenders: ['@acme.com'],
    replyAddress: `${inbox}@example.com`,
  });
  parley = await startTestParley({
    port,
    config: testConfig({
      server: { publicUrl: `http://127.0.0.1:${port}` },
      apps: [
        {
          id: APP,
          name: 'Acme',
          apiKeys: [key],
          webhooks: [{ url: receiver.url, secret }],
          slack: {
            botToken: slack.botToken,
            signingSecret: slack.signingSecret,
            installerUserId: 'U0INSTALL',
            apiUrl: slack.apiUrl,
          },
          zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
          helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 'Support', apiUrl: hs.apiUrl },
          email: email('support'),
          control: { default: 'bot' },
          offline: {
            emailAfter: `${EMAIL_AFTER_MS / 1000}s`,
            emailsVerified: true,
            from: 'Acme Help <hello@acme.example>',
            linkUrl: 'https://app.acme.example/messages',
          },
        },
        {
          // The same offline mail, but the app does not vouch for its users' emails.
          id: PLAIN,
          name: 'Plain',
          apiKeys: [plainKey],
          webhooks: [{ url: receiver.url, secret }],
          email: email('parley'),
          offline: { emailAfter: '1s' },
        },
      ],
    }),
  });
  slack.setParleyUrl(parley.apiUrl);
  api = apiClient(parley.apiUrl, key);
});

afterAll(async () => {
  for (const app of [APP, PLAIN])
    await parley?.client.workflow
      .getHandle(inboxWorkflowId(app))
      .terminate('test over')
      .catch(() => undefined);
  await parley?.stop();
  await receiver?.close();
  await hs?.close();
  await zd?.close();
  await slack?.close();
  await mail?.stop();
});

afterEach(() => {
  expect(slack.specViolations).toEqual([]);
  expect(slack.markupViolations).toEqual([]);
  expect(zd.warnings).toEqual([]);
});

const userPath = (user: string, rest = '', app = APP) => `/v1/apps/${app}/users/${encodeURIComponent(user)}${rest}`;

async function post(user: string, body: Record<string, unknown>): Promise<void> {
  const res = await api('POST', userPath(user, '/messages'), body);
  expect(res.status).toBe(202);
}

async function profile(user: string, givenName: string): Promise<void> {
  expect((await api('PUT', userPath(user), { givenName, email: `${user}@example.com` })).status).toBe(202);
}

/** Every outbox of the user's conversation has sent what it had. */
async function settled(user: string, app = APP) {
  return waitFor(
    async () => {
      const state = await conversationState(parley.client, app, user);
      const boxes = Object.values(state.outboxes);
      return boxes.length > 0 && boxes.every((b) => b.queue.length === 0 && b.status === 'idle') ? state : undefined;
    },
    { timeoutMs: 30_000, what: `${user}'s outboxes settled` },
  );
}

const channelOf = (user: string) =>
  waitFor(async () => (await conversationState(parley.client, APP, user)).refs.slackChannelId, {
    what: `${user}'s Slack channel`,
  });
const texts = (channel: string) => slack.messages(channel).map((m) => m.text);
const mailsOf = (login: string) => fetchMails(mailbox(login));

/** The conversation as the API shows it. */
const conversation = async (user: string, app = APP) =>
  (await apiClient(parley.apiUrl, app === APP ? key : plainKey)('GET', userPath(user, '/conversation', app))).body;

async function sk(channel: string, text: string): Promise<void> {
  const res = await slack.sendSlashCommand({ userId: AGENT, channelId: channel, text });
  expect(res.status).toBe(200);
}

/** Waits until `ms` have passed since `since`, polling the conversation meanwhile (it must stay as `check` says). */
async function holdsFor(since: number, ms: number, check: () => Promise<boolean>): Promise<void> {
  await waitFor(async () => (await check()) && Date.now() > since + ms, {
    timeoutMs: ms + 30_000,
    intervalMs: 250,
    what: `the state to hold for ${ms} ms`,
  });
}

describe('a conversation the bot controls', () => {
  const user = 'bob';
  const workflowId = conversationWorkflowId(APP, user);

  it('keeps both sides in the conversation and posts nothing to any integration', async () => {
    expect((await api('PUT', userPath(user), { givenName: 'Bob', email: 'bob@example.com' })).status).toBe(202);
    await post(user, { text: 'I need help with my bill' });
    await post(user, { text: 'Sure: what is your invoice number?', role: 'bot' });
    await post(user, { text: 'INV-42' });
    const list = await waitFor(
      async () => {
        const r = await api('GET', userPath(user, '/messages'));
        return r.body.messages?.length === 3 ? r.body : undefined;
      },
      { what: 'three messages' },
    );
    expect(list.control).toBe('bot');
    expect(list.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'bot', 'user']);
    const summary = await conversation(user);
    expect(summary.control).toMatchObject({ current: 'bot', default: 'bot' });

    const state = await settled(user);
    for (const box of Object.values(state.outboxes)) if (!box.key.startsWith('webhook:')) expect(box.delivered).toBe(0);
    expect(slack.channels().filter((c) => c.name.startsWith('sk-'))).toEqual([]);
    expect(zd.tickets().filter((t) => t.external_id === workflowId)).toEqual([]);
    expect(zd.users().filter((u) => u.name === 'Bob')).toEqual([]);
    expect(hs.conversations()).toEqual([]);
    expect((await fetchMails(mailbox('team'))).filter((m) => m.parsed.text?.includes(`User id: ${user}`))).toEqual([]);
    // The bot's message is the app's own: no webhook echoes it.
    expect(receiver.events().filter((d) => d.body.userId === user)).toEqual([]);
  });

  it('a bot message with handoff opens the Slack channel, the ticket, the Help Scout conversation and the mail thread with the bot exchange', async () => {
    await post(user, { text: 'Let me get you a human.', role: 'bot', handoff: { reason: 'billing dispute' } });
    const state = await waitFor(
      async () => {
        const s = await conversationState(parley.client, APP, user);
        const refs = ['slackChannelId', 'zendeskTicketId', 'helpscoutConversationId', 'emailThread'];
        return refs.every((r) => s.refs[r]) ? s : undefined;
      },
      { timeoutMs: 40_000, what: 'every integration opened its side' },
    );
    expect(state.control?.current).toBe('team');
    const channel = state.refs.slackChannelId as string;
    const posted = texts(channel).join('\n');
    expect(posted).toContain('I need help with my bill');
    expect(posted).toContain('*Bot*: Sure: what is your invoice number?');
    expect(posted).toContain('The bot handed this conversation to the team');
    expect(posted).toContain('billing dispute');
    const notice = slack.messages(channel).find((m) => m.text.includes('handed this conversation to the team'));
    expect(JSON.stringify(notice?.blocks)).toContain('parley_handback');
    const dispatch = slack.channelByName('general');
    expect(dispatch && texts(dispatch.id).some((t) => t.includes('New conversation with *Bob*'))).toBe(true);

    const ticket = zd.ticket(Number(state.refs.zendeskTicketId));
    expect(ticket?.comments[0]?.body).toContain('Bot: Sure: what is your invoice number?');
    expect(ticket?.comments[0]?.body).toContain('INV-42');

    const hsConversation = hs.conversation(Number(state.refs.helpscoutConversationId));
    const notes = JSON.stringify(hsConversation?.threads);
    expect(notes).toContain('Sure: what is your invoice number?');
    expect(notes).toContain('billing dispute');

    const teamMail = await waitFor(async () =>
      (await fetchMails(mailbox('team'))).find((m) => m.parsed.text?.includes(`User id: ${user}`)),
    );
    expect(teamMail.parsed.text).toContain('Bot: Sure: what is your invoice number?');

    await waitFor(() =>
      receiver
        .events()
        .some(
          (d) =>
            d.body.userId === user &&
            d.body.type === 'conversation:handoff' &&
            d.body.data.control?.to === 'team' &&
            d.body.data.control.source === 'bot' &&
            d.body.data.control.reason === 'billing dispute',
        ),
    );
    expect((await conversation(user)).control.current).toBe('team');

    // From now on every message goes to the team.
    await post(user, { text: 'Are you there?' });
    await waitFor(() => texts(channel).includes('Are you there?'), { what: 'the next message in Slack' });
  });

  it('the team hands it back to the bot from Slack, and the team hears nothing more', async () => {
    const channel = await channelOf(user);
    const click = await slack.sendBlockAction({
      userId: AGENT,
      channelId: channel,
      actionId: 'parley_handback',
      value: channel,
    });
    expect(click.status).toBe(200);
    await waitFor(
      () =>
        receiver
          .events()
          .some(
            (d) =>
              d.body.userId === user &&
              d.body.type === 'conversation:handoff' &&
              d.body.data.control?.to === 'bot' &&
              d.body.data.control.by === 'Ana Agent',
          ),
      { what: 'conversation:handoff to the bot' },
    );
    expect((await conversation(user)).control.current).toBe('bot');
    await waitFor(() => texts(channel).some((t) => t.includes('Ana Agent handed this conversation back to the bot')));
    const before = (await settled(user)).outboxes.slack?.delivered;
    await post(user, { text: 'ok, thanks bot' });
    await waitFor(
      async () => (await api('GET', userPath(user, '/messages'))).body.messages.at(-1)?.text === 'ok, thanks bot',
    );
    const after = await settled(user);
    expect(after.outboxes.slack?.delivered).toBe(before);
    expect(texts(channel)).not.toContain('ok, thanks bot');

    // `/sk !bot` on a conversation the bot already has changes nothing; the API hands it to the team again.
    expect((await api('POST', userPath(user, '/handoff'), { to: 'team', reason: 'again' })).status).toBe(202);
    await waitFor(() => texts(channel).some((t) => t.includes('The app handed this conversation to the team')));
    await sk(channel, '!bot');
    await waitFor(async () => (await conversation(user)).control.current === 'bot');
  });

  it('archive returns control to the app default', async () => {
    expect((await api('POST', userPath(user, '/handoff'), { to: 'team' })).status).toBe(202);
    await waitFor(async () => (await conversation(user)).control.current === 'team');
    expect((await api('POST', userPath(user, '/archive'))).status).toBe(202);
    await waitFor(async () => (await conversation(user)).control.current === 'bot');
  });

  it('the app hands it back to the bot: the team is told, the app hears it, ParleyControl says bot', async () => {
    expect((await api('POST', userPath(user, '/handoff'), { to: 'team' })).status).toBe(202);
    await waitFor(async () => (await conversation(user)).control.current === 'team');
    await post(user, { text: 'back with the team' });
    // The conversation was archived: the message opens a fresh channel, which the refs name once it is posted.
    const channel = await waitFor(
      async () => {
        const id = (await conversationState(parley.client, APP, user)).refs.slackChannelId;
        return id && texts(id).includes('back with the team') ? id : undefined;
      },
      { what: 'the message in Slack' },
    );
    const res = await api('POST', userPath(user, '/handoff'), { to: 'bot', reason: 'the bot can answer this' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ conversationId: workflowId, control: 'bot' });
    await waitFor(() => texts(channel).some((t) => t.includes('The app handed this conversation back to the bot')), {
      what: 'the line in Slack',
    });
    await waitFor(
      () =>
        receiver
          .events()
          .some(
            (d) =>
              d.body.userId === user &&
              d.body.type === 'conversation:handoff' &&
              d.body.data.control?.to === 'bot' &&
              d.body.data.control.source === 'api' &&
              d.body.data.control.reason === 'the bot can answer this',
          ),
      { what: 'conversation:handoff to the bot' },
    );
    await waitFor(
      async () =>
        (await parley.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(ParleyControl) ===
        'bot',
      { what: 'ParleyControl = bot' },
    );
  });

  it('refuses a handoff on a user message and a bad target', async () => {
    const bad = await api('POST', userPath(user, '/messages'), { text: 'hi', handoff: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    const wrong = await api('POST', userPath(user, '/handoff'), { to: 'robot' });
    expect(wrong.status).toBe(400);
    expect((await api('POST', userPath('nobody-here', '/handoff'), { to: 'team' })).status).toBe(404);
  });
});

/** A user with a verified email, handed to the team, whose app says the agent's replies did not reach them. */
async function offlineUser(user: string, name: string): Promise<string> {
  await profile(user, name);
  await post(user, { text: `Hello, ${name} here` });
  expect((await api('POST', userPath(user, '/handoff'), { to: 'team' })).status).toBe(202);
  return channelOf(user);
}

/** A header as the mail carries it, unfolded (mailparser makes objects of some). */
function headerOf(m: FetchedMail | undefined, name: string): string {
  const head = (m?.raw.toString('utf8') ?? '').split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, ' ') ?? '';
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

const fallbackMails = async (login: string): Promise<FetchedMail[]> =>
  (await mailsOf(login)).filter((m) => m.parsed.subject?.includes('Your conversation with Acme'));

describe('an offline user', () => {
  beforeAll(() => {
    receiver.answerWith((body) =>
      body.type === 'message:agent' && ['jane', 'lee'].includes(body.userId) ? { delivered: false } : undefined,
    );
  });

  it("gets the agent's replies by mail once, after the delay, and answers by mail; the team sees how it went", async () => {
    const user = 'jane';
    const channel = await offlineUser(user, 'Jane');
    await slack.userPostsInChannel(channel, AGENT, 'internal: she is a VIP, be quick');
    const start = Date.now();
    await sk(channel, 'It ships tomorrow.');
    await sk(channel, 'Tracking number: ABC123.');
    await waitFor(
      async () =>
        (await conversationState(parley.client, APP, user)).receipts?.statuses.filter((s) => s.status === 'undelivered')
          .length === 2,
      { what: 'the app said delivered: false twice' },
    );

    const [mailed] = await waitFor(
      async () => {
        const mails = await fallbackMails(user);
        return mails.length > 0 ? mails : undefined;
      },
      { timeoutMs: 30_000, what: 'the fallback mail' },
    );
    expect(Date.now() - start).toBeGreaterThanOrEqual(EMAIL_AFTER_MS);
    const body = mailed?.parsed.text ?? '';
    expect(mailed?.parsed.from?.value[0]?.address).toBe('hello@acme.example');
    expect(body).toContain('It ships tomorrow.');
    expect(body).toContain('Tracking number: ABC123.');
    expect(body).toContain('Ana Agent (Acme)');
    expect(body).toContain('https://app.acme.example/messages');
    expect(body).not.toContain('VIP');
    expect(mailed?.parsed.html || '').not.toContain('VIP');
    const unsubscribe = headerOf(mailed, 'List-Unsubscribe');
    expect(unsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/offline\/unsubscribe\?token=[^>]+>$/);
    expect(headerOf(mailed, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const replyTo = mailed?.parsed.replyTo?.value[0]?.address ?? '';
    expect(replyTo).toMatch(/^support\+u[a-z2-7]{29}@example\.com$/);

    await waitFor(() => texts(channel).some((t) => /✉ Emailed 2 replies to the user at \d\d:\d\d UTC/.test(t)), {
      what: 'the status in Slack',
    });
    // The ticket is read at each poll: Zendesk batches for 5 s, so it may not exist yet when Slack has the status.
    await waitFor(
      async () => {
        const id = Number((await conversationState(parley.client, APP, user)).refs.zendeskTicketId);
        return zd
          .ticket(id)
          ?.comments.some((c) => !c.public && /✉ Emailed 2 replies to the user at \d\d:\d\d UTC/.test(c.body));
      },
      { what: 'the internal note in Zendesk', timeoutMs: 60_000 },
    );
    const summary = await conversation(user);
    expect(summary.offline).toMatchObject({ pending: 0, mailed: 1 });
    // One mail for the burst, none more later.
    await holdsFor(Date.now(), EMAIL_AFTER_MS, async () => (await fallbackMails(user)).length === 1);

    // Jane answers the mail: her message reaches the team, and the app hears of it.
    await sendRawMail(
      mailbox(user, mail.smtpPort),
      'jane@example.com',
      [replyTo],
      gmailReply({
        from: '"Jane" <jane@example.com>',
        to: replyTo,
        subject: `Re: ${mailed?.parsed.subject ?? ''}`,
        inReplyTo: mailed?.parsed.messageId ?? '',
        references: mailed?.parsed.messageId ?? '',
        reply: 'Great, thank you!',
        quoted: 'It ships tomorrow.',
      }),
    );
    await waitFor(() => texts(channel).includes('Great, thank you!'), {
      timeoutMs: 30_000,
      what: 'her answer in Slack',
    });
    await waitFor(() =>
      receiver
        .events()
        .some(
          (d) =>
            d.body.userId === user &&
            d.body.type === 'message:user' &&
            d.body.data.message?.text === 'Great, thank you!',
        ),
    );

    // Later the app reports a read: the team sees it.
    const firstReply = (await api('GET', userPath(user, '/messages'))).body.messages.find(
      (m: { text: string }) => m.text === 'It ships tomorrow.',
    );
    const receipt = await api('POST', userPath(user, `/messages/${encodeURIComponent(firstReply.id)}/receipt`), {
      status: 'read',
    });
    expect(receipt.status).toBe(202);
    await waitFor(() =>
      texts(channel).some((t) => t.includes('✓ Read by the user at') && t.includes('It ships tomorrow.')),
    );
  });

  it('a read receipt before the delay sends no mail', async () => {
    const user = 'kim';
    const channel = await offlineUser(user, 'Kim');
    const start = Date.now();
    await sk(channel, 'Hi Kim, your refund is done.');
    const delivered = await waitFor(() =>
      receiver.events().find((d) => d.body.userId === user && d.body.type === 'message:agent'),
    );
    const id = delivered.body.data.message?.id ?? '';
    expect(
      (await api('POST', userPath(user, `/messages/${encodeURIComponent(id)}/receipt`), { status: 'read' })).status,
    ).toBe(202);
    await waitFor(() => texts(channel).some((t) => t.includes('✓ Read by the user')));
    await holdsFor(start, EMAIL_AFTER_MS + 2000, async () => (await conversation(user)).offline?.mailed === 0);
    expect((await conversation(user)).offline).toMatchObject({ pending: 0, mailed: 0 });
    expect(await mailsOf(user)).toEqual([]);
  });

  it('a bounce stops further mail to the address; the unsubscribe link answers for its user only', async () => {
    const user = 'lee';
    const channel = await offlineUser(user, 'Lee');
    await sk(channel, 'First answer for Lee.');
    const [first] = await waitFor(
      async () => {
        const mails = await fallbackMails(user);
        return mails.length > 0 ? mails : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const header = first?.headers.get('return-path') as
      { text?: string; value?: { address?: string }[] } | string | undefined;
    const returnPath = (
      typeof header === 'string' ? header : (header?.value?.[0]?.address ?? header?.text ?? '')
    ).replace(/[<>\s]/g, '');
    expect(returnPath).toMatch(/^support\+b[a-z2-7]{29}@example\.com$/);
    const boundary = `dsn_${randomBytes(4).toString('hex')}`;
    const dsn = rawMail({
      from: 'Mail Delivery System <MAILER-DAEMON@example.com>',
      to: returnPath,
      subject: 'Undelivered Mail Returned to Sender',
      headers: {
        'Content-Type': `multipart/report; report-type=delivery-status; boundary="${boundary}"`,
        'Auto-Submitted': 'auto-replied',
      },
      text: [
        `--${boundary}`,
        'Content-Type: text/plain',
        '',
        'Your message could not be delivered.',
        `--${boundary}`,
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.com',
        '',
        'Final-Recipient: rfc822; lee@example.com',
        'Action: failed',
        'Status: 5.1.1',
        `--${boundary}--`,
      ].join('\n'),
    });
    await sendRawMail(mailbox('agent', mail.smtpPort), 'MAILER-DAEMON@example.com', [returnPath], dsn);
    await waitFor(
      async () =>
        (await conversation(user)).offline?.stopped?.some(
          (s: { address: string; reason: string }) => s.address === 'lee@example.com' && s.reason === 'bounced',
        ),
      {
        timeoutMs: 30_000,
        what: 'the bounce taken',
      },
    );
    await waitFor(() => texts(channel).some((t) => t.includes('bounced')));
    const start = Date.now();
    await sk(channel, 'Second answer for Lee.');
    await holdsFor(start, EMAIL_AFTER_MS + 2000, async () => (await fallbackMails(user)).length === 1);
    expect((await conversation(user)).offline.mailed).toBe(1);

    // The unsubscribe link: a page on GET, the stop on POST; a tampered token is refused.
    const link = /<([^>]+)>/.exec(headerOf(first, 'List-Unsubscribe'))?.[1] ?? '';
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lee@example.com');
    const tampered = await fetch(
      // A character inside the token (its last one may carry only base64's unused bits, and decode the same).
      link.replace(/(token=.{10})(.)/, (_m, head: string, c: string) => head + (c === 'A' ? 'B' : 'A')),
      { method: 'POST' },
    );
    expect(tampered.status).toBe(400);
    const done = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(done.status).toBe(200);
  });

  it('an app that does not vouch for its users’ emails: no mail', async () => {
    const user = 'uma';
    const plain = apiClient(parley.apiUrl, plainKey);
    expect((await plain('PUT', userPath(user, '', PLAIN), { givenName: 'Uma', email: 'uma@example.com' })).status).toBe(
      202,
    );
    expect((await plain('POST', userPath(user, '/messages', PLAIN), { text: 'Anyone?' })).status).toBe(202);
    await settled(user, PLAIN);
    const start = Date.now();
    await agentReply(parley.client, PLAIN, user, 'zendesk:9001', 'We are on it, Uma.', 'zendesk');
    await holdsFor(
      start,
      3000,
      async () => (await conversationState(parley.client, PLAIN, user)).receipts?.mailed === 0,
    );
    expect(await mailsOf(user)).toEqual([]);
  });
});
