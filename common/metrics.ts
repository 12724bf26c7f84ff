/** Parley's Prometheus metrics: one registry per process, shared by its API and worker. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(options: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'parley_process_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'parley_http_requests_total',
      help: 'API requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'API request duration by route',
      labelNames: ['route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    relayed: new Counter({
      name: 'parley_messages_relayed_total',
      help: 'Messages relayed, by integration and direction (in: into Parley, out: delivered by an outbox)',
      labelNames: ['integration', 'direction'] as const,
      registers,
    }),
    relayLatency: new Histogram({
      name: 'parley_relay_latency_seconds',
      help: 'From a message arriving at Parley to its delivery by an outbox',
      labelNames: ['integration'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    }),
    outboxBatch: new Histogram({
      name: 'parley_outbox_batch_items',
      help: 'Items an outbox had pending when it sent (its depth at send time)',
      labelNames: ['integration'] as const,
      buckets: [1, 2, 5, 10, 20, 50],
      registers,
    }),
    rateLimitWaits: new Counter({
      name: 'parley_rate_limit_waits_total',
      help: 'Times an outbox was held by a vendor rate limit',
      labelNames: ['integration'] as const,
      registers,
    }),
    rateLimitSeconds: new Counter({
      name: 'parley_rate_limit_wait_seconds_total',
      help: 'Seconds outboxes were told to wait by vendors',
      labelNames: ['integration'] as const,
      registers,
    }),
    sendFailures: new Counter({
      name: 'parley_send_failures_total',
      help: 'Failed send attempts by integration and error code',
      labelNames: ['integration', 'code'] as const,
      registers,
    }),
    localSendsDeclined: new Counter({
      name: 'parley_local_sends_declined_total',
      help: 'First send attempts not run locally (sent by the regular activity): busy (the worker ran its limit of local sends) or slow (the outbox sends slowly)',
      labelNames: ['reason'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'parley_webhook_deliveries_total',
      help: 'Client webhook delivery attempts by result (delivered, failed, rate_limited)',
      labelNames: ['result'] as const,
      registers,
    }),
    conversationBacklogged: new Counter({
      name: 'parley_conversation_backlogged_total',
      help: 'Messages refused with 429 conversation_backlogged (the conversation held a full backlog), by app',
      labelNames: ['app'] as const,
      registers,
    }),
    emailInbound: new Counter({
      name: 'parley_email_inbound_total',
      help: 'Mails read by the inbox watchers, by app and result (relayed, or the reason it was ignored)',
      labelNames: ['app', 'result'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'parley_rate_limited_total',
      help: 'Client API requests answered 429 rate_limited, by app and the limit hit (app, user, new_conversation)',
      labelNames: ['app', 'scope'] as const,
      registers,
    }),
    agentRepliesCut: new Counter({
      name: 'parley_agent_replies_cut_total',
      help: 'Agent replies over their byte budget, cut at a marker and delivered, by integration',
      labelNames: ['integration'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
