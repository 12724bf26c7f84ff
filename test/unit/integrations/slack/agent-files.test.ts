/**
 * Agents' files from Slack (integrations/slack/agent-files.ts): the file objects read from a message, the hosts the
 * bot token may go to, and the fetch bounded in bytes, refusing Slack's sign-in page and redirects.
 */
import {
  fetchSlackFiles,
  isSlackFileUrl,
  MAX_SLACK_FILES,
  slackFilesOf,
} from '../../../../integrations/slack/agent-files';

describe('slackFilesOf', () => {
  it('reads name, type, size and the download URL; an external file has no URL; junk is skipped', () => {
    expect(
      slackFilesOf([
        { id: 'F1', name: 'a.png', mimetype: 'image/png', size: 3, url_private: 'https://files.slack.com/p/a.png' },
        {
          id: 'F2',
          title: 'Doc',
          mode: 'external',
          url_private: 'https://docs.google.com/x',
          url_private_download: 'https://docs.google.com/y',
        },
        {
          id: 'F3',
          name: 'b.pdf',
          url_private: 'https://files.slack.com/p',
          url_private_download: 'https://files.slack.com/d',
        },
        'junk',
        { name: 42 },
      ]),
    ).toEqual([
      { name: 'a.png', mimetype: 'image/png', size: 3, url: 'https://files.slack.com/p/a.png' },
      { name: 'Doc' },
      { name: 'b.pdf', url: 'https://files.slack.com/d' },
    ]);
    expect(slackFilesOf(undefined)).toEqual([]);
    expect(slackFilesOf({ files: [] })).toEqual([]);
  });
});

describe('isSlackFileUrl', () => {
  it("only Slack's file host over https, or the configured API's origin", () => {
    expect(isSlackFileUrl('https://files.slack.com/files-pri/T1-F1/a.png', undefined)).toBe(true);
    expect(isSlackFileUrl('http://files.slack.com/files-pri/T1-F1/a.png', undefined)).toBe(false);
    expect(isSlackFileUrl('https://files.slack.com:8443/a', undefined)).toBe(false);
    expect(isSlackFileUrl('https://files.slack.com.evil.example/a', undefined)).toBe(false);
    expect(isSlackFileUrl('https://evil.example/files.slack.com/a', 'https://slack.com/api/')).toBe(false);
    expect(isSlackFileUrl('http://127.0.0.1:4000/files-pri/x', 'http://127.0.0.1:4000/api/')).toBe(true);
    expect(isSlackFileUrl('http://127.0.0.1:4001/files-pri/x', 'http://127.0.0.1:4000/api/')).toBe(false);
    expect(isSlackFileUrl('not a url', 'http://127.0.0.1:4000/api/')).toBe(false);
  });
});

describe('fetchSlackFiles', () => {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fake =
    (answer: (url: string) => Response): typeof fetch =>
    (input, init) => {
      const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
      calls.push({ url, init });
      return Promise.resolve(answer(url));
    };
  beforeEach(() => calls.splice(0));

  const opts = (f: typeof fetch, maxBytes = 10) => ({
    token: 'xoxb-1',
    maxBytes,
    signal: AbortSignal.timeout(5000),
    fetch: f,
  });

  it('fetches with the bot token, no redirect followed, and keeps the bytes', async () => {
    const got = await fetchSlackFiles(
      [{ name: 'a.png', mimetype: 'image/png', url: 'https://files.slack.com/a' }],
      opts(fake(() => new Response(Buffer.from('abc'), { headers: { 'content-type': 'image/png' } }))),
    );
    expect(got.notFetched).toEqual([]);
    expect(got.files).toEqual([{ name: 'a.png', contentType: 'image/png', bytes: Buffer.from('abc') }]);
    expect(calls[0]!.init?.headers).toEqual({ authorization: 'Bearer xoxb-1' });
    expect(calls[0]!.init?.redirect).toBe('error');
  });

  it('names what it does not fetch: too large (stated or read), elsewhere, not hosted, sign-in page, an error', async () => {
    const got = await fetchSlackFiles(
      [
        { name: 'stated.png', size: 11, url: 'https://files.slack.com/s' },
        { name: 'read.png', url: 'https://files.slack.com/big' },
        { name: 'away.png', url: 'https://evil.example/a' },
        { name: 'ext.doc' },
        { name: 'page.png', mimetype: 'image/png', url: 'https://files.slack.com/page' },
        { name: 'gone.png', url: 'https://files.slack.com/404' },
      ],
      opts(
        fake((url) =>
          url.endsWith('/big')
            ? new Response(Buffer.alloc(11))
            : url.endsWith('/page')
              ? new Response('<html>Sign in</html>', { headers: { 'content-type': 'text/html; charset=utf-8' } })
              : new Response('no', { status: 404 }),
        ),
      ),
    );
    expect(got.files).toEqual([]);
    expect(got.notFetched.map((n) => [n.name, n.reason])).toEqual([
      ['stated.png', 'too large'],
      ['read.png', 'too large'],
      ['away.png', 'hosted elsewhere'],
      ['ext.doc', 'not hosted by Slack'],
      ['page.png', 'not served (token refused?)'],
      ['gone.png', 'answered 404'],
    ]);
    // The token never went off Slack's host.
    expect(calls.map((c) => c.url).every((u) => u.startsWith('https://files.slack.com/'))).toBe(true);
  });

  it(`fetches at most ${MAX_SLACK_FILES} files of a message`, async () => {
    const refs = Array.from({ length: MAX_SLACK_FILES + 1 }, (_, i) => ({
      name: `${i}.png`,
      url: 'https://files.slack.com/x',
    }));
    const got = await fetchSlackFiles(refs, opts(fake(() => new Response('x'))));
    expect(got.files).toHaveLength(MAX_SLACK_FILES);
    expect(got.notFetched).toEqual([{ name: `${MAX_SLACK_FILES}.png`, reason: 'too many files' }]);
  });
});
