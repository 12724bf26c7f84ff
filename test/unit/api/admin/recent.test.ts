import { createMetrics } from '../../../../common/metrics';
import { createRecentCounts, HOUR_MS } from '../../../../api/admin/recent';

describe('counts of the last hour', () => {
  it('answers since start when younger than an hour, then the difference with an hour ago', async () => {
    let now = 10_000_000;
    const metrics = createMetrics({ defaults: false });
    metrics.relayed.inc({ integration: 'zendesk', direction: 'out' }, 5);
    const recent = createRecentCounts(metrics, { now: () => now, timer: false });
    await recent.lastHour(); // the first snapshot is taken
    metrics.relayed.inc({ integration: 'zendesk', direction: 'out' }, 2);
    metrics.relayed.inc({ integration: 'api', direction: 'in' }, 9);
    metrics.sendFailures.inc({ integration: 'zendesk', code: 'zendesk_ticket_deleted' });
    now += 60_000;
    let w = await recent.lastHour();
    expect(w).toEqual({ since: 10_000_000, fullHour: false, counts: { zendesk: { relayed: 2, failed: 1 } } });

    for (let i = 0; i < 70; i++) {
      await recent.sample();
      now += 60_000;
    }
    metrics.relayed.inc({ integration: 'slack', direction: 'out' }, 4);
    w = await recent.lastHour();
    expect(w.fullHour).toBe(true);
    expect(now - w.since).toBeGreaterThanOrEqual(HOUR_MS);
    expect(now - w.since).toBeLessThan(HOUR_MS + 120_000);
    expect(w.counts).toEqual({ zendesk: { relayed: 0, failed: 0 }, slack: { relayed: 4, failed: 0 } });
    recent.stop();
  });
});
