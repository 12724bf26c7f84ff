/** `digestSeconds`: what a user writes within the window reaches the team as one mail, in order. */
import { startEmailStack, waitForNotifications, type EmailStack } from './helpers/email-stack';
import { waitForOutbox } from './helpers/parley';

let stack: EmailStack;

beforeAll(async () => {
  stack = await startEmailStack({ label: 'digest', email: { digestSeconds: 2 } });
});

afterAll(async () => {
  await stack?.close();
});

describe('Email: digests', () => {
  it('mails the messages of one window together', async () => {
    const { api, userPath } = stack;
    for (const text of ['first', 'second', 'third'])
      expect((await api('POST', userPath('max', '/messages'), { text })).status).toBe(202);
    const [mail] = await waitForNotifications(stack, 'max', 1);
    await waitForOutbox(api, stack.appId, 'max', 'email', 'idle');
    expect(await stack.notificationsFor('max')).toHaveLength(1);
    const text = mail!.parsed.text ?? '';
    expect(text.indexOf('first')).toBeGreaterThan(-1);
    expect(text.indexOf('first')).toBeLessThan(text.indexOf('second'));
    expect(text.indexOf('second')).toBeLessThan(text.indexOf('third'));
  });
});
