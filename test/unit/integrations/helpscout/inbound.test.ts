/**
 * What Parley makes of Help Scout's webhook (payload version 2: the Conversation object, threads embedded newest
 * first), decided without I/O. The fixture follows the Mailbox API 2.0 Conversation and Thread objects.
 */
import {
  decideHelpScoutReply,
  helpScoutAgent,
  parseHelpScoutThreads,
  parseHelpScoutWebhook,
  type HelpScoutWebhookBody,
} from '../../../../integrations/helpscout/inbound';
import { gravatarUrl } from '../../../../common/text';
import agentReplyCreated from '../../../fixtures/helpscout/convo-agent-reply-created.json';

const REPLY = 'convo.agent.reply.created';
const clone = (): Record<string, unknown> => structuredClone(agentReplyCreated);

function parsed(json: unknown): HelpScoutWebhookBody {
  const result = parseHelpScoutWebhook(json);
  if (!result.success) throw new Error(result.error.message);
  return result.data;
}

const threadsOf = (json: Record<string, unknown>) => (json._embedded as { threads: Record<string, unknown>[] }).threads;

describe('parseHelpScoutWebhook', () => {
  it('accepts the v2 Conversation body, keeping the fields it does not name', () => {
    const body = parsed(agentReplyCreated);
    expect(body.id).toBe(2391938111);
    expect(body._embedded?.threads).toHaveLength(5);
    expect(body.mailboxId).toBe(85);
  });

  it('accepts a body without embedded threads', () => {
    expect(parsed({ id: 7 })._embedded).toBeUndefined();
  });

  it('refuses what is not a Conversation', () => {
    expect(parseHelpScoutWebhook({ id: 'nope', _embedded: { threads: 'no' } }).success).toBe(false);
    expect(parseHelpScoutWebhook({}).success).toBe(false);
    expect(parseHelpScoutWebhook(null).success).toBe(false);
  });
});

describe('decideHelpScoutReply', () => {
  it('relays the newest reply an agent wrote, not the newer note or line item', () => {
    const decision = decideHelpScoutReply(parsed(agentReplyCreated), REPLY);
    expect(decision).toEqual({
      kind: 'reply',
      conversationId: 2391938111,
      threadId: 5200000005,
      attachments: [],
      reply: {
        id: 'helpscout:5200000005',
        source: 'helpscout',
        agent: {
          name: 'Hana Scout',
          email: 'hana@acme.example',
          avatarUrl: 'https://d33v4339jhl8k0.cloudfront.net/users/9865.jpg',
        },
        // HTML in Help Scout, text for the user (the link's text stays, its markup goes).
        text: 'Sorry Jane, a new parcel is on its way.\n\nTracking: 42',
        at: '2026-11-30T09:20:44Z',
      },
    });
  });

  it('picks by createdAt, whatever the order Help Scout embeds them in', () => {
    const json = clone();
    threadsOf(json).reverse();
    const decision = decideHelpScoutReply(parsed(json), REPLY);
    expect(decision).toMatchObject({ kind: 'reply', threadId: 5200000005 });
  });

  it('ignores every other event, and a delivery without the event header', () => {
    for (const event of ['convo.note.created', 'convo.customer.reply.created', 'convo.created', '']) {
      expect(decideHelpScoutReply(parsed(agentReplyCreated), event)).toEqual({
        kind: 'ignored',
        reason: 'other_event',
        event,
      });
    }
  });

  it('asks for the threads when the payload has none, and decides with the fetched ones', () => {
    const bare = parsed({ id: 2391938111, number: 349, mailboxId: 85 });
    expect(decideHelpScoutReply(bare, REPLY)).toEqual({ kind: 'needs_threads', conversationId: 2391938111 });
    // What `GET /v2/conversations/{id}/threads` answers: a page of threads.
    const threads = parseHelpScoutThreads({
      _embedded: { threads: threadsOf(clone()) },
      _links: { self: { href: 'https://api.helpscout.net/v2/conversations/2391938111/threads' } },
      page: { size: 25, totalElements: 5, totalPages: 1, number: 1 },
    });
    expect(decideHelpScoutReply({ ...bare, _embedded: { threads } }, REPLY)).toMatchObject({
      kind: 'reply',
      threadId: 5200000005,
    });
  });

  it('finds no reply in a conversation of customer threads and notes only', () => {
    const json = clone();
    (json._embedded as { threads: unknown[] }).threads = threadsOf(json).filter((t) => t.type !== 'reply');
    expect(decideHelpScoutReply(parsed(json), REPLY)).toEqual({ kind: 'no_reply', conversationId: 2391938111 });
    expect(decideHelpScoutReply(parsed({ id: 1, _embedded: { threads: [] } }), REPLY)).toEqual({
      kind: 'no_reply',
      conversationId: 1,
    });
  });

  it('never relays a reply thread the customer wrote', () => {
    const json = {
      id: 3,
      _embedded: { threads: [{ id: 9, type: 'reply', body: 'hi', createdBy: { type: 'customer' } }] },
    };
    expect(decideHelpScoutReply(parsed(json), REPLY)).toEqual({ kind: 'no_reply', conversationId: 3 });
  });

  it('dates a reply without createdAt by the clock it is given', () => {
    const json = { id: 4, _embedded: { threads: [{ id: 10, type: 'reply', body: '<p>ok</p>', createdBy: null }] } };
    const decision = decideHelpScoutReply(parsed(json), REPLY, () => new Date('2026-12-01T10:00:00Z'));
    expect(decision).toEqual({
      kind: 'reply',
      conversationId: 4,
      threadId: 10,
      attachments: [],
      reply: {
        id: 'helpscout:10',
        source: 'helpscout',
        agent: { name: 'Help Scout agent' },
        text: 'ok',
        at: '2026-12-01T10:00:00.000Z',
      },
    });
  });
});

describe('helpScoutAgent', () => {
  it('names the agent by first and last name, else by email, else generically', () => {
    expect(helpScoutAgent({ type: 'user', first: 'Hana', last: null, email: 'hana@acme.example' })).toEqual({
      name: 'Hana',
      email: 'hana@acme.example',
      avatarUrl: gravatarUrl('hana@acme.example'),
    });
    expect(helpScoutAgent({ type: 'user', email: 'ops@acme.example' })).toMatchObject({ name: 'ops@acme.example' });
    expect(helpScoutAgent(undefined)).toEqual({ name: 'Help Scout agent' });
  });

  it("prefers Help Scout's photo to the Gravatar", () => {
    expect(helpScoutAgent({ first: 'A', email: 'a@b.example', photoUrl: 'https://p.example/a.png' }).avatarUrl).toBe(
      'https://p.example/a.png',
    );
  });
});

describe('parseHelpScoutThreads', () => {
  it('reads an empty listing as no threads and refuses what is not a listing', () => {
    expect(parseHelpScoutThreads({ page: { size: 25, totalElements: 0, totalPages: 1, number: 1 } })).toEqual([]);
    expect(() => parseHelpScoutThreads({ _embedded: { threads: [{ id: 'x' }] } })).toThrow();
  });
});

describe("a reply thread's attachments", () => {
  it('are handed to the glue as Help Scout lists them', () => {
    const attachment = { id: 7, filename: 'fix.pdf', mimeType: 'application/pdf', size: 10, _links: {} };
    const json = {
      id: 4,
      _embedded: { threads: [{ id: 10, type: 'reply', body: '<p>ok</p>', _embedded: { attachments: [attachment] } }] },
    };
    const decision = decideHelpScoutReply(parsed(json), REPLY);
    expect(decision.kind === 'reply' && decision.attachments).toEqual([attachment]);
  });
});
