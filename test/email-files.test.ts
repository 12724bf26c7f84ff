/**
 * Users' files by mail, against a real GreenMail: a PNG inline in the HTML part (by `cid:`), a PDF as an attachment,
 * the bytes as the user sent them; a tap reads "<user> tapped *Yes*"; a text-only notification has no attachments.
 */
import { pdf, png } from './helpers/files';
import { startEmailStack, waitForNotifications, type EmailStack } from './helpers/email-stack';

let stack: EmailStack;
beforeAll(async () => {
  stack = await startEmailStack({ label: 'files' });
});
afterAll(() => stack?.close());

async function upload(bytes: Buffer, name: string, type: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${stack.parley.apiUrl}/v1/apps/${stack.appId}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.config.apps[0]!.apiKeys[0]!}` },
    body: form,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { file: { id: string } }).file.id;
}

describe('files from users by mail', () => {
  it('inlines an image in the HTML part and attaches a PDF', async () => {
    const image = png(12, 12);
    const doc = pdf('Order 9');
    const ids = [await upload(image, 'screen.png', 'image/png'), await upload(doc, 'order.pdf', 'application/pdf')];
    await stack.api('PUT', stack.userPath('jane'), { givenName: 'Jane' });
    const res = await stack.api('POST', stack.userPath('jane', '/messages'), {
      text: 'See attached',
      attachments: ids.map((fileId) => ({ fileId })),
    });
    expect(res.status).toBe(202);
    const [mail] = await waitForNotifications(stack, 'jane', 1);
    const attachments = mail!.parsed.attachments;
    expect(attachments.map((a) => [a.filename, a.contentType, a.contentDisposition])).toEqual([
      ['screen.png', 'image/png', 'inline'],
      ['order.pdf', 'application/pdf', 'attachment'],
    ]);
    expect(attachments[0]!.content.equals(image)).toBe(true);
    expect(attachments[1]!.content.equals(doc)).toBe(true);
    const cid = attachments[0]!.cid;
    expect(cid).toBeTruthy();
    // mailparser rewrites cid: references to data: URLs in `html`; the raw mail holds the reference itself.
    expect(mail!.raw.toString()).toContain(`cid:${cid}`);
    expect(mail!.parsed.text).toContain('📎 order.pdf (attached)');
  });

  it('mails a tap as "<user> tapped *Yes*", and a text-only message without attachments', async () => {
    await stack.api('PUT', stack.userPath('tom'), { givenName: 'Tom' });
    await stack.api('POST', stack.userPath('tom', '/messages'), { text: 'just words' });
    await stack.api('POST', stack.userPath('tom', '/messages'), { postback: { payload: 'YES', text: 'Yes <b>' } });
    const mails = await waitForNotifications(stack, 'tom', 2);
    const plain = mails.find((m) => m.parsed.text?.includes('just words'));
    expect(plain?.parsed.attachments).toEqual([]);
    const tap = mails.find((m) => m.parsed.text?.includes('tapped'));
    expect(tap?.parsed.text).toContain('Tom tapped *Yes <b>*');
    expect(tap?.raw.toString()).toContain('Tom tapped *Yes &lt;b&gt;*');
  });
});
