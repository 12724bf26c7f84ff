/**
 * Figure 3: user message → post seen by the Slack emulator. First the most the relay carries (a burst to every
 * conversation), then open-loop runs at 50 % and 90 % of that rate with end-to-end latency.
 */
import { randomUUID } from 'node:crypto';
import { startSlackEmulator, type SlackEmulator } from '../test/emulators/slack';
import { waitFor } from '../test/helpers/wait';
import { pool, postJson, startStack, type Harness } from './harness';
import { envNumber, latencies, ms, num, printTable, workerSettings } from './report';

/** When each text was first posted to Slack (the emulator's clock, same machine). */
function postedAt(slack: SlackEmulator, prefix: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const c of slack.calls) {
    const text = c.args.text;
    if (c.method !== 'chat.postMessage' || c.status !== 200 || typeof text !== 'string') continue;
    if (text.startsWith(prefix) && !seen.has(text)) seen.set(text, c.at);
  }
  return seen;
}

export async function relay(h: Harness): Promise<void> {
  const conversations = envNumber('BENCH_RELAY_CONVERSATIONS', 100);
  const burstPerConversation = envNumber('BENCH_RELAY_BURST', 5);
  const seconds = envNumber('BENCH_RELAY_SECONDS', 20);
  const concurrency = envNumber('BENCH_CONCURRENCY', 32);
  const slack = await startSlackEmulator();
  slack.addUser({ id: 'U0INSTALL', name: 'ines', realName: 'Ines Installer', email: 'ines@example.com' });
  const key = `bench_${randomUUID().replace(/-/g, '')}`;
  const stack = await startStack(h, 'relay', {
    apps: [
      {
        id: 'relay',
        apiKeys: [key],
        slack: {
          botToken: slack.botToken,
          signingSecret: slack.signingSecret,
          installerUserId: 'U0INSTALL',
          apiUrl: slack.apiUrl,
        },
      },
    ],
  });
  const post = (user: number, text: string) =>
    postJson(`${stack.apiUrl}/v1/apps/relay/users/r${user}/messages`, key, { text });
  const rows: (string | number)[][] = [];
  try {
    // Warm-up: every conversation has its channel (created, announced, installer invited) before timing.
    await pool(conversations, concurrency, async (u) => void (await post(u, `warm ${u}`)));
    await waitFor(() => postedAt(slack, 'warm ').size >= conversations, {
      timeoutMs: 300_000,
      intervalMs: 500,
      what: 'every channel open',
    });

    // The most it carries: a burst of `burstPerConversation` messages to every conversation at once.
    const burst = conversations * burstPerConversation;
    const sentAt = new Map<string, number>();
    const t0 = Date.now();
    await pool(burst, concurrency, async (i) => {
      const text = `max ${i}`;
      sentAt.set(text, Date.now());
      await post(i % conversations, text);
    });
    await waitFor(() => postedAt(slack, 'max ').size >= burst, {
      timeoutMs: 600_000,
      intervalMs: 250,
      what: 'the burst in Slack',
    });
    const burstSeen = postedAt(slack, 'max ');
    const burstSeconds = (Math.max(...burstSeen.values()) - t0) / 1000;
    const maxRate = burst / burstSeconds;
    const burstLatency = latencies([...burstSeen].map(([t, at]) => at - (sentAt.get(t) ?? at)));
    rows.push([
      `max (burst of ${num(burst)})`,
      '–',
      num(maxRate, 1),
      ms(burstLatency.p50),
      ms(burstLatency.p95),
      ms(burstLatency.p99),
    ]);

    // Open loop at a fraction of that: message i leaves at t0 + i / rate, whatever the answers do.
    for (const share of [0.5, 0.9]) {
      const rate = maxRate * share;
      const total = Math.max(1, Math.round(rate * seconds));
      const prefix = `at${share * 100} `;
      const sent = new Map<string, number>();
      const start = Date.now();
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const text = `${prefix}${i}`;
        sent.set(text, Date.now());
        inFlight.push(post(i % conversations, text));
      }
      await Promise.all(inFlight);
      await waitFor(() => postedAt(slack, prefix).size >= total, {
        timeoutMs: 600_000,
        intervalMs: 250,
        what: `the ${share * 100} % run in Slack`,
      });
      const seen = postedAt(slack, prefix);
      const lat = latencies([...seen].map(([t, at]) => at - (sent.get(t) ?? at)));
      const achieved = total / ((Math.max(...seen.values()) - start) / 1000);
      rows.push([`${share * 100} % of max`, num(rate, 1), num(achieved, 1), ms(lat.p50), ms(lat.p95), ms(lat.p99)]);
    }
  } finally {
    await stack.stop();
    await slack.close();
  }
  printTable(
    '3. Relay: user message → post in the Slack emulator',
    {
      conversations,
      burstPerConversation,
      secondsPerRun: seconds,
      slackPacing: '1 post/s per channel (Parley default)',
      ...workerSettings(),
    },
    ['run', 'offered per second', 'relayed per second', 'p50', 'p95', 'p99'],
    rows,
    [
      'End to end: from just before the POST to the emulator receiving chat.postMessage. The burst row shows the most',
      'the relay carried; each channel is paced at Slack’s 1 post per second, so a burst of N per channel takes ≥ N s.',
    ],
  );
}
