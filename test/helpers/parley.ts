/** Builds a real Parley (worker + API) for a test file, against the run's dev server, on its own task queue. */
import { randomBytes } from 'node:crypto';
import { waitFor } from './wait';
import type { EncryptionSettings } from '../../common/codec';
import { configSchema, type ParleyConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { startParley, type RunningParley } from '../../workers/parley';

export interface TestParley extends RunningParley {
  apiUrl: string;
  taskQueue: string;
  config: ParleyConfig;
}

export function testKey(label = 'k'): string {
  return `${label}_${randomBytes(16).toString('hex')}`;
}

/** The admin key of every test's Parley (integration routes, outbox resume, `/metrics`, `/readyz` details). */
export const testAdminKey = testKey('sk_admin');

/** A config as the file would give it; `admin: { keys: [testAdminKey] }` unless the test sets its own `admin`. */
export function testConfig(raw: unknown): ParleyConfig {
  const withAdmin =
    raw && typeof raw === 'object' && !('admin' in raw) ? { admin: { keys: [testAdminKey] }, ...raw } : raw;
  return configSchema.parse(withAdmin);
}

export function temporalAddress(): string {
  const address = process.env.PARLEY_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('no test Temporal server: run the tests through jest (globalSetup starts one)');
  return address;
}

export async function startTestParley(options: {
  config: ParleyConfig;
  taskQueue?: string;
  continueAsNewAfterEvents?: number;
  worker?: boolean;
  encryption?: EncryptionSettings;
  port?: number;
  /** `PARLEY_METRICS_PORT` (0: a free port; `metricsUrl` says which). */
  metricsPort?: number;
  /** Another Temporal address than the run's dev server (a proxy in front of it). */
  temporalAddress?: string;
  /** The worker's local first attempts at once; 0 sends by the regular activity, whose input the history shows. */
  maxLocalSends?: number;
}): Promise<TestParley> {
  const taskQueue = options.taskQueue ?? `test-${randomBytes(6).toString('hex')}`;
  const bundlePath = process.env.PARLEY_TEST_WORKFLOW_BUNDLE;
  const parley = await startParley({
    loaded: { config: options.config },
    temporal: { address: options.temporalAddress ?? temporalAddress(), namespace: 'default', taskQueue },
    log: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'error', name: 'parley-test' }),
    host: '127.0.0.1',
    port: options.port ?? 0,
    ...(options.worker === false ? { worker: false } : {}),
    ...(options.encryption ? { encryption: options.encryption } : {}),
    ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
    ...(options.maxLocalSends !== undefined ? { maxLocalSends: options.maxLocalSends } : {}),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    ...(options.continueAsNewAfterEvents !== undefined
      ? { continueAsNewAfterEvents: options.continueAsNewAfterEvents }
      : {}),
  });
  if (!parley.apiUrl) throw new Error('the API did not start');
  return { ...parley, apiUrl: parley.apiUrl, taskQueue, config: options.config };
}

// Tests read response bodies field by field and let the assertions check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

/** A small client for the client API: real HTTP, JSON in and out. */
export function apiClient(baseUrl: string, key?: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ApiResponse
  return async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (key) (init.headers as Record<string, string>).authorization = `Bearer ${key}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, init);
    } catch (err) {
      // A keep-alive connection the server closed as the request went out (a loaded machine delays the client's
      // idle timer past the server's): sent again once when that is safe, as an HTTP client library does.
      if (!closedUnderUs(err) || !idempotent(method, body)) throw err;
      res = await fetch(`${baseUrl}${path}`, init);
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** The server closed the connection before answering (undici's `other side closed`, a reset). */
function closedUnderUs(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET' || cause?.message === 'other side closed';
}

/** Safe to send twice: a read, a PUT or DELETE, or a post carrying its idempotency key (`id`). */
function idempotent(method: string, body: unknown): boolean {
  if (method === 'GET' || method === 'PUT' || method === 'DELETE') return true;
  return typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string';
}

/** Polls `GET …/conversation` until the user's outbox `key` is in `status`; returns that outbox as the API shows it. */
export async function waitForOutbox(
  call: ReturnType<typeof apiClient>,
  appId: string,
  userId: string,
  key: string,
  status: string,
  timeoutMs = 20_000,
) {
  return waitFor(
    async () => {
      const r = await call('GET', `/v1/apps/${appId}/users/${encodeURIComponent(userId)}/conversation`);
      return r.body.outboxes?.find((b: { key: string; status: string }) => b.key === key && b.status === status);
    },
    { timeoutMs, what: `the ${key} outbox ${status}` },
  );
}

/**
 * `apps[].limits` high enough never to answer 429: for tests that post faster than a client is allowed (thousands of
 * messages to one user to reach continue-as-new) and measure something else than the rate limits.
 */
export const NO_RATE_LIMITS = {
  messagesPerSecond: 1_000_000,
  burst: 1_000_000,
  newConversationsPerMinute: 1_000_000,
  perUser: { messagesPerSecond: 1_000_000, burst: 1_000_000 },
} as const;
