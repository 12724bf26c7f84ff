/** Figure 6: Zendesk API calls for 50 messages in 5 seconds, and the same under a held rate limit. */
import { randomUUID } from 'node:crypto';
import { startZendeskEmulator, type ZendeskEmulator } from '../test/emulators/zendesk';
import { waitFor } from '../test/helpers/wait';
import { postJson, startStack, type Harness } from './harness';
import { envNumber, num, printTable, workerSettings } from './report';

function commentsHolding(zendesk: ZendeskEmulator, prefix: string): { comments: number; found: Set<string> } {
  const found = new Set<string>();
  let comments = 0;
  for (const t of zendesk.tickets()) {
    for (const c of t.comments) {
      const hits = c.body.match(new RegExp(`${prefix}\\d+\\b`, 'g')) ?? [];
      if (hits.length) comments++;
      for (const h of hits) found.add(h);
    }
  }
  return { comments, found };
}

export async function batching(h: Harness): Promise<void> {
  const messages = envNumber('BENCH_BATCH_MESSAGES', 50);
  const holdSeconds = envNumber('BENCH_BATCH_HOLD_SECONDS', 10);
  const zendesk = await startZendeskEmulator();
  const key = `bench_${randomUUID().replace(/-/g, '')}`;
  const stack = await startStack(h, 'batching', {
    apps: [
      { id: 'zd', apiKeys: [key], zendesk: { url: zendesk.url, email: zendesk.email, apiToken: zendesk.apiToken } },
    ],
  });
  const rows: (string | number)[][] = [];
  try {
    for (const held of [false, true]) {
      const user = held ? 'held' : 'free';
      const prefix = held ? 'h' : 'f';
      const say = (text: string) => postJson(`${stack.apiUrl}/v1/apps/zd/users/${user}/messages`, key, { text });
      // The ticket exists first, so the calls counted are the messages' own.
      await say(`${prefix}0`);
      await waitFor(() => commentsHolding(zendesk, prefix).found.has(`${prefix}0`), {
        timeoutMs: 60_000,
        what: 'the ticket opened',
      });
      const before = zendesk.calls.length;
      if (held) {
        zendesk.failNext(/\/tickets\/\d+\.json$/, { status: 429, retryAfter: holdSeconds, method: 'PUT' }, 1);
      }
      const t0 = Date.now();
      for (let i = 1; i <= messages; i++) {
        await say(`${prefix}${i}`);
        const due = t0 + (i * 5000) / messages;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      await waitFor(() => commentsHolding(zendesk, prefix).found.size >= messages + 1, {
        timeoutMs: 120_000,
        what: 'every message on the ticket',
      });
      const seconds = (Date.now() - t0) / 1000;
      const calls = zendesk.calls.slice(before);
      const writes = calls.filter((c) => c.method !== 'GET').length;
      rows.push([
        held ? `rate limited (429, Retry-After ${holdSeconds} s) at the first send` : 'no limit',
        num(messages),
        num(calls.length),
        num(writes),
        num(calls.filter((c) => c.status === 429).length),
        num(commentsHolding(zendesk, prefix).comments - 1),
        `${num(seconds, 1)} s`,
      ]);
    }
  } finally {
    await stack.stop();
    await zendesk.close();
  }
  printTable(
    '6. Batching: Zendesk API calls for 50 messages in 5 seconds',
    { messages, spread: '5 s', batchWindow: '5 s (Parley default)', ...workerSettings() },
    ['case', 'messages', 'API calls', 'of them writes', '429s', 'comments', 'all on the ticket after'],
    rows,
    ['Calls counted after the ticket exists; a send first reads the last comments (a retry must not double one).'],
  );
}
