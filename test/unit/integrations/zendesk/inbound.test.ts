/** Zendesk's webhook after its signature: which conversation it is for, the agent's signature, the reply. */
import { appSchema, type AppConfig } from '../../../../common/config';
import { gravatarUrl } from '../../../../common/text';
import {
  createInvocationLog,
  decideZendeskReply,
  zendeskAgentReply,
  zendeskAgentSignature,
  zendeskWebhookSchema,
  type ZendeskWebhook,
} from '../../../../integrations/zendesk/inbound';

const ACME = 'https://acme.zendesk.com';
const OTHER = 'https://other.zendesk.com';
const app = (id: string, url: string): AppConfig =>
  appSchema.parse({
    id,
    apiKeys: [`key-${id}-0123456789abcdef`],
    zendesk: { url, email: `ops@${id}.example`, apiToken: 'tok' },
  });
const apps = [
  app('acme', ACME),
  app('beta', ACME),
  app('other', OTHER),
  appSchema.parse({ id: 'nozd', apiKeys: ['k'.repeat(16)] }),
];

/** Parley's trigger payload (connect.ts) as Zendesk renders it for a public agent comment. */
const webhook = (over: Partial<ZendeskWebhook> = {}): ZendeskWebhook =>
  zendeskWebhookSchema.parse({
    ticket_id: '35436',
    external_id: 'conversation:acme:jane%40example.com',
    comment_id: '21238329463',
    comment: 'Hi Jane, we are on it.\n\nZoe Desk\nAcme Support',
    public: 'true',
    author_id: '360001234567',
    author_name: 'Zoe Desk',
    author_email: 'zoe@acme.example',
    author_photo: '',
    ...over,
  });

describe('decideZendeskReply', () => {
  it('relays a public comment on a ticket of an app of the signing account', () => {
    expect(decideZendeskReply(webhook(), { account: ACME, apps })).toEqual({
      kind: 'reply',
      app: expect.objectContaining({ id: 'acme' }),
      workflowId: 'conversation:acme:jane%40example.com',
      agentId: 360001234567,
    });
  });

  it('ignores private notes', () => {
    expect(decideZendeskReply(webhook({ public: 'false' }), { account: ACME, apps })).toEqual({
      kind: 'ignored',
      reason: 'private note',
    });
  });

  it.each([
    ['an app on another account', 'conversation:other:jane', ACME],
    ['an account that signed for another app', 'conversation:acme:jane', OTHER],
    ['an app without Zendesk', 'conversation:nozd:jane', ACME],
    ['an unknown app', 'conversation:ghost:jane', ACME],
    ['a ticket Parley did not make', 'TICKET-17', ACME],
    ['an empty external_id', '', ACME],
  ])('ignores %s', (_what, externalId, account) => {
    expect(decideZendeskReply(webhook({ external_id: externalId }), { account, apps })).toEqual({
      kind: 'ignored',
      reason: 'not a Parley ticket of this account',
    });
  });

  it('two apps on one account each get their own tickets', () => {
    const d = decideZendeskReply(webhook({ external_id: 'conversation:beta:bob' }), { account: ACME, apps });
    expect(d).toMatchObject({ kind: 'reply', app: { id: 'beta' }, workflowId: 'conversation:beta:bob' });
  });

  it('does not look up an agent id Zendesk could not have rendered', () => {
    for (const author_id of ['', '12/../../tickets', '1e5']) {
      expect(decideZendeskReply(webhook({ author_id }), { account: ACME, apps })).toMatchObject({
        kind: 'reply',
        agentId: undefined,
      });
    }
  });

  it('the schema refuses a body that is not the trigger payload', () => {
    expect(zendeskWebhookSchema.safeParse({ ticket: 1 }).success).toBe(false);
    expect(zendeskWebhookSchema.safeParse({ ...webhook(), comment_id: '' }).success).toBe(false);
  });
});

describe('zendeskAgentSignature', () => {
  it('fills in {{agent.name}} and {{agent.email}} as Zendesk does', () => {
    expect(
      zendeskAgentSignature(
        {
          name: 'Grace',
          email: 'grace@example.com',
          signature: '{{agent.name}}\n{{agent.email}} · {{agent.name}} team',
        },
        'From webhook',
      ),
    ).toBe('Grace\ngrace@example.com · Grace team');
  });

  it('falls back to the webhook’s name; no email renders empty; no signature is none', () => {
    expect(zendeskAgentSignature({ signature: '-- {{agent.name}} <{{agent.email}}>' }, 'Zoe')).toBe('-- Zoe <>');
    expect(zendeskAgentSignature({ name: 'Zoe', signature: null }, 'Zoe')).toBeUndefined();
    expect(zendeskAgentSignature({ name: 'Zoe', signature: '' }, 'Zoe')).toBeUndefined();
  });

  it('takes a `$` in a name literally', () => {
    expect(zendeskAgentSignature({ name: "Jo$&$' Cash", signature: 'Thanks, {{agent.name}}' }, 'x')).toBe(
      "Thanks, Jo$&$' Cash",
    );
  });
});

describe('zendeskAgentReply', () => {
  const at = '2026-12-01T12:00:00.000Z';

  it('strips the agent’s own signature and names the agent', () => {
    expect(zendeskAgentReply(webhook(), 'Zoe Desk\nAcme Support', at)).toEqual({
      id: 'zendesk:21238329463',
      source: 'zendesk',
      agent: { name: 'Zoe Desk', email: 'zoe@acme.example', avatarUrl: gravatarUrl('zoe@acme.example') },
      text: 'Hi Jane, we are on it.',
      at,
    });
  });

  it('without the signature still cuts a -- block, and keeps a Zendesk photo', () => {
    const reply = zendeskAgentReply(
      webhook({
        comment: 'Done.\n--\nAcme Support · acme.example',
        author_photo: 'https://acme.zendesk.com/system/photos/zoe.png',
      }),
      undefined,
      at,
    );
    expect(reply.text).toBe('Done.');
    expect(reply.agent.avatarUrl).toBe('https://acme.zendesk.com/system/photos/zoe.png');
  });

  it('an agent without email has no email and no avatar', () => {
    const reply = zendeskAgentReply(webhook({ author_email: '', author_photo: '' }), undefined, at);
    expect(reply.agent).toEqual({ name: 'Zoe Desk' });
  });
});

describe('createInvocationLog', () => {
  it('remembers the last `max` invocations', () => {
    const log = createInvocationLog(3);
    for (const id of ['a', 'b', 'c', 'd']) log.add(id);
    expect(['a', 'b', 'c', 'd'].map((id) => log.has(id))).toEqual([false, true, true, true]);
    log.add('b');
    log.add('e');
    expect(['b', 'c', 'd', 'e'].map((id) => log.has(id))).toEqual([true, false, true, true]);
  });
});
