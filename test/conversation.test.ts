/** The conversation workflow through the real API and a real Temporal dev server. */
import { conversationWorkflowId } from '../common/ids';
import { conversationQuery } from '../workflows/definitions';
import { apiClient, NO_RATE_LIMITS, startTestParley, testConfig, testKey, type TestParley } from './helpers/parley';
import { runIdsOf } from './helpers/history';
import { waitFor } from './helpers/wait';

const key = testKey('conv');
const app = `conv${Date.now().toString(36)}`;
// 200 messages to one user as fast as the API answers: faster than the default per-user limit.
const config = testConfig({ apps: [{ id: app, name: 'Conversation Tests', apiKeys: [key], limits: NO_RATE_LIMITS }] });
let parley: TestParley;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  parley = await startTestParley({ config });
  api = apiClient(parley.apiUrl, key);
});
afterAll(() => parley?.stop());

const path = (user: string, rest = 'messages') => `/v1/apps/${app}/users/${encodeURIComponent(user)}/${rest}`;

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of parley.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

describe('conversation workflow', () => {
  it('a first message starts a readable workflow found by ParleyApp', async () => {
    const user = 'jane.doe@example.com';
    await api('PUT', `/v1/apps/${app}/users/${encodeURIComponent(user)}`, {
      givenName: 'Jane',
      surname: 'Doe',
      email: user,
    });
    const res = await api('POST', path(user), { text: 'Hello!', metadata: { page: '/pricing' } });
    expect(res.status).toBe(202);
    expect(res.body.conversationId).toBe(`conversation:${app}:jane.doe%40example.com`);
    expect(res.body.message).toMatchObject({ role: 'user', text: 'Hello!', metadata: { page: '/pricing' } });

    const ids = await waitFor(
      async () => {
        const found = await listIds(`ParleyApp = "${app}" AND ParleyUser = "${user}" AND ParleyStatus = "active"`);
        return found.length > 0 ? found : undefined;
      },
      { what: 'the workflow in visibility' },
    );
    expect(ids).toEqual([res.body.conversationId]);

    const handle = parley.client.workflow.getHandle(res.body.conversationId);
    const description = await handle.describe();
    expect(description.type).toBe('conversation');
    expect(await description.staticSummary()).toBe('Conversation with Jane Doe (Conversation Tests)');
    expect(description.memo).toMatchObject({ appId: app, userId: user, displayName: 'Jane Doe' });
    const state = await handle.query(conversationQuery);
    expect(state.profile).toMatchObject({ givenName: 'Jane', surname: 'Doe' });
  });

  it('accepts a repeated message id once and shows it once', async () => {
    const first = await api('POST', path('idem'), { text: 'once', id: 'client-key-1' });
    const again = await api('POST', path('idem'), { text: 'once', id: 'client-key-1' });
    expect([first.status, again.status]).toEqual([202, 202]);
    await api('POST', path('idem'), { text: 'after', id: 'client-key-2' });
    const list = await waitFor(async () => {
      const r = await api('GET', path('idem'));
      return r.body.messages?.length >= 2 ? r.body.messages : undefined;
    });
    expect(list.map((m: { id: string }) => m.id)).toEqual(['client-key-1', 'client-key-2']);
  });

  it('keeps 200 messages in order, the window holding the last 100', async () => {
    const user = 'many';
    for (let i = 1; i <= 200; i++) {
      const res = await api('POST', path(user), { text: `message ${i}`, id: `m-${i}` });
      expect(res.status).toBe(202);
    }
    const window = await waitFor(async () => {
      const r = await api('GET', path(user));
      return r.body.messages?.at(-1)?.id === 'm-200' ? r.body.messages : undefined;
    });
    expect(window).toHaveLength(100);
    expect(window.map((m: { text: string }) => m.text)).toEqual(
      Array.from({ length: 100 }, (_, i) => `message ${i + 101}`),
    );
    const summary = await api('GET', path(user, 'conversation'));
    expect(summary.body.totalMessages).toBe(200);
  });

  it('archives, and the next message reopens', async () => {
    const user = 'archiver';
    await api('POST', path(user), { text: 'first' });
    const archived = await api('POST', path(user, 'archive'));
    expect(archived.status).toBe(202);
    await waitFor(async () => (await api('GET', path(user))).body.status === 'archived', { what: 'archived' });
    await waitFor(
      async () =>
        (await listIds(`ParleyApp = "${app}" AND ParleyUser = "${user}" AND ParleyStatus = "archived"`)).length === 1,
      {
        what: 'ParleyStatus = archived in visibility',
      },
    );
    await api('POST', path(user), { text: 'back again' });
    const reopened = await waitFor(async () => {
      const r = await api('GET', path(user));
      return r.body.status === 'active' ? r.body : undefined;
    });
    expect(reopened.messages.map((m: { text: string }) => m.text)).toEqual(['first', 'back again']);
  });

  it('continues-as-new with its state, dedupe and search attributes carried', async () => {
    const small = await startTestParley({ config, continueAsNewAfterEvents: 30 });
    try {
      const smallApi = apiClient(small.apiUrl, key);
      const user = 'long-runner';
      await smallApi('PUT', `/v1/apps/${app}/users/${user}`, { givenName: 'Lena' });
      for (let i = 1; i <= 25; i++) await smallApi('POST', path(user), { text: `n${i}`, id: `can-${i}` });
      const handle = small.client.workflow.getHandle(conversationWorkflowId(app, user));
      await waitFor(async () => (await runIdsOf(small.client, handle.workflowId)).length > 1, {
        what: 'a continued-as-new run',
      });
      // A repeated id from before the new run is still recognised.
      await smallApi('POST', path(user), { text: 'n1 again', id: 'can-1' });
      await smallApi('POST', path(user), { text: 'n26', id: 'can-26' });
      const state = await waitFor(async () => {
        const s = await handle.query(conversationQuery);
        return s.messages.at(-1)?.id === 'can-26' ? s : undefined;
      });
      expect(state.messages.map((m) => m.text)).toEqual([...Array.from({ length: 25 }, (_, i) => `n${i + 1}`), 'n26']);
      expect(state.totalMessages).toBe(26);
      expect(state.profile.givenName).toBe('Lena');
      await waitFor(
        async () =>
          (await listIds(`ParleyApp = "${app}" AND ParleyUser = "${user}" AND ExecutionStatus = "Running"`)).length ===
          1,
      );
    } finally {
      await small.stop();
    }
  });

  it('keeps conversations across a restart of Parley', async () => {
    const user = 'survivor';
    await api('POST', path(user), { text: 'before restart' });
    await waitFor(async () => (await api('GET', path(user))).body.messages?.length === 1);
    await parley.stop();
    parley = await startTestParley({ config, taskQueue: parley.taskQueue });
    api = apiClient(parley.apiUrl, key);
    await api('POST', path(user), { text: 'after restart' });
    const list = await waitFor(async () => {
      const r = await api('GET', path(user));
      return r.body.messages?.length === 2 ? r.body.messages : undefined;
    });
    expect(list.map((m: { text: string }) => m.text)).toEqual(['before restart', 'after restart']);
  });
});
