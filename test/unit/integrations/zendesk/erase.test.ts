/**
 * The Zendesk eraser on its own, against the Zendesk emulator (node-zendesk over Parley's transport, no Temporal):
 * the conversation's tickets and Parley's end user deleted and permanently deleted, in the order Zendesk requires;
 * a retry harmless; and anyone who is not certainly Parley's own kept and named as remaining.
 */
import type { OutboxItem, UserProfile } from '../../../../common/conversation';
import { isIntegrationError } from '../../../../common/errors';
import { createZendeskAdapter } from '../../../../integrations/zendesk/adapter';
import { createZendeskClient } from '../../../../integrations/zendesk/client';
import { createZendeskEraser } from '../../../../integrations/zendesk/erase';
import { startZendeskEmulator, type ZendeskEmulator } from '../../../emulators/zendesk';

let zd: ZendeskEmulator;

beforeAll(async () => {
  zd = await startZendeskEmulator({ ticketUpdateLimit: { max: 1000, windowMs: 600_000 } });
});
afterAll(async () => {
  await zd?.close();
});

const client = () => createZendeskClient({ url: zd.url, email: zd.email, apiToken: zd.apiToken });
const hooks = { heartbeat: () => undefined };
const since = () => new Date(Date.now() - 5_000).toISOString();

const said = (eventId: string, text: string): OutboxItem => ({
  eventId,
  kind: 'message:user',
  message: { id: eventId, role: 'user', text, at: new Date().toISOString() },
  enqueuedAt: Date.now(),
});

/** What the outbox does: the user's end user and ticket, made through the adapter. */
async function converse(
  user: string,
  profile: UserProfile,
  refs: Record<string, string> = {},
  text = 'erase me',
  trustUserEmail = false,
) {
  const conversationId = `conversation:acme:${user}`;
  const sent = await createZendeskAdapter(client(), { trustUserEmail }).send({
    appId: 'acme',
    userId: user,
    conversationId,
    profile,
    refs,
    items: [said(`${user}-${Date.now()}`, text)],
  });
  return { conversationId, refs: sent.refs };
}

it('deletes every ticket of the conversation (a closed one and its follow-up) and the end user, permanently', async () => {
  const first = await converse('ada', { givenName: 'Ada', email: 'ada@example.com' });
  const closed = Number(first.refs.zendeskTicketId);
  zd.setStatus(closed, 'closed');
  const second = await converse('ada', { givenName: 'Ada', email: 'ada@example.com' }, first.refs, 'me again');
  const followUp = Number(second.refs.zendeskTicketId);
  expect(followUp).not.toBe(closed);
  const user = Number(second.refs.zendeskUserId);

  const out = await createZendeskEraser(client()).erase(
    { conversationId: second.conversationId, since: since(), refs: second.refs },
    hooks,
  );
  expect(out.erased.map((e) => `${e.kind} ${e.id}`).sort()).toEqual(
    [`ticket ${closed}`, `ticket ${followUp}`, `end_user ${user}`].sort(),
  );
  expect(zd.ticket(closed)).toBeUndefined();
  expect(zd.ticket(followUp)).toBeUndefined();
  expect(zd.user(user)).toMatchObject({ deleted: 'permanent', email: null, name: 'Permanently Deleted User' });

  // A retry after a lost answer finds nothing to do and fails on nothing.
  const again = await createZendeskEraser(client()).erase(
    { conversationId: second.conversationId, since: since(), refs: second.refs },
    hooks,
  );
  expect(again.erased).toEqual(
    expect.arrayContaining([expect.objectContaining({ kind: 'end_user', detail: 'no longer exists' })]),
  );
});

it('finishes a deletion begun by a try that failed between the two steps', async () => {
  const { conversationId, refs } = await converse('bo', { givenName: 'Bo' });
  const user = Number(refs.zendeskUserId);
  zd.failNext(/^\/api\/v2\/deleted_users\//, { status: 503 });
  const failed = await createZendeskEraser(client())
    .erase({ conversationId, since: since(), refs }, hooks)
    .catch((e: unknown) => e);
  expect(isIntegrationError(failed, 'zendesk_unavailable')).toBe(true);
  expect(zd.user(user)?.deleted).toBe('soft');
  const out = await createZendeskEraser(client()).erase({ conversationId, since: since(), refs }, hooks);
  expect(out.erased).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ kind: 'end_user', detail: expect.stringContaining('permanently deleted') }),
    ]),
  );
  expect(zd.user(user)?.deleted).toBe('permanent');
});

it('keeps an agent, a user older than the conversation, and a user with tickets Parley did not make', async () => {
  const agent = zd.addAgent({ name: 'Zoe Desk', email: 'zoe@acme.example' });
  const eraser = createZendeskEraser(client());
  const asAgent = await eraser.erase(
    { conversationId: 'conversation:acme:nobody', since: since(), refs: { zendeskUserId: String(agent.id) } },
    hooks,
  );
  expect(asAgent.remains).toEqual([
    expect.objectContaining({ kind: 'end_user', detail: expect.stringContaining('is an agent') }),
  ]);

  // An end user the team knew for years, matched by email (an app that trusts its users' emails): Zendesk turned her
  // into Parley's end user.
  const known = zd.addAgent({
    name: 'Cleo',
    email: 'cleo@example.com',
    role: 'agent',
    createdAt: '2023-01-01T00:00:00Z',
  });
  const cleo = await converse('cleo', { givenName: 'Cleo', email: 'cleo@example.com' }, {}, 'erase me', true);
  expect(Number(cleo.refs.zendeskUserId)).toBe(known.id);
  const kept = await eraser.erase({ conversationId: cleo.conversationId, since: since(), refs: cleo.refs }, hooks);
  expect(kept.remains).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        kind: 'end_user',
        id: String(known.id),
        detail: expect.stringContaining('existed before'),
      }),
    ]),
  );
  expect(zd.user(known.id)?.deleted).toBeUndefined();

  // Parley's end user who also asked something by another channel: the ticket goes, the user stays.
  const dan = await converse('dan', { givenName: 'Dan' });
  const danUser = Number(dan.refs.zendeskUserId);
  const other = await client().api.tickets.create({
    ticket: { subject: 'by mail', comment: { body: 'hello' }, requester_id: danUser },
  });
  const otherId = (other.result as { id: number }).id;
  const partial = await eraser.erase({ conversationId: dan.conversationId, since: since(), refs: dan.refs }, hooks);
  expect(partial.erased).toEqual([expect.objectContaining({ kind: 'ticket', id: dan.refs.zendeskTicketId })]);
  expect(partial.remains).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ kind: 'end_user', detail: expect.stringContaining(`#${otherId}`) }),
    ]),
  );
  expect(zd.user(danUser)?.deleted).toBeUndefined();
});
