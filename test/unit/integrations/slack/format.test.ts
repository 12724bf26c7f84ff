/** What Parley says in Slack: the answers to `/sk` and the renderings of the shared texts, word for word. */
import type { ConversationMessage, UserProfile } from '../../../../common/conversation';
import {
  ACK_TEXT,
  ARCHIVED_CONFIRMATION,
  channelHeader,
  dispatchText,
  mirroredReply,
  noPowerText,
  profileText,
  recentHistory,
  sentConfirmation,
  usageText,
  userMessageText,
  userText,
} from '../../../../integrations/slack/format';

const jane: UserProfile = {
  givenName: 'Jane',
  surname: 'Doe',
  email: 'jane@example.com',
  properties: { plan: 'pro', seats: 3 },
  device: { os: 'iOS 18' },
};

describe('answers to /sk', () => {
  it('says where it has no power, and how to use it', () => {
    expect(noPowerText('/sk')).toBe(
      "/sk has no power here: this channel is not linked to a user. Use it in a user's `sk-` channel.",
    );
    expect(usageText('/sk')).toBe('Usage: `/sk your reply`, `/sk !profile`, `/sk !archive`');
    expect(ARCHIVED_CONFIRMATION).toBe(
      ':file_cabinet: Conversation archived. The next message from the user reopens it.',
    );
    expect(ACK_TEXT).toBe('On it…');
  });

  it('confirms a reply with the user, the agent and the reply quoted line by line', () => {
    expect(sentConfirmation(jane, 'jane', 'Ana Agent', 'Hi Jane.\nHow can I help?')).toBe(
      ':white_check_mark: Sent to Jane Doe by Ana Agent:\n>Hi Jane.\n>How can I help?',
    );
    expect(sentConfirmation({}, 'anon-7', 'U0AGENT', 'ok')).toBe(':white_check_mark: Sent to anon-7 by U0AGENT:\n>ok');
  });

  it('shows the profile with properties and device', () => {
    expect(profileText(jane, 'jane')).toBe(
      [
        '*Jane Doe*',
        'Email: jane@example.com',
        'User id: jane',
        'Properties:',
        '  • plan: pro',
        '  • seats: 3',
        'Device:',
        '  • os: iOS 18',
      ].join('\n'),
    );
  });
});

describe('posts', () => {
  const reply: ConversationMessage = {
    id: 'zd-1',
    role: 'agent',
    text: 'Your refund is on its way',
    at: '2026-12-01T12:00:00Z',
    source: 'zendesk',
    agent: { name: 'Ana Agent' },
  };

  it('mirrors replies from elsewhere with the shared wording', () => {
    expect(mirroredReply(reply)).toBe('↩ Ana Agent via Zendesk: Your refund is on its way');
    expect(mirroredReply({ ...reply, agent: undefined, source: 'helpscout' })).toBe(
      '↩ An agent via Help Scout: Your refund is on its way',
    );
  });

  it('heads a channel, announces it and replays the history', () => {
    expect(channelHeader(jane, 'jane', 'Acme').split('\n')[0]).toBe(
      ':speech_balloon: Conversation with *Jane Doe* (jane@example.com) from Acme.',
    );
    expect(dispatchText(jane, 'jane', 'C0CHAN', 'Acme', false)).toBe(
      ':new: New conversation with *Jane Doe* (Acme): <#C0CHAN>',
    );
    expect(dispatchText(jane, 'jane', 'C0CHAN', 'Acme', true)).toBe(
      ':arrows_counterclockwise: *Jane Doe* (Acme) wrote again: <#C0CHAN>',
    );
    const question: ConversationMessage = { id: 'm1', role: 'user', text: 'first\nquestion', at: reply.at };
    expect(recentHistory([question, reply], jane, 'jane')).toBe(
      [
        ':scroll: Earlier in this conversation:',
        '> *Jane Doe*: first\n> question',
        '> *Ana Agent (Zendesk)*: Your refund is on its way',
      ].join('\n'),
    );
  });

  it('passes user text through userText, today unchanged (mrkdwn escaping, issue 16, goes there)', () => {
    const hostile = '<!channel> *bold* & <https://evil.example|click>';
    expect(userText(hostile)).toBe(hostile);
    expect(userMessageText({ text: hostile })).toBe(hostile);
  });
});
