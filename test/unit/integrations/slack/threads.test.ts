/**
 * Threads mode's inbound, pure: which thread events matter (a person's reply, its edit and deletion, a reaction),
 * internal notes, thread refs, and Claim / Resolve / Hand back buttons naming a thread. Payloads in Slack's shapes
 * (docs.slack.dev/reference/events/message, message_changed, message_deleted, reaction_added).
 */
import {
  decideInteraction,
  decideThreadEvent,
  eventEnvelopeSchema,
  interactionSchema,
  isInternalNote,
  parseThreadRef,
  threadRef,
  threadReplyId,
} from '../../../../integrations/slack/inbound';
import { threadHelpLine, threadParentText } from '../../../../integrations/slack/format';
import { blockActions, eventCallback } from './payloads';

const decide = (event: Record<string, unknown>) => decideThreadEvent(eventEnvelopeSchema.parse(eventCallback(event)));

const reply = {
  type: 'message',
  channel: 'C123ABC456',
  user: 'U123ABC456',
  text: 'It ships tomorrow',
  ts: '1355517523.000008',
  thread_ts: '1355517523.000005',
  parent_user_id: 'U0PARLEYBOT',
  event_ts: '1355517523.000008',
  channel_type: 'channel',
};

describe('thread events', () => {
  it('reads a person’s thread reply (a broadcast one too)', () => {
    const expected = {
      kind: 'reply',
      teamId: 'T123ABC456',
      channelId: 'C123ABC456',
      threadTs: '1355517523.000005',
      ts: '1355517523.000008',
      userId: 'U123ABC456',
      text: 'It ships tomorrow',
      files: [],
    };
    expect(decide(reply)).toEqual(expected);
    expect(decide({ ...reply, subtype: 'thread_broadcast' })).toEqual(expected);
  });

  it('reads a thread reply sharing files (file_share), with its files', () => {
    const file = {
      id: 'F0SHOT',
      name: 'shot.png',
      mimetype: 'image/png',
      size: 1234,
      mode: 'hosted',
      url_private: 'https://files.slack.com/files-pri/T1-F0SHOT/shot.png',
      url_private_download: 'https://files.slack.com/files-pri/T1-F0SHOT/download/shot.png',
    };
    expect(decide({ ...reply, subtype: 'file_share', upload: true, text: '', files: [file] })).toMatchObject({
      kind: 'reply',
      text: '',
      files: [{ name: 'shot.png', mimetype: 'image/png', size: 1234, url: file.url_private_download }],
    });
  });

  it.each([
    ['a bot’s post (Parley’s own)', { ...reply, bot_id: 'B0PARLEY', subtype: 'bot_message' }],
    ['a bot’s post without a subtype', { ...reply, bot_id: 'B0PARLEY' }],
    ['a message outside a thread', { ...reply, thread_ts: undefined }],
    ['the parent itself', { ...reply, thread_ts: reply.ts }],
    ['a system message', { ...reply, subtype: 'channel_join' }],
    ['a message without a channel id', { ...reply, channel: 'c-lower' }],
    ['a ts that is not one', { ...reply, ts: 'x"OR"1' }],
    ['another event', { type: 'member_joined_channel', channel: 'C123ABC456', user: 'U1' }],
  ])('ignores %s', (_what, event) => {
    expect(decide(event)).toMatchObject({ kind: 'ignored' });
  });

  it('reads an edit of a thread reply, with the edit’s own ts', () => {
    const edited = {
      type: 'message',
      subtype: 'message_changed',
      hidden: true,
      channel: 'C123ABC456',
      ts: '1355517600.000001',
      message: { ...reply, text: 'It ships today', edited: { user: 'U123ABC456', ts: '1355517600.000001' } },
      previous_message: reply,
      event_ts: '1355517600.000001',
    };
    expect(decide(edited)).toEqual({
      kind: 'edited',
      teamId: 'T123ABC456',
      channelId: 'C123ABC456',
      threadTs: '1355517523.000005',
      ts: '1355517523.000008',
      editTs: '1355517600.000001',
      userId: 'U123ABC456',
      text: 'It ships today',
    });
    // Parley's own chat.update of the parent comes back as a change too.
    const botUpdate = { ...edited, message: { ...reply, bot_id: 'B0PARLEY', thread_ts: undefined } };
    expect(decide(botUpdate)).toMatchObject({ kind: 'ignored' });
  });

  it('reads a deletion of a thread reply (its thread from previous_message)', () => {
    expect(
      decide({
        type: 'message',
        subtype: 'message_deleted',
        hidden: true,
        channel: 'C123ABC456',
        ts: '1355517700.000001',
        deleted_ts: reply.ts,
        previous_message: reply,
        event_ts: '1355517700.000001',
      }),
    ).toEqual({
      kind: 'deleted',
      teamId: 'T123ABC456',
      channelId: 'C123ABC456',
      threadTs: '1355517523.000005',
      ts: '1355517523.000008',
      eventTs: '1355517700.000001',
    });
  });

  it('reads a reaction on a message, not on a file', () => {
    const reaction = {
      type: 'reaction_added',
      user: 'U123ABC456',
      reaction: 'white_check_mark',
      item_user: 'U0PARLEYBOT',
      item: { type: 'message', channel: 'C123ABC456', ts: '1355517523.000005' },
      event_ts: '1360782804.083113',
    };
    expect(decide(reaction)).toEqual({
      kind: 'reaction',
      teamId: 'T123ABC456',
      channelId: 'C123ABC456',
      ts: '1355517523.000005',
      userId: 'U123ABC456',
      reaction: 'white_check_mark',
    });
    expect(decide({ ...reaction, item: { type: 'file', file: 'F0001' } })).toMatchObject({ kind: 'ignored' });
  });
});

describe('notes and refs', () => {
  it('a reply starting with the prefix is a note, leading whitespace ignored', () => {
    expect(isInternalNote(';; checking', ';;')).toBe(true);
    expect(isInternalNote('  ;;checking', ';;')).toBe(true);
    expect(isInternalNote('checking ;;', ';;')).toBe(false);
    expect(isInternalNote('#note x', '#note')).toBe(true);
  });

  it('a thread ref reads back; anything else is none', () => {
    expect(parseThreadRef(threadRef('C123ABC456', '1355517523.000005'))).toEqual({
      channelId: 'C123ABC456',
      ts: '1355517523.000005',
    });
    for (const bad of ['C123ABC456', 'C123:abc', 'c1:1.2', 'C1:1.2:3', '']) expect(parseThreadRef(bad)).toBeUndefined();
    expect(threadReplyId('C1', '1.2')).toBe('slack:C1:1.2');
  });

  it('the parent names no channel and says how to work the thread', () => {
    const text = threadParentText({ givenName: 'Tina' }, 'tina', 'Acme <b>', false) + threadHelpLine(';;');
    expect(text).toContain('*Tina* (Acme &lt;b&gt;)');
    expect(text).not.toContain('<#');
    expect(text).toContain('`;;`');
  });
});

describe('buttons naming a thread', () => {
  const decideClick = (action: { action_id: string; value?: string }) =>
    decideInteraction(interactionSchema.parse(blockActions(action)));

  it('Claim, Resolve and Hand back take `<channel>:<ts>`', () => {
    for (const [action_id, kind] of [
      ['parley_claim', 'claim'],
      ['parley_resolve', 'resolve'],
      ['parley_handback', 'handback'],
    ] as const)
      expect(decideClick({ action_id, value: 'C0SUPPORT1:1548261231.000200' })).toMatchObject({
        kind,
        channelId: 'C0SUPPORT1',
        threadTs: '1548261231.000200',
      });
    expect(decideClick({ action_id: 'parley_claim', value: 'C0USERCHAN' })).not.toHaveProperty('threadTs');
    expect(decideClick({ action_id: 'parley_claim', value: 'C0:"x"' })).toMatchObject({ kind: 'ignored' });
  });
});

describe('what a thread reply says', () => {
  it('is the text as the agent typed it (Slack escapes &, < and >)', () => {
    expect(
      decideThreadEvent(
        eventEnvelopeSchema.parse(
          eventCallback({
            type: 'message',
            channel: 'C123ABC456',
            user: 'U123ABC456',
            text: 'Fish &amp; chips &lt;3',
            ts: '1355517523.000008',
            thread_ts: '1355517523.000005',
          }),
        ),
      ),
    ).toMatchObject({ kind: 'reply', text: 'Fish & chips <3' });
  });
});
