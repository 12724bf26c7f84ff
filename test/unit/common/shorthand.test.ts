import { userMessagePlainText } from '../../../common/conversation';
import { areQuickReplies, parseShorthand } from '../../../common/shorthand';

describe('the agent shorthand', () => {
  it('turns postback, reply and link buttons into actions and takes them out of the text', () => {
    expect(
      parseShorthand(
        'Did that help? %[Yes](postback:HELPED) %[No](postback:NOT_HELPED)\n%[Docs](https://acme.example/docs)',
      ),
    ).toEqual({
      text: 'Did that help?',
      actions: [
        { type: 'postback', text: 'Yes', payload: 'HELPED' },
        { type: 'postback', text: 'No', payload: 'NOT_HELPED' },
        { type: 'link', text: 'Docs', uri: 'https://acme.example/docs' },
      ],
      images: [],
    });
  });

  it('makes several reply buttons quick replies', () => {
    const { actions, text } = parseShorthand('Pick one %[Small](reply:S) %[Large](reply:L)');
    expect(text).toBe('Pick one');
    expect(areQuickReplies(actions)).toBe(true);
    expect(areQuickReplies(parseShorthand('%[One](reply:1)').actions)).toBe(false);
    expect(areQuickReplies(parseShorthand('%[A](reply:1) %[B](postback:2)').actions)).toBe(false);
  });

  it('turns ![](https://…) into an image by URL, named by its alt text or file name', () => {
    expect(
      parseShorthand('Like this: ![](https://cdn.acme.example/img/step%201.jpg) ![Chart](https://x.example/c.png?v=2)'),
    ).toEqual({
      text: 'Like this:',
      actions: [],
      images: [
        {
          id: 'image:1',
          name: 'step 1.jpg',
          mediaType: 'image/jpeg',
          size: 0,
          url: 'https://cdn.acme.example/img/step%201.jpg',
        },
        { id: 'image:2', name: 'Chart', mediaType: 'image/png', size: 0, url: 'https://x.example/c.png?v=2' },
      ],
    });
  });

  it('reads links as Slack sends them typed in /sk (`<https://…>`)', () => {
    expect(parseShorthand('%[Docs](<https://acme.example/d|acme.example/d>)').actions).toEqual([
      { type: 'link', text: 'Docs', uri: 'https://acme.example/d' },
    ]);
  });

  it('keeps as text what is no shorthand Parley knows, and text without any exactly as written', () => {
    for (const text of [
      'no shorthand at all  \n\n  spaces kept ',
      '100% [sure](really)',
      '%[Pay](25.00) %[Where](location) %[x](javascript:alert(1))',
      '%[](postback:EMPTY_LABEL) %[Empty](postback:)',
      '![img](http://insecure.example/a.png) ![x](data:image/png;base64,AAAA)',
      '%[broken](https://a.example no closing',
      '%[a\nb](postback:X)',
    ])
      expect(parseShorthand(text)).toEqual({ text, actions: [], images: [] });
  });

  it('keeps a readable text when the message is only buttons', () => {
    expect(parseShorthand('%[Yes](postback:Y) %[No](postback:N)').text).toBe('Yes · No');
  });

  it('takes at most 10 buttons; the rest stay text', () => {
    const many = Array.from({ length: 12 }, (_, i) => `%[B${i}](postback:${i})`).join(' ');
    const parsed = parseShorthand(many);
    expect(parsed.actions).toHaveLength(10);
    expect(parsed.text).toBe('%[B10](postback:10) %[B11](postback:11)');
  });

  it('is linear on 1 MB of hostile input', () => {
    for (const unit of ['%[', '%[a](', '![x](https://', '%[' + 'a'.repeat(199) + '](', '%[a](postback:']) {
      const hostile = unit.repeat(Math.ceil(1_000_000 / unit.length));
      const started = Date.now();
      parseShorthand(hostile);
      expect([unit.slice(0, 10), Date.now() - started < 2000]).toEqual([unit.slice(0, 10), true]);
    }
  });
});

describe('a user message for a text-only team', () => {
  it('reads a tap as a tap, names the files, and leaves a text-only message alone', () => {
    expect(userMessagePlainText({ text: 'Yes', postback: { payload: 'Y', text: 'Yes' } })).toBe(
      'The user tapped *Yes*',
    );
    expect(
      userMessagePlainText({
        text: 'See',
        attachments: [{ id: 'file_x', name: 'a.png', mediaType: 'image/png', size: 3 }],
      }),
    ).toBe('See\n📎 a.png (image/png)');
    expect(userMessagePlainText({ text: 'plain' })).toBe('plain');
  });
});
