/** Slack's inbound, pure: the `/sk` grammar, which events and interactions matter, on Slack's payload shapes. */
import {
  agentFromSlackUser,
  decideEvent,
  decideInteraction,
  eventEnvelopeSchema,
  interactionJson,
  interactionSchema,
  isSlackChannelId,
  parseCommandText,
  slackMessageText,
  slashCommandSchema,
} from '../../../../integrations/slack/inbound';
import {
  blockActions,
  eventCallback,
  events,
  slackUser,
  slashCommandForm,
  urlVerification,
  viewSubmission,
} from './payloads';

describe('the /sk grammar', () => {
  it.each([
    ['', { kind: 'usage' }],
    ['   ', { kind: 'usage' }],
    ['\n\t \r\n', { kind: 'usage' }],
    ['!profile', { kind: 'profile' }],
    ['  !profile  ', { kind: 'profile' }],
    ['\n!profile\n', { kind: 'profile' }],
    ['\u00a0!profile\u00a0', { kind: 'profile' }],
    ['!archive', { kind: 'archive' }],
    ['\t!archive ', { kind: 'archive' }],
  ])('%j is %j', (text, intent) => {
    expect(parseCommandText(text)).toEqual(intent);
  });

  it('takes anything else as the reply, trimmed, inner whitespace and newlines kept', () => {
    expect(parseCommandText('  Hi Jane, Ana here.  ')).toEqual({ kind: 'reply', text: 'Hi Jane, Ana here.' });
    expect(parseCommandText('\nFirst line\n\n  second line\n')).toEqual({
      kind: 'reply',
      text: 'First line\n\n  second line',
    });
  });

  it('matches the commands exactly: other cases and extra words are replies', () => {
    for (const text of ['!PROFILE', '!Profile', '!ARCHIVE', '!profile please', '!archive now', '! profile', '!'])
      expect(parseCommandText(text)).toEqual({ kind: 'reply', text });
  });

  it('passes very long replies through whole', () => {
    const long = `${'a long reply '.repeat(4000)}end`;
    const intent = parseCommandText(`  ${long}\n`);
    expect(intent).toEqual({ kind: 'reply', text: long });
  });

  it("parses Slack's slash command form; a missing text is the empty text", () => {
    const form = Object.fromEntries(new URLSearchParams(slashCommandForm('hello')));
    expect(slashCommandSchema.parse(form)).toMatchObject({
      team_id: 'T0001',
      channel_id: 'C2147483705',
      user_id: 'U2147483697',
      command: '/sk',
      text: 'hello',
      trigger_id: '13345224609.738474920.8088930838d88f008e0',
      response_url: 'https://hooks.slack.com/commands/1234/5678',
    });
    const { text: _text, ...withoutText } = form;
    expect(slashCommandSchema.parse(withoutText).text).toBe('');
    expect(slashCommandSchema.safeParse({ ...form, team_id: '' }).success).toBe(false);
    expect(slashCommandSchema.safeParse({ ...form, response_url: 'not a url' }).success).toBe(false);
  });
});

describe('which events matter', () => {
  const decide = (body: unknown) => decideEvent(eventEnvelopeSchema.parse(body));

  it('answers url_verification with its challenge', () => {
    expect(decide(urlVerification)).toEqual({ kind: 'challenge', challenge: urlVerification.challenge });
  });

  it('archives the conversation of an archived channel, naming who archived it', () => {
    expect(decide(eventCallback(events.channelArchive))).toEqual({
      kind: 'archive',
      teamId: 'T123ABC456',
      channelId: 'C123ABC456',
      userId: 'U123ABC456',
    });
  });

  it('archives on group_archive too (a private channel), with or without the archiver', () => {
    expect(decide(eventCallback(events.groupArchive))).toEqual({
      kind: 'archive',
      teamId: 'T123ABC456',
      channelId: 'C0PRIVATE01',
      userId: 'U123ABC456',
    });
    expect(decide(eventCallback(events.groupArchiveAnonymous))).toEqual({
      kind: 'archive',
      teamId: 'T123ABC456',
      channelId: 'G024BE91L',
    });
  });

  it.each([
    ['a message typed in the channel', events.message],
    ['the archive notice message', events.archiveMessage],
    ['an unarchive', events.channelUnarchive],
    ['a channel created (channel as an object)', events.channelCreated],
    ['someone joining', events.memberJoined],
  ])('keeps %s internal', (_what, event) => {
    expect(decide(eventCallback(event))).toMatchObject({ kind: 'ignored' });
  });

  it('ignores a channel_archive whose channel is not a channel id', () => {
    for (const channel of ['', 'c123abc', 'C123"OR"1', { id: 'C123ABC456' }])
      expect(decide(eventCallback({ ...events.channelArchive, channel }))).toMatchObject({ kind: 'ignored' });
    const { channel: _channel, ...noChannel } = events.channelArchive;
    expect(decide(eventCallback(noChannel))).toMatchObject({ kind: 'ignored' });
  });

  it('refuses envelopes of the wrong shape', () => {
    for (const body of [
      {},
      { type: 'event_callback', team_id: 42, event: 'x' },
      { type: 'url_verification' },
      { ...eventCallback(events.channelArchive), event_id: undefined },
    ])
      expect(eventEnvelopeSchema.safeParse(body).success).toBe(false);
  });
});

describe('which interactions matter', () => {
  const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) });
  const decide = (payload: unknown) => decideInteraction(interactionSchema.parse(interactionJson(form(payload))));

  it('invites whoever clicks Join into the channel the button names', () => {
    expect(decide(blockActions({ action_id: 'parley_join', value: 'C0USERCHAN' }))).toEqual({
      kind: 'invite',
      teamId: 'T9TK3CUKW',
      channelId: 'C0USERCHAN',
      userId: 'UA8RXUSPL',
      responseUrl: 'https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209',
    });
  });

  it('ignores other buttons, a Join without a channel, other payload types and payloads without a team', () => {
    expect(decide(blockActions({ action_id: 'someone_elses', value: 'C0USERCHAN' }))).toMatchObject({
      kind: 'ignored',
    });
    expect(decide(blockActions({ action_id: 'parley_join' }))).toMatchObject({ kind: 'ignored' });
    expect(decide(blockActions({ action_id: 'parley_join', value: '' }))).toMatchObject({ kind: 'ignored' });
    expect(decide(viewSubmission)).toMatchObject({ kind: 'ignored' });
    const { team: _team, ...teamless } = blockActions({ action_id: 'parley_join', value: 'C0USERCHAN' });
    expect(decide(teamless)).toMatchObject({ kind: 'ignored' });
  });

  it('reads nothing from a payload field that is missing or not JSON', () => {
    expect(interactionJson(new URLSearchParams())).toBeUndefined();
    expect(interactionJson(new URLSearchParams({ payload: '{not json' }))).toBeUndefined();
    expect(interactionSchema.safeParse(interactionJson(form({ type: 'block_actions', actions: 5 }))).success).toBe(
      false,
    );
  });
});

describe('the agent behind a reply', () => {
  it("takes the Slack profile's name and email, and a Gravatar by the email", () => {
    expect(agentFromSlackUser(slackUser, 'W012A3CDE')).toEqual({
      name: 'Egon Spengler',
      email: 'spengler@ghostbusters.example.com',
      avatarUrl: expect.stringMatching(/^https:\/\/www\.gravatar\.com\/avatar\/[0-9a-f]{64}/),
    });
  });

  it('falls back to the display name, the Slack avatar, then the user id', () => {
    const { email: _email, real_name: _real, ...profile } = slackUser.profile;
    expect(agentFromSlackUser({ ...slackUser, real_name: '', profile }, 'W012A3CDE')).toEqual({
      name: 'spengler',
      avatarUrl: slackUser.profile.image_192,
    });
    expect(agentFromSlackUser(undefined, 'W012A3CDE')).toEqual({ name: 'W012A3CDE' });
  });
});

it('knows a channel id by its shape', () => {
  for (const id of ['C123ABC456', 'G0ABCDEF', 'CBR2V3XEX']) expect(isSlackChannelId(id)).toBe(true);
  for (const id of ['', 'general', '#general', 'C12 3', 'C123"']) expect(isSlackChannelId(id)).toBe(false);
});

describe('claim, assign, resolve (issue 18)', () => {
  it('reads the commands, and a mention only as Slack escapes it', () => {
    expect(parseCommandText(' !claim ')).toEqual({ kind: 'claim' });
    expect(parseCommandText('!resolve')).toEqual({ kind: 'resolve' });
    expect(parseCommandText('!unassign')).toEqual({ kind: 'unassign' });
    expect(parseCommandText('!assign <@U024BE7LH|ana>')).toEqual({ kind: 'assign', userId: 'U024BE7LH' });
    expect(parseCommandText('!assign <@W0ANA123>')).toEqual({ kind: 'assign', userId: 'W0ANA123' });
    for (const text of ['!assign', '!assign @ana', '!assign <@U024BE7LH|ana> <@U0OTHER>', '!assign <!channel>'])
      expect(parseCommandText(text)).toEqual({ kind: 'assign_usage' });
    // Not a command: a reply that starts with words.
    expect(parseCommandText('!claimed it yesterday')).toEqual({ kind: 'reply', text: '!claimed it yesterday' });
  });

  it('decides Claim and Resolve clicks by their channel value', () => {
    const click = (actionId: string, value: string) =>
      decideInteraction(
        interactionSchema.parse({
          type: 'block_actions',
          team: { id: 'T1' },
          user: { id: 'U1' },
          actions: [{ action_id: actionId, value }],
          response_url: 'https://hooks.slack.com/actions/1',
        }),
      );
    expect(click('parley_claim', 'C0USER123')).toEqual({
      kind: 'claim',
      teamId: 'T1',
      channelId: 'C0USER123',
      userId: 'U1',
      responseUrl: 'https://hooks.slack.com/actions/1',
    });
    expect(click('parley_resolve', 'C0USER123')).toMatchObject({ kind: 'resolve' });
    expect(click('parley_claim', '<!channel>')).toMatchObject({ kind: 'ignored' });
  });
});

describe('Slack text for a reader outside Slack', () => {
  it('turns mentions, channels, special mentions and links into text, then the entities', () => {
    expect(slackMessageText('Hi, <@U024BE7LH|ana> will help in <#C0BILL123|billing>, <!here>')).toBe(
      'Hi, @ana will help in #billing, @here',
    );
    expect(slackMessageText('see <https://acme.example/help|the help page> or <https://acme.example>')).toBe(
      'see the help page (https://acme.example/help) or https://acme.example',
    );
    expect(slackMessageText('<mailto:ana@acme.example|ana@acme.example> · <!subteam^S0BILL|@billing>')).toBe(
      'ana@acme.example · @billing',
    );
    expect(slackMessageText('Q&amp;A: 1 &lt; 2 &gt; 0, &amp;lt; stays')).toBe('Q&A: 1 < 2 > 0, &lt; stays');
    expect(slackMessageText('<@U024BE7LH>')).toBe('@U024BE7LH');
  });

  it('is linear on a hostile megabyte', () => {
    const hostile = '<'.repeat(500_000) + '|>'.repeat(250_000);
    const before = process.cpuUsage();
    expect(typeof slackMessageText(hostile)).toBe('string');
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(500);
  });
});
