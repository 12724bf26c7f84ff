/**
 * The fault drills' bookkeeping: what was sent per stream (a conversation, in order), what arrived, and one
 * summary line — sent, delivered, lost, duplicated, out of order — that every drill prints and asserts on.
 */

export interface DrillTally {
  drill: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

/**
 * Compares, stream by stream, the items sent (in the order the client sent them) with the items received (in
 * arrival order, repeats included). `extraDuplicates` adds repeats seen elsewhere (e.g. repeated event ids).
 */
export function tallyDrill(
  drill: string,
  sent: Record<string, string[]>,
  received: Record<string, string[]>,
  extraDuplicates = 0,
): DrillTally {
  const tally: DrillTally = { drill, sent: 0, delivered: 0, lost: 0, duplicated: extraDuplicates, outOfOrder: 0 };
  for (const [stream, expected] of Object.entries(sent)) {
    const got = received[stream] ?? [];
    const position = new Map(expected.map((item, i) => [item, i]));
    const firstSeen = new Set<string>();
    let last = -1;
    for (const item of got) {
      if (firstSeen.has(item)) {
        tally.duplicated++;
        continue;
      }
      firstSeen.add(item);
      const at = position.get(item);
      if (at === undefined) continue;
      tally.delivered++;
      // Out of order: an item that arrives after one that was sent later than it.
      if (at < last) tally.outOfOrder++;
      last = Math.max(last, at);
    }
    tally.sent += expected.length;
    tally.lost += expected.filter((item) => !firstSeen.has(item)).length;
  }
  return tally;
}

/** The drill's one-line summary on stdout (also in CI logs), with its run time and any detail worth keeping. */
export function reportDrill(tally: DrillTally, startedAt: number, detail = ''): void {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(
    `drill ${tally.drill}: sent ${tally.sent}, delivered ${tally.delivered}, lost ${tally.lost}, ` +
      `duplicated ${tally.duplicated}, out of order ${tally.outOfOrder} (${seconds} s)${detail ? `; ${detail}` : ''}\n`,
  );
}

/** Every drill's verdict: nothing lost, nothing doubled, order kept. */
export function expectClean(tally: DrillTally): void {
  expect({ lost: tally.lost, duplicated: tally.duplicated, outOfOrder: tally.outOfOrder }).toEqual({
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
  });
  expect(tally.delivered).toBe(tally.sent);
}

/**
 * Posts a user message as a careful client app does: the same idempotency key until Parley answers 202, so an
 * outage delays a message but never drops or doubles it. Returns how many attempts failed.
 */
export async function postUntilAccepted(
  apiUrl: string,
  key: string,
  path: string,
  body: { text: string; id: string },
  options: { timeoutMs?: number; retryMs?: number; onAttempt?: () => void } = {},
): Promise<number> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let failures = 0;
  for (;;) {
    options.onAttempt?.();
    try {
      const res = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      if (res.status === 202) return failures;
      if (res.status < 500) throw new Error(`POST ${path} answered ${res.status}: not retrying a client error`);
    } catch (err) {
      if (err instanceof Error && err.message.includes('not retrying')) throw err;
    }
    failures++;
    if (Date.now() > deadline) throw new Error(`POST ${path} not accepted within the deadline`);
    await new Promise((r) => setTimeout(r, options.retryMs ?? 250));
  }
}
