/** What a client app receives for an outbox item: the event types and data of an agent's edited or deleted reply. */
import type { OutboxBatch, OutboxItem } from '../../../../common/conversation';
import { webhookEvent } from '../../../../integrations/webhooks/adapter';

const batch: OutboxBatch = {
  appId: 'acme',
  userId: 'jane',
  conversationId: 'conversation:acme:jane',
  outbox: 'webhook:https://acme.example/parley',
  profile: {},
  refs: {},
  items: [],
};

const reply = {
  id: 'slack:C0SUPPORT1:1764650000.000100',
  role: 'agent' as const,
  text: 'It ships today',
  at: '2026-12-02T05:00:00.000Z',
  source: 'slack',
  agent: { name: 'Ana Agent' },
};

const item = (kind: OutboxItem['kind'], text = reply.text): OutboxItem => ({
  eventId: 'evt_1',
  kind,
  message: { ...reply, text },
  enqueuedAt: Date.parse('2026-12-02T05:00:01Z'),
});

describe('an agent reply edited or deleted', () => {
  it('an edit is message:agent:updated with the id and the new text', () => {
    const event = webhookEvent(batch, item('message:agent:updated'));
    expect(event.type).toBe('message:agent:updated');
    expect(event.data.message).toMatchObject({ id: reply.id, text: 'It ships today', agent: { name: 'Ana Agent' } });
  });

  it('a deletion is message:agent:deleted with the id and no text', () => {
    const event = webhookEvent(batch, item('message:agent:deleted', ''));
    expect(event.type).toBe('message:agent:deleted');
    expect(event.data.message).toMatchObject({ id: reply.id, role: 'agent' });
    expect(event.data.message).not.toHaveProperty('text');
  });

  it('a reply is still message:agent', () => {
    expect(webhookEvent(batch, item('message:agent')).type).toBe('message:agent');
  });
});
