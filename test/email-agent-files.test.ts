/**
 * Agents' files by mail, against a real GreenMail: an agent answers the notification from a mail client with a PDF
 * attached and a screenshot pasted in the reply (inline, by `cid:`); the app's webhook gets both as Parley files
 * whose signed URLs serve the agent's bytes. An inline image only the quoted mail shows stays out; a type Parley
 * does not accept is named in the reply's text.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentReplyWithFiles } from './helpers/agent-mail';
import { replyToOf, startEmailStack, waitForNotifications, type EmailStack } from './helpers/email-stack';
import { pdf, png } from './helpers/files';
import { sendRawMail } from './helpers/mail';
import { waitFor } from './helpers/wait';

let stack: EmailStack;
let root: string;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-email-agent-files-'));
  stack = await startEmailStack({ label: 'agentfiles', storage: { kind: 'fs', path: root } });
});
afterAll(async () => {
  await stack?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

interface AgentAttachment {
  name: string;
  mediaType: string;
  size: number;
  url: string;
}

async function bytesAt(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('files from agents by mail', () => {
  it("relays the reply's PDF and its pasted screenshot with working signed URLs; the quote's image stays out", async () => {
    await stack.api('PUT', stack.userPath('jane'), { givenName: 'Jane' });
    expect(
      (await stack.api('POST', stack.userPath('jane', '/messages'), { text: 'Where is my invoice?' })).status,
    ).toBe(202);
    const [notification] = await waitForNotifications(stack, 'jane', 1);
    const invoice = pdf('Invoice 42');
    const shot = png(9, 9, [20, 160, 60]);
    const logo = png(3, 3, [1, 1, 1]);
    await sendRawMail(
      stack.agent,
      'agent@acme.com',
      [replyToOf(notification!)],
      agentReplyWithFiles({
        from: '"Ana Agent" <agent@acme.com>',
        to: replyToOf(notification!),
        subject: `Re: ${notification!.parsed.subject}`,
        inReplyTo: notification!.parsed.messageId!,
        text: 'Here it is, and where to find it.\n\nOn Sat, Acme Support wrote:\n> Where is my invoice?',
        html:
          '<div dir="ltr">Here it is, and where to find it.<br><img src="cid:shot@acme"></div>' +
          '<div class="gmail_quote"><blockquote class="gmail_quote">Where is my invoice?' +
          '<img src="cid:logo@old"></blockquote></div>',
        parts: [
          { filename: 'shot.png', contentType: 'image/png', bytes: shot, inlineCid: 'shot@acme' },
          { filename: 'logo.png', contentType: 'image/png', bytes: logo, inlineCid: 'logo@old' },
          { filename: 'invoice.pdf', contentType: 'application/pdf', bytes: invoice },
          { filename: 'run.sh', contentType: 'application/x-sh', bytes: Buffer.from('#!/bin/sh\necho hi\n') },
        ],
      }),
    );
    const [reply] = await waitFor(() => (stack.repliesFor('jane').length ? stack.repliesFor('jane') : undefined), {
      what: "the agent's reply at the app",
      timeoutMs: 30_000,
    });
    expect(reply!.signatureValid).toBe(true);
    const message = reply!.body.data.message as { text: string; attachments?: AgentAttachment[] };
    expect(message.text).toBe('Here it is, and where to find it.\n(not relayed: run.sh)');
    expect(message.attachments?.map((a) => [a.name, a.mediaType, a.size])).toEqual([
      ['shot.png', 'image/png', shot.length],
      ['invoice.pdf', 'application/pdf', invoice.length],
    ]);
    expect((await bytesAt(message.attachments![0]!.url)).equals(shot)).toBe(true);
    expect((await bytesAt(message.attachments![1]!.url)).equals(invoice)).toBe(true);
  });
});
