/**
 * Which files of an agent's reply mail reach the user (integrations/email/inbound.ts `agentFilesOf`): attachments,
 * and the inline images the agent's own part of the HTML shows; not those only the quote shows, not a delivery
 * report's parts. A mail of files alone is a reply.
 */
import { simpleParser } from 'mailparser';
import { agentFilesOf, type InboundContext } from '../../../../integrations/email/inbound';
import { readMail } from '../../../../integrations/email/inbox-session';
import { replyAddressWithToken, replyToken } from '../../../../integrations/email/token';
import { agentReplyWithFiles } from '../../../helpers/agent-mail';

const secret = 'a-token-secret-of-some-length';
const inbound: InboundContext = {
  appId: 'acme',
  replyAddress: 'support@example.com',
  allowedSenders: ['@acme.com'],
  tokenSecrets: [secret],
};
const to = replyAddressWithToken('support@example.com', replyToken(secret, 'acme', 'conversation:acme:jane'));

const part = (filename: string, contentType: string, inlineCid?: string) => ({
  filename,
  contentType,
  bytes: Buffer.from(`bytes of ${filename}`),
  ...(inlineCid ? { inlineCid } : {}),
});

function reply(html: string, parts: ReturnType<typeof part>[], text = 'Here you go.'): Buffer {
  return Buffer.from(
    agentReplyWithFiles({ from: 'Ana <ana@acme.com>', to, subject: 'Re: [Acme] Jane', text, html, parts }),
  );
}

describe('agentFilesOf', () => {
  it('keeps attachments and the images the reply itself shows; not those of the quote', async () => {
    const mail = await simpleParser(
      reply('<p>Here you go <img src="cid:Shot@Acme"></p><blockquote>old <img src="cid:logo@old"></blockquote>', [
        part('shot.png', 'image/png', 'shot@acme'),
        part('logo.png', 'image/png', 'logo@old'),
        part('unused.png', 'image/png', 'unused@acme'),
        part('a.pdf', 'application/pdf'),
      ]),
    );
    expect(agentFilesOf(mail).map((f) => [f.name, f.contentType, f.bytes.toString()])).toEqual([
      ['shot.png', 'image/png', 'bytes of shot.png'],
      ['a.pdf', 'application/pdf', 'bytes of a.pdf'],
    ]);
  });

  it('a reply without HTML keeps only its attachments', () => {
    const files = agentFilesOf({
      html: false,
      attachments: [
        {
          filename: 'x.png',
          contentType: 'image/png',
          contentDisposition: 'inline',
          cid: 'x@y',
          content: Buffer.from('x'),
        },
        {
          filename: 'y.pdf',
          contentType: 'application/pdf',
          contentDisposition: 'attachment',
          content: Buffer.from('y'),
        },
        { contentType: 'message/delivery-status', contentDisposition: 'attachment', content: Buffer.from('z') },
        { contentType: 'application/pdf', contentDisposition: 'attachment', content: Buffer.from('w') },
      ] as never,
    });
    expect(files.map((f) => f.name)).toEqual(['y.pdf', 'attachment-2.pdf']);
  });
});

describe('decide: a reply with files', () => {
  it('carries them; a mail of files alone is a reply, not empty_reply', async () => {
    const withText = await readMail(reply('<p>Here you go.</p>', [part('a.pdf', 'application/pdf')]), inbound);
    expect(withText).toMatchObject({ kind: 'reply', text: 'Here you go.', files: [{ name: 'a.pdf' }] });
    const alone = await readMail(reply('', [part('a.pdf', 'application/pdf')], ''), inbound);
    expect(alone).toMatchObject({ kind: 'reply', text: '', files: [{ name: 'a.pdf' }] });
    expect(await readMail(reply('', [], ''), inbound)).toMatchObject({ kind: 'ignored', reason: 'empty_reply' });
  });
});
