/**
 * Erasing a user in Zendesk (developer.zendesk.com, Tickets and Users): the conversation's tickets (found by their
 * `external_id`, the workflow id) are deleted and then permanently deleted (`DELETE /api/v2/tickets/{id}`, then
 * `DELETE /api/v2/deleted_tickets/{id}`, which queues Zendesk's scrub job), then the end user Parley made is deleted
 * and permanently deleted (`DELETE /api/v2/users/{id}`, then `DELETE /api/v2/deleted_users/{id}`, Zendesk's GDPR
 * step). Zendesk refuses to delete the requester of a ticket that is not closed, which is why the tickets go first.
 *
 * Parley deletes only what is certainly its own: a user who is an agent or an admin, whose `external_id` is not
 * Parley's, or who also requested tickets Parley did not make, is kept and listed as remaining.
 */
import { z } from 'zod';
import type { VendorErasure } from '../../common/erasure';
import { isIntegrationError } from '../../common/errors';
import type { ZendeskClient } from './client';
import { toZendeskError } from './errors';

export interface ZendeskErasureInput {
  conversationId: string;
  /** When the conversation began: a Zendesk user older than that is not one Parley made for it. */
  since: string;
  /** The conversation's references (`zendeskTicketId`, `zendeskUserId`). */
  refs: Record<string, string>;
}

const tickets = z.array(
  z.object({ id: z.number(), requester_id: z.number().optional(), external_id: z.string().nullish() }),
);
const user = z.object({
  id: z.number(),
  created_at: z.string().optional(),
  role: z.string(),
  external_id: z.string().nullish(),
  active: z.boolean().optional(),
});

/** Parley's end users carry an `external_id` of its own making (`parley:<app>:<user>`). */
const PARLEY_EXTERNAL_ID = /^parley:/;

/** How far Zendesk's clock may be ahead of the workflow's before a user made for the conversation looks older. */
const CLOCK_SKEW_MS = 60_000;

async function zendesk<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toZendeskError(err);
  }
}

/** `fn`, or `undefined` when Zendesk answers 404 (already gone). */
async function unlessGone<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await zendesk(fn);
  } catch (err) {
    if (isIntegrationError(err, 'zendesk_not_found')) return undefined;
    throw err;
  }
}

export function createZendeskEraser(client: ZendeskClient) {
  const { api } = client;

  async function eraseTicket(id: number, out: VendorErasure): Promise<void> {
    const entry = { system: 'zendesk', kind: 'ticket', id: String(id) };
    // A 404 on the first step: deleted already (a retry, or by hand); the permanent deletion still applies to it.
    await unlessGone(() => api.tickets.delete(id));
    const purged = await unlessGone(() => api.tickets.request('DELETE', `deleted_tickets/${id}`));
    out.erased.push({
      ...entry,
      detail:
        purged === undefined
          ? 'deleted (it was no longer among the deleted tickets: already permanently deleted)'
          : 'deleted and permanently deleted (Zendesk scrubs it in a background job)',
    });
  }

  async function eraseUser(id: number, ours: Set<number>, since: string, out: VendorErasure): Promise<void> {
    const entry = { system: 'zendesk', kind: 'end_user', id: String(id) };
    const shown = await unlessGone(async () => (await api.users.show(id)).result);
    if (shown === undefined) {
      // Gone, or deleted and waiting for the permanent step (a retry after the first one).
      const purged = await unlessGone(() => api.users.request('DELETE', `deleted_users/${id}`));
      out.erased.push({ ...entry, detail: purged === undefined ? 'no longer exists' : 'permanently deleted' });
      return;
    }
    const u = user.parse(shown);
    if (u.role !== 'end-user') {
      out.remains.push({
        ...entry,
        detail: `Zendesk user ${id} is an ${u.role}: Parley never deletes agents or admins`,
      });
      return;
    }
    // Matched by email to someone Zendesk knew before (an agent can be turned into an end user that way): not Parley's.
    const created = u.created_at ? Date.parse(u.created_at) : Number.NaN;
    if (created < Date.parse(since) - CLOCK_SKEW_MS) {
      out.remains.push({
        ...entry,
        detail: `Zendesk user ${id} existed before this conversation began (Zendesk matched it by email): kept`,
      });
      return;
    }
    if (u.active !== false && !PARLEY_EXTERNAL_ID.test(u.external_id ?? '')) {
      out.remains.push({
        ...entry,
        detail: `Zendesk user ${id} is not one Parley made (external_id ${JSON.stringify(u.external_id ?? null)}): kept`,
      });
      return;
    }
    const requested = tickets.parse(await zendesk(() => api.tickets.listByUserRequested(id)));
    const others = requested.filter((t) => !ours.has(t.id)).map((t) => `#${t.id}`);
    if (others.length > 0) {
      out.remains.push({
        ...entry,
        detail:
          `Zendesk user ${id} also requested tickets Parley did not make (${others.join(', ')}): kept; ` +
          'delete those tickets and the user in Zendesk if the erasure covers them',
      });
      return;
    }
    if (u.active !== false) {
      try {
        await zendesk(() => api.users.delete(id));
      } catch (err) {
        if (!isIntegrationError(err, 'zendesk_unprocessable')) throw err;
        // Zendesk's words may name the user: the report keeps to the code.
        out.remains.push({
          ...entry,
          detail: `Zendesk refused to delete user ${id} (${err.code}: is it the requester of a ticket that is not closed?)`,
        });
        return;
      }
    }
    await unlessGone(() => api.users.request('DELETE', `deleted_users/${id}`));
    out.erased.push({ ...entry, detail: 'deleted and permanently deleted (name, email and identities removed)' });
  }

  return {
    async erase(input: ZendeskErasureInput, hooks: { heartbeat(): void }): Promise<VendorErasure> {
      const out: VendorErasure = { erased: [], remains: [] };
      hooks.heartbeat();
      // Every ticket of the conversation: follow-ups of closed tickets carry the same external_id.
      const found = tickets.parse(await zendesk(() => api.tickets.listWithFilter('external_id', input.conversationId)));
      const ids = new Set(found.map((t) => t.id));
      if (input.refs.zendeskTicketId) ids.add(Number(input.refs.zendeskTicketId));
      const users = new Set(found.flatMap((t) => (t.requester_id !== undefined ? [t.requester_id] : [])));
      if (input.refs.zendeskUserId) users.add(Number(input.refs.zendeskUserId));
      for (const id of ids) {
        hooks.heartbeat();
        await eraseTicket(id, out);
      }
      for (const id of users) {
        hooks.heartbeat();
        await eraseUser(id, ids, input.since, out);
      }
      if (ids.size > 0)
        out.remains.push({
          system: 'zendesk',
          kind: 'ticket',
          detail:
            'tickets Zendesk archived (closed for more than 120 days) are not listed by external_id, so were not ' +
            'looked for: find them in Zendesk by the user if the conversation is that old',
        });
      return out;
    },
  };
}
