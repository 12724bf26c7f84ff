/**
 * The App Home, pure (integrations/slack/home.ts): the lists newest first and bounded, the waiting time as people
 * say it, every user-controlled text escaped, channel links only to real channel ids, within Slack's 100 blocks; and
 * the "Send to user" shortcut and app_home_opened as Slack sends them (integrations/slack/inbound.ts).
 */
import {
  conversationSummary,
  type ConversationMessage,
  type ConversationSummary,
} from '../../../../common/conversation';
import {
  agentHomeView,
  conversationBlock,
  HOME_LIST_MAX,
  HOME_MAX_BLOCKS,
  newestFirst,
  notAgentHomeView,
  waitingText,
} from '../../../../integrations/slack/home';
import {
  decideEvent,
  decideInteraction,
  eventEnvelopeSchema,
  interactionSchema,
  SEND_TO_USER_CALLBACK,
  slackMessageText,
} from '../../../../integrations/slack/inbound';

const NOW = Date.parse('2026-12-02T10:00:00Z');
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

function summary(over: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    userId: 'u1',
    userLabel: 'Jane Doe',
    status: 'active',
    route: 'billing',
    slackChannelId: 'C0JANE',
    lastMessage: { role: 'user', text: 'Hello', at: minutesAgo(12) },
    waitingSince: minutesAgo(12),
    ...over,
  };
}

function textOf(block: unknown): string {
  return (block as { text: { text: string } }).text.text;
}

describe('waitingText', () => {
  it.each([
    [0, 'waiting under a minute'],
    [12, 'waiting 12 min'],
    [60, 'waiting 1 h'],
    [185, 'waiting 3 h 5 min'],
    [60 * 24 * 2 + 7, 'waiting 2 d'],
  ])('%d minutes: %s', (minutes, text) => {
    expect(waitingText(minutesAgo(minutes), NOW)).toBe(text);
  });

  it('a clock behind or a bad date says no number', () => {
    expect(waitingText(new Date(NOW + 60_000).toISOString(), NOW)).toBe('waiting under a minute');
    expect(waitingText('not a date', NOW)).toBe('waiting');
  });
});

describe('a conversation on the Home', () => {
  it('names the user, how long they wait, the route, the channel, and quotes the last message', () => {
    const text = textOf(conversationBlock(summary(), NOW, true));
    expect(text).toBe('*Jane Doe* · :hourglass: waiting 12 min · route billing · <#C0JANE>\n>*Jane Doe:* Hello');
  });

  it('escapes what users, agents and the config control, and links only real channel ids', () => {
    const text = textOf(
      conversationBlock(
        summary({
          userLabel: '<!channel> Eve',
          route: '<@U0BOSS>',
          slackChannelId: 'C0|evil>',
          lastMessage: {
            role: 'agent',
            text: 'See <https://evil.example|acme.com>\nand &',
            at: minutesAgo(1),
            agentName: 'Ana <!here>',
          },
        }),
        NOW,
        true,
      ),
    );
    expect(text).not.toMatch(/<[!@#h]/);
    expect(text).toContain('*&lt;!channel&gt; Eve*');
    expect(text).toContain('route &lt;@U0BOSS&gt;');
    expect(text).not.toContain('C0|evil');
    expect(text).toContain('>*Ana &lt;!here&gt;:* See &lt;https://evil.example|acme.com&gt;\n>and &amp;');
  });

  it('an answered conversation says so; a bot’s last message is the bot’s', () => {
    const text = textOf(
      conversationBlock(
        summary({ waitingSince: undefined, lastMessage: { role: 'bot', text: 'Hi!', at: minutesAgo(3) } }),
        NOW,
        false,
      ),
    );
    expect(text).toBe('*Jane Doe* · answered · <#C0JANE>\n>*Bot:* Hi!');
  });
});

describe('the Home view', () => {
  it('a header, Claimed by you, then Unclaimed on your routes, newest first', () => {
    const view = agentHomeView({
      appName: 'Acme',
      claimed: [
        summary({ userLabel: 'Old', lastMessage: { role: 'user', text: 'a', at: minutesAgo(30) } }),
        summary({ userLabel: 'New' }),
      ],
      unclaimed: [],
      now: NOW,
    });
    expect(view.type).toBe('home');
    const texts = view.blocks.map((b) => (b.type === 'divider' ? '---' : JSON.stringify(b)));
    expect(texts[0]).toContain('Acme: your conversations');
    expect(texts[1]).toContain('Claimed by you* (2)');
    expect(texts[2]).toContain('*New*');
    expect(texts[3]).toContain('*Old*');
    expect(texts[4]).toBe('---');
    expect(texts[5]).toContain('Unclaimed on your routes* (0)');
    expect(texts[6]).toContain('Every conversation of your routes is claimed');
  });

  it('keeps each list to HOME_LIST_MAX and the view within Slack’s 100 blocks', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      summary({ userLabel: `User ${i}`, lastMessage: { role: 'user', text: 'x', at: minutesAgo(i) } }),
    );
    expect(newestFirst(many)).toHaveLength(HOME_LIST_MAX);
    expect(newestFirst(many)[0]?.userLabel).toBe('User 0');
    const view = agentHomeView({ appName: 'Acme', claimed: many, unclaimed: many, now: NOW });
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    expect(view.blocks.length).toBe(1 + (1 + HOME_LIST_MAX) * 2 + 1 + 1);
  });

  it('a member who is not an agent gets Parley’s reason', () => {
    const view = notAgentHomeView('Acme', 'You are not an agent here.');
    expect(view.blocks).toHaveLength(2);
    expect(JSON.stringify(view.blocks[1])).toContain('You are not an agent here.');
  });
});

describe('conversationSummary', () => {
  const message = (role: ConversationMessage['role'], at: number, text = `${role} ${at}`): ConversationMessage => ({
    id: `${role}-${at}`,
    role,
    text,
    at: minutesAgo(at),
    ...(role === 'agent' ? { agent: { name: 'Ana' } } : {}),
  });
  const base = {
    userId: 'u1',
    profile: { givenName: 'Jane' },
    status: 'active' as const,
    refs: { slackRoute: 'billing', slackChannelId: 'C1' },
  };

  it('waits since the first user message after the last agent reply', () => {
    const s = conversationSummary({
      ...base,
      messages: [
        message('user', 50),
        message('agent', 40),
        message('user', 30),
        message('bot', 20),
        message('user', 10),
      ],
    });
    expect(s.waitingSince).toBe(minutesAgo(30));
    expect(s).toMatchObject({
      userLabel: 'Jane',
      route: 'billing',
      slackChannelId: 'C1',
      lastMessage: { role: 'user', at: minutesAgo(10) },
    });
  });

  it('an agent answered last: nobody waits; the last message names its agent', () => {
    const s = conversationSummary({ ...base, messages: [message('user', 5), message('agent', 1)] });
    expect(s.waitingSince).toBeUndefined();
    expect(s.lastMessage).toMatchObject({ role: 'agent', agentName: 'Ana' });
  });

  it('cuts the last message to 150 characters, never the whole state', () => {
    const s = conversationSummary({ ...base, messages: [message('user', 1, '😀'.repeat(400))] });
    expect([...(s.lastMessage?.text ?? '')]).toHaveLength(150);
    expect(s.lastMessage?.text.endsWith('…')).toBe(true);
    expect(Object.keys(s)).not.toContain('messages');
  });
});

describe('inbound: app_home_opened and the Send to user shortcut', () => {
  const envelope = (event: Record<string, unknown>) =>
    eventEnvelopeSchema.parse({ type: 'event_callback', team_id: 'T1', event_id: 'Ev1', event });

  it('the Home tab opened publishes a Home; the Messages tab does not', () => {
    expect(decideEvent(envelope({ type: 'app_home_opened', user: 'U0ANA', channel: 'D1', tab: 'home' }))).toEqual({
      kind: 'home',
      teamId: 'T1',
      userId: 'U0ANA',
    });
    expect(decideEvent(envelope({ type: 'app_home_opened', user: 'U0ANA', channel: 'D1', tab: 'messages' })).kind).toBe(
      'ignored',
    );
    expect(decideEvent(envelope({ type: 'app_home_opened', user: '<!x>', tab: 'home' })).kind).toBe('ignored');
  });

  const shortcut = (message: Record<string, unknown>, callback = SEND_TO_USER_CALLBACK) =>
    interactionSchema.parse({
      type: 'message_action',
      callback_id: callback,
      team: { id: 'T1', domain: 'acme' },
      user: { id: 'U0ANA', username: 'ana' },
      channel: { id: 'C0JANE', name: 'sk-jane' },
      response_url: 'https://hooks.slack.com/actions/T1/1/x',
      message_ts: message.ts,
      message: { type: 'message', ...message },
    });

  it('a person’s message: its text as typed, its author', () => {
    expect(decideInteraction(shortcut({ ts: '1.000100', user: 'U0BEN', text: 'a &lt;b&gt; &amp;amp; *c*' }))).toEqual({
      kind: 'send_to_user',
      teamId: 'T1',
      channelId: 'C0JANE',
      userId: 'U0ANA',
      responseUrl: 'https://hooks.slack.com/actions/T1/1/x',
      message: { ts: '1.000100', text: 'a <b> &amp; *c*', authorId: 'U0BEN', fromBot: false, files: [] },
    });
  });

  it('an app’s post is marked, files read, another shortcut ignored', () => {
    const bot = decideInteraction(shortcut({ ts: '1.2', bot_id: 'B1', text: 'header', files: [{ id: 'F1' }] }));
    expect(bot).toMatchObject({ kind: 'send_to_user', message: { fromBot: true, files: [{ name: 'F1' }] } });
    expect(decideInteraction(shortcut({ ts: '1.2', user: 'U0BEN', text: 'x' }, 'other_shortcut')).kind).toBe('ignored');
  });

  it('slackMessageText undoes Slack’s three escapes, once', () => {
    expect(slackMessageText('&amp;lt; &lt;@U1&gt;')).toBe('&lt; <@U1>');
  });
});
