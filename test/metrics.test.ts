/**
 * `GET /metrics` after a scripted conversation shows the right counts: on the metrics port (PARLEY_METRICS_PORT,
 * loopback) without a key, and on the public port only with an admin key.
 */
import { randomBytes } from 'node:crypto';
import { agentReply } from './helpers/agent';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { waitFor } from './helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver';
import { startTestSink, type TestSink } from './emulators/test-sink';

const key = testKey('metrics');
const secret = `whsec_${randomBytes(16).toString('hex')}`;
let sink: TestSink;
let receiver: WebhookReceiver;
let parley: TestParley;

beforeAll(async () => {
  sink = await startTestSink();
  receiver = await startWebhookReceiver(secret);
  parley = await startTestParley({
    config: testConfig({
      apps: [{ id: 'metrics', apiKeys: [key], webhooks: [{ url: receiver.url, secret }], sink: { url: sink.url } }],
    }),
    metricsPort: 0,
  });
});
afterAll(async () => {
  await parley?.stop();
  await sink?.close();
  await receiver?.close();
});

/** The value of one sample in Prometheus text format, e.g. `parley_x_total{a="b"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const have = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

it('counts requests, relayed messages, rate-limit waits and webhook deliveries', async () => {
  const api = apiClient(parley.apiUrl, key);
  sink.failNext({ status: 429, headers: { 'retry-after': '1' } });
  for (const text of ['one', 'two', 'three'])
    expect((await api('POST', '/v1/apps/metrics/users/m1/messages', { text })).status).toBe(202);
  expect((await api('POST', '/v1/apps/metrics/users/m1/messages', { text: '' })).status).toBe(400);
  await agentReply(parley.client, 'metrics', 'm1', 'r1', 'hello back');
  await waitFor(() => sink.items('conversation:metrics:m1').length === 4 && receiver.events().length === 1, {
    timeoutMs: 20_000,
  });

  const text = await waitFor(async () => {
    const res = await fetch(parley.metricsUrl as string);
    const body = await res.text();
    return sample(body, 'parley_messages_relayed_total', { integration: 'sink', direction: 'out' }) === 4
      ? body
      : undefined;
  });
  const route = '/v1/apps/:appId/users/:userId/messages';
  expect(sample(text, 'parley_http_requests_total', { route, method: 'POST', status: '202' })).toBe(3);
  expect(sample(text, 'parley_http_requests_total', { route, method: 'POST', status: '400' })).toBe(1);
  expect(sample(text, 'parley_messages_relayed_total', { integration: 'api', direction: 'in' })).toBe(3);
  expect(sample(text, 'parley_messages_relayed_total', { integration: 'webhook', direction: 'out' })).toBe(1);
  expect(sample(text, 'parley_rate_limit_waits_total', { integration: 'sink' })).toBe(1);
  expect(sample(text, 'parley_rate_limit_wait_seconds_total', { integration: 'sink' })).toBe(1);
  expect(sample(text, 'parley_webhook_deliveries_total', { result: 'delivered' })).toBe(1);
  expect(sample(text, 'parley_relay_latency_seconds_count', { integration: 'sink' })).toBe(4);
  expect(text).not.toContain('m1');
});

it('keeps /metrics off the public port for anyone without an admin key', async () => {
  expect(parley.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const anonymous = await fetch(`${parley.apiUrl}/metrics`);
  expect(anonymous.status).toBe(401);
  const body = await anonymous.text();
  expect(JSON.parse(body)).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('admin key') } });
  expect(body).not.toContain('parley_');
  const client = await fetch(`${parley.apiUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  expect(client.status).toBe(403);
  const admin = await fetch(`${parley.apiUrl}/metrics`, { headers: { authorization: `Bearer ${testAdminKey}` } });
  expect(admin.status).toBe(200);
  expect(sample(await admin.text(), 'parley_messages_relayed_total', { integration: 'api', direction: 'in' })).toBe(3);
  // The metrics port serves /metrics and nothing else: not the API.
  const other = await fetch((parley.metricsUrl as string).replace(/\/metrics$/, '/v1/apps/metrics/users/m1/messages'), {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(other.status).toBe(404);
});
