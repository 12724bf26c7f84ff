/**
 * Drill (issue 15, c): one huge email reply must not stop an app's email inbound. Through a real GreenMail, an agent
 * answers a conversation with a normal reply, then a 2.5 MB reply (before: refused by Temporal, "Blob data size
 * exceeds limit", the session rethrew and the cursor never passed it), then a reply of 600 kB of text (under
 * `email.maxMailBytes`, over the reply budget), then two normal replies. The 2.5 MB mail is ignored as `oversized`
 * (marked, counted, logged), the long one arrives cut at its marker, and every other reply arrives once, in order.
 */
import { PROCESSED_KEYWORD } from '../integrations/email/inbox-session';
import { expectClean, reportDrill, tallyDrill } from './helpers/drill';
import { inboundCount, replyToOf, startEmailStack, waitForNotifications, type EmailStack } from './helpers/email-stack';
import { fetchMails, rawMail, sendRawMail } from './helpers/mail';
import { testAdminKey } from './helpers/parley';
import { waitFor } from './helpers/wait';

let stack: EmailStack;
afterAll(async () => {
  await stack?.close();
});

/** Text of about `bytes`, in lines SMTP carries (under 998 characters). */
function bulk(label: string, bytes: number): string {
  const line = `${label} `.padEnd(75, 'x');
  return Array.from({ length: Math.ceil(bytes / 77) }, () => line).join('\n');
}

async function cutCount(): Promise<number> {
  const text = await (
    await fetch(`${stack.parley.apiUrl}/metrics`, { headers: { authorization: `Bearer ${testAdminKey}` } })
  ).text();
  const line = text.split('\n').find((l) => l.startsWith('parley_agent_replies_cut_total{integration="email"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

it('ignores a 2.5 MB reply with its reason and relays the replies after it', async () => {
  const startedAt = Date.now();
  stack = await startEmailStack({ label: 'oversized' });
  const user = 'olga';
  await stack.api('POST', stack.userPath(user, '/messages'), { text: 'Where is my order?' });
  const [notification] = await waitForNotifications(stack, user, 1);
  const to = replyToOf(notification!);
  const reply = (subject: string, text: string) =>
    sendRawMail(
      stack.agent,
      'agent@acme.com',
      [to],
      rawMail({
        from: 'Ana Agent <agent@acme.com>',
        to,
        subject,
        text,
        headers: { 'In-Reply-To': notification!.parsed.messageId! },
      }),
    );

  const sent = ['first normal reply', 'long reply', 'second normal reply', 'third normal reply'];
  await reply('Re: 1', sent[0]!);
  await reply('Re: huge', bulk('huge reply', 2_500_000));
  await reply('Re: long', bulk('long reply', 600_000));
  await reply('Re: 2', sent[2]!);
  await reply('Re: 3', sent[3]!);

  await waitFor(() => stack.repliesFor(user).length >= 4, { timeoutMs: 60_000, what: 'the four relayable replies' });
  const texts = stack.repliesFor(user).map((d) => String(d.body.data.message?.text));
  // The long reply arrives cut: its first words, then the marker.
  const received = texts.map((t) => (t.startsWith('long reply') ? 'long reply' : t));
  const long = texts.find((t) => t.startsWith('long reply')) ?? '';
  expect(long.endsWith("… [cut: the full reply is in the team's mailbox]")).toBe(true);
  expect(Buffer.byteLength(long)).toBeLessThanOrEqual(32_000);
  expect(texts.some((t) => t.startsWith('huge reply'))).toBe(false);

  const oversized = await waitFor(async () => ((await inboundCount(stack, 'oversized')) >= 1 ? 1 : undefined), {
    what: 'the oversized mail counted',
  });
  const mails = await fetchMails(stack.support);
  const huge = mails.find((m) => m.parsed.subject === 'Re: huge');
  expect(huge?.keywords.has(PROCESSED_KEYWORD)).toBe(true);
  expect(await inboundCount(stack, 'relayed')).toBe(4);
  expect(await cutCount()).toBe(1);

  const tally = tallyDrill('email-oversized', { [user]: sent }, { [user]: received });
  reportDrill(
    tally,
    startedAt,
    `a 2.5 MB reply ignored as oversized (${oversized} counted, marked ${PROCESSED_KEYWORD}); ` +
      `a 600 kB reply relayed cut to ${Buffer.byteLength(long)} bytes`,
  );
  expectClean(tally);
});
