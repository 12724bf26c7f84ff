/**
 * Names fit to show: `cleanName` strips what reorders or hides text (bidi controls, zero-widths, other invisible
 * format characters, C0/C1 controls) and collapses whitespace; then each place a user's name lands uses it: the
 * display name and label, the Slack channel name and dispatch text, the mail's subject and sender names.
 */
import { cleanName } from '../../../common/text';
import { displayName, userLabel, type OutboxItem } from '../../../common/conversation';
import { composeNotification, headerSafe, threadSubject } from '../../../integrations/email/compose';
import { channelHeader, dispatchText } from '../../../integrations/slack/format';
import { channelName, slugify } from '../../../integrations/slack/names';

const RLO = '\u202e';
/** Every character the brief names, and the other invisible ones. */
const BIDI = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
const MARKS = ['\u200e', '\u200f', '\u061c'];
const ZERO_WIDTH = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const OTHER_INVISIBLE = ['\u00ad', '\u2061', '\u2064', '\u180e', '\u3164', '\u{e0041}', '\u{e0001}', '\ud800'];
const CONTROLS = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0080', '\u009b'];
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

describe('cleanName', () => {
  it.each([...BIDI, ...MARKS, ...ZERO_WIDTH, ...OTHER_INVISIBLE].map((c) => [c.codePointAt(0)!.toString(16), c]))(
    'removes U+%s without a trace',
    (_hex, char) => {
      expect(cleanName(`Jane${char}evil`)).toBe('Janeevil');
    },
  );

  it('turns controls and line breaks into one space, collapses whitespace, trims', () => {
    for (const c of CONTROLS) expect(cleanName(`Jane${c}Doe`)).toBe('Jane Doe');
    expect(cleanName(' \tJane\r\n\u2028 \u00a0\u3000Doe\u2029 ')).toBe('Jane Doe');
    expect(cleanName('Jane  \u200b  Doe')).toBe('Jane Doe');
    expect(cleanName(`${RLO}\u200b\u2066`)).toBe('');
  });

  it('keeps what names are made of: accents, scripts, emoji, variation selectors', () => {
    for (const name of ['Zoë O’Brien', 'José', 'jose\u0301', '日本 太郎', 'محمد', 'Ὀδυσσεύς', '❤\ufe0f Ana', '👩🏽 Li'])
      expect(cleanName(name)).toBe(name);
  });

  it('caps at maxBytes of UTF-8, between code points, with an ellipsis', () => {
    expect(cleanName('Jane Doe', 8)).toBe('Jane Doe');
    expect(cleanName('Jane Doe', 7)).toBe('Jane…');
    const emoji = cleanName('😀'.repeat(10), 15);
    expect(emoji).toBe('😀😀😀…');
    expect(utf8(emoji)).toBeLessThanOrEqual(15);
    expect(cleanName('é'.repeat(50), 10)).toBe('ééé…');
    expect(cleanName('abc', 2)).toBe('');
  });
});

describe('a user named Jane + U+202E + evil', () => {
  const profile = { givenName: `Jane${RLO}evil` };

  it('is Janeevil as display name and label, and as the label of an id or an email', () => {
    expect(displayName(profile)).toBe('Janeevil');
    expect(userLabel(profile, 'u1')).toBe('Janeevil');
    expect(displayName({ givenName: `${RLO}\u200b`, email: `jane${RLO}@example.com` })).toBe('jane@example.com');
    expect(displayName({ givenName: '\u200b' })).toBeUndefined();
    expect(userLabel({}, `user${RLO}1`)).toBe('user1');
    expect(userLabel({}, '\u200b')).toBe('\u200b'); // an id of nothing visible stays the id: something must show
  });

  it('gets the Slack channel sk-janeevil, not sk-jane-evil', () => {
    expect(channelName(profile, 'c1')).toBe('sk-janeevil');
    expect(channelName({ givenName: 'Jane', surname: `\u200bDoe${RLO}` }, 'c1')).toBe('sk-jane-doe');
    expect(channelName({ email: `ja${RLO}ne@example.com` }, 'c1')).toBe('sk-jane');
    expect(slugify(`\u2066Zoë\u2069`)).toBe('zoe');
  });

  it('is *Janeevil* in the dispatch notice and the channel header', () => {
    expect(dispatchText(profile, 'u1', 'C1', 'Acme', false)).toBe(
      ':new: New conversation with *Janeevil* (Acme): <#C1>',
    );
    expect(channelHeader(profile, 'u1', 'Acme')).toContain('Conversation with *Janeevil* from Acme.');
  });

  it('is Janeevil in the mail subject and body, and as a sender name read from a mail', () => {
    const ctx = {
      appId: 'acme',
      appName: `Ac${RLO}me`,
      userId: 'u1',
      conversationId: 'conversation:acme:u1',
      profile,
      from: 'Parley <parley@example.com>',
      teamAddresses: ['team@example.com'],
      replyAddress: 'support@example.com',
      tokenSecret: 'a-secret-of-sixteen-or-more',
    };
    expect(threadSubject(ctx)).toBe('[Acme] Conversation with Janeevil');
    const item: OutboxItem = {
      eventId: 'evt_1',
      kind: 'message:user',
      enqueuedAt: 0,
      message: { id: 'm1', role: 'user', text: 'hello', at: '2026-11-21T10:00:00.000Z' },
    };
    const mail = composeNotification(ctx, [item])!;
    expect(mail.subject).toBe('[Acme] Conversation with Janeevil');
    expect(mail.text).toContain('Janeevil wrote');
    expect(mail.html).toContain('Janeevil wrote');
    expect(headerSafe(`Ana${RLO} Agent\u200b`, 80)).toBe('Ana Agent');
  });
});
