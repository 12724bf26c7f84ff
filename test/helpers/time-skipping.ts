/**
 * Long waits in seconds: a real Parley (its worker with the real activities, its API) on Temporal's time-skipping
 * test server, where `skip('7 days')` fires every timer and activity retry of a week at once. Not a mock: the test
 * server is Temporal's own (the Java SDK's), installed by `npm run temporal:install` as a native binary.
 *
 * What it supports, as far as Parley goes: workflows, signals, queries, timers, activity retries and timeouts, and
 * search attributes once registered (`addSearchAttributes` works; `listSearchAttributes` and visibility queries are
 * unimplemented, so `ensureSearchAttributes`, `/readyz` and `workflow.list` cannot run against it). An unregistered
 * search attribute fails the start with INVALID_ARGUMENT, hence the registration below.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Duration } from '@temporalio/common';
import { createApp } from '../../api/app';
import type { ParleyConfig } from '../../common/config';
import { createLogger } from '../../common/logger';
import { parleyHome } from '../../common/paths';
import { SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { installTemporalRuntime } from '../../workers/runtime';
import { findTestServer, TEST_SERVER_INSTALL_HELP } from '../../workers/temporal-cli';
import { createParleyWorker } from '../../workers/worker';

const INDEXED = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

/** The test server's binary, where `npm run temporal:install` put it (or `TEMPORAL_TEST_SERVER_PATH`). */
export function testServerPath(): string {
  const found = findTestServer(parleyHome());
  if (!found) throw new Error(`no time-skipping test server under ${parleyHome()}/bin.\n${TEST_SERVER_INSTALL_HELP}`);
  return found;
}

/** A fresh time-skipping test server with Parley's search attributes registered, as the dev server has them. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, t]) => [name, INDEXED[t]])),
    });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

export interface TimeSkippingParley {
  env: TestWorkflowEnvironment;
  client: TestWorkflowEnvironment['client'];
  apiUrl: string;
  taskQueue: string;
  config: ParleyConfig;
  /** Advances the server's clock by `duration`, firing the timers and retries due on the way. */
  skip(duration: Duration): Promise<void>;
  /** The server's clock (epoch ms): what `Date.now()` is inside the workflows. */
  now(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Parley's worker (`createParleyWorker`: the workflow bundle the e2e setup built, `createActivities` with `config`)
 * and API (`createApp`) on a time-skipping server of their own. Between `skip`s the clock runs at real speed, so a
 * test posts and polls as it would against the dev server.
 */
export async function startTimeSkippingParley(options: { config: ParleyConfig }): Promise<TimeSkippingParley> {
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'error', name: 'parley-time-skipping' });
  // One runtime per process, logging through pino: at `error`, a week of retried activities stays quiet.
  installTemporalRuntime(log);
  const env = await createTimeSkippingEnv();
  const cleanups: (() => Promise<void>)[] = [() => env.teardown()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const taskQueue = `ts-${randomBytes(6).toString('hex')}`;
    const bundlePath = process.env.PARLEY_TEST_WORKFLOW_BUNDLE;
    const worker = await createParleyWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      config: options.config,
      log,
      ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    const app = createApp({
      temporal: env.client,
      config: options.config,
      taskQueue,
      log,
      // The API's own readiness lists search attributes, which the test server does not implement.
      readiness: () => {
        const ok = worker.getState() === 'RUNNING';
        return Promise.resolve({ ready: ok, checks: { worker: { ok } } });
      },
    });
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return {
      env,
      client: env.client,
      apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      taskQueue,
      config: options.config,
      skip: (duration) => env.sleep(duration),
      now: () => env.currentTimeMs(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
