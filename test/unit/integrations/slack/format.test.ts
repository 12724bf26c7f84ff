/** What Parley says in Slack: the answers to `/sk` and the renderings of the shared texts, word for word. */
import type { ConversationMessage, UserProfile } from '../../../../common/conversation';
import {
  ACK_TEXT,
  ARCHIVED_CONFIRMATION,
  channelHeader,
  cleanName,
  dispatchText,
  mirroredReply,
  noPowerText,
  notAgentText,
  profileText,
  recentHistory,
  sentConfirmation,
  usageText,
  USER_MARKER,
  userMessageText,
  userPostName,
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
    expect(usageText('/sk')).toBe(
      'Usage: `/sk your reply`, `/sk !profile`, `/sk !claim`, `/sk !assign @name`, `/sk !resolve`, `/sk !archive`, ' +
        '`/sk !bot`',
    );
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

  it('escapes user text as Slack asks: &, < and > only, so mentions and links arrive as typed', () => {
    const hostile = '<!channel> *bold* & <https://evil.example|click>';
    expect(userText(hostile)).toBe('&lt;!channel&gt; *bold* &amp; &lt;https://evil.example|click&gt;');
    expect(userMessageText({ text: hostile })).toBe(userText(hostile));
    for (const [typed, sent] of <[string, string][]>[
      ['<!here> <!everyone> <!subteam^S0123>', '&lt;!here&gt; &lt;!everyone&gt; &lt;!subteam^S0123&gt;'],
      ['<@U0ADMIN> <#C0SECRET|general>', '&lt;@U0ADMIN&gt; &lt;#C0SECRET|general&gt;'],
      // Already escaped text is text too: the user typed "&lt;", and sees "&lt;".
      ['&lt;b&gt; &amp;', '&amp;lt;b&amp;gt; &amp;amp;'],
      // Formatting has no escape in mrkdwn and is harmless: it stays.
      ['*a* _b_ ~c~ `d` ```e```', '*a* _b_ ~c~ `d` ```e```'],
    ])
      expect(userText(typed)).toBe(sent);
  });

  it('escapes every user- and vendor-supplied string in every text', () => {
    const evil: UserProfile = {
      givenName: '<!channel>',
      surname: 'Doe & Co',
      email: '<mailto:x@evil.example|ceo@acme.com>',
      properties: { '<@U0ADMIN>': '<https://evil.example|https://acme.com/admin>' },
      device: { os: '<!here>' },
    };
    expect(channelHeader(evil, 'u1', 'Acme <Beta>').split('\n')[0]).toBe(
      ':speech_balloon: Conversation with *&lt;!channel&gt; Doe &amp; Co* ' +
        '(&lt;mailto:x@evil.example|ceo@acme.com&gt;) from Acme &lt;Beta&gt;.',
    );
    expect(dispatchText(evil, 'u1', 'C0CHAN', 'Acme', false)).toBe(
      ':new: New conversation with *&lt;!channel&gt; Doe &amp; Co* (Acme): <#C0CHAN>',
    );
    // A channel id is Slack's; one that is not an id cannot become a link.
    expect(dispatchText(jane, 'jane', '!channel', 'Acme', false)).toBe(
      ':new: New conversation with *Jane Doe* (Acme): !channel',
    );
    expect(profileText(evil, 'u<1>')).toBe(
      [
        '*&lt;!channel&gt; Doe &amp; Co*',
        'Email: &lt;mailto:x@evil.example|ceo@acme.com&gt;',
        'User id: u&lt;1&gt;',
        'Properties:',
        '  • &lt;@U0ADMIN&gt;: &lt;https://evil.example|https://acme.com/admin&gt;',
        'Device:',
        '  • os: &lt;!here&gt;',
      ].join('\n'),
    );
    const zendesk: ConversationMessage = {
      id: 'zd-2',
      role: 'agent',
      text: '<!here> see <https://evil.example|the docs>',
      at: '2026-12-01T12:00:00Z',
      source: 'zendesk',
      agent: { name: '<@U0CEO>' },
    };
    expect(mirroredReply(zendesk)).toBe(
      '↩ &lt;@U0CEO&gt; via Zendesk: &lt;!here&gt; see &lt;https://evil.example|the docs&gt;',
    );
    const said: ConversationMessage = { id: 'm1', role: 'user', text: '<!channel>\nhi', at: zendesk.at };
    expect(recentHistory([said, zendesk], evil, 'u1')).toBe(
      [
        ':scroll: Earlier in this conversation:',
        '> *&lt;!channel&gt; Doe &amp; Co*: &lt;!channel&gt;',
        '> hi',
        '> *&lt;@U0CEO&gt; (Zendesk)*: &lt;!here&gt; see &lt;https://evil.example|the docs&gt;',
      ].join('\n'),
    );
    expect(sentConfirmation(evil, 'u1', 'Ana <!here>', '<!channel> done\n<@U0X>')).toBe(
      ':white_check_mark: Sent to &lt;!channel&gt; Doe &amp; Co by Ana &lt;!here&gt;:\n>&lt;!channel&gt; done\n>&lt;@U0X&gt;',
    );
    expect(notAgentText('Acme & <Co>')).toContain("only Acme &amp; &lt;Co&gt;'s support team");
  });

  it('cleans names of control, bidi and zero-width characters', () => {
    expect(cleanName('Jane\u202e eoD\u202c')).toBe('Jane eoD');
    expect(cleanName('I\u200bT\u200d Se\ufeffcurity')).toBe('IT Security');
    expect(cleanName('  Jane\n\tDoe\u2028 \u0000 ')).toBe('Jane Doe');
    expect(sentConfirmation({ givenName: 'Ja\u2066ne' }, 'u', 'A\u200bna', 'ok')).toBe(
      ':white_check_mark: Sent to Jane by Ana:\n>ok',
    );
  });
});

describe("a user post's username", () => {
  it('is the cleaned name, marked as the end user', () => {
    expect(USER_MARKER).toBe('(user)');
    expect(userPostName(jane, 'jane')).toBe('Jane Doe (user)');
    expect(userPostName({ givenName: 'IT', surname: 'Security' }, 'x')).toBe('IT Security (user)');
    expect(userPostName({ givenName: 'Parley' }, 'x')).toBe('Parley (user)');
    expect(userPostName({ email: 'jo@example.com' }, 'x')).toBe('jo@example.com (user)');
    expect(userPostName({}, 'anon-7')).toBe('anon-7 (user)');
  });

  it('cannot hide the marker: no bidi, zero-width, newlines or angle brackets, and long names are cut first', () => {
    expect(userPostName({ givenName: 'IT Security\u202e' }, 'x')).toBe('IT Security (user)');
    expect(userPostName({ givenName: 'IT\u200b', surname: 'Security\n\n\nreal name' }, 'x')).toBe(
      'IT Security real name (user)',
    );
    expect(userPostName({ givenName: '<!channel>' }, 'x')).toBe('‹!channel› (user)');
    expect(userPostName({ givenName: '\u200b\u200d' }, 'u1')).toBe('u1 (user)');
    const long = userPostName({ givenName: 'A'.repeat(200) }, 'x');
    expect(long).toHaveLength(80);
    expect(long.endsWith('A… (user)')).toBe(true);
    expect([...userPostName({ givenName: '😀'.repeat(100) }, 'x')]).toHaveLength(80);
  });
});
