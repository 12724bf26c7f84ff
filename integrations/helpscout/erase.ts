/**
 * Erasing a user in Help Scout (Mailbox API 2.0): the user's conversations are deleted (`DELETE
 * /v2/conversations/{id}`, 204), then the customer Parley made for them (`DELETE /v2/customers/{id}?async=true`,
 * 202: "deletes a customer asynchronously, their survey responses and their conversations in compliance with GDPR's
 * right of erasure"). The customer is deleted only when its address is Parley's own `.parley.invalid` one for this
 * user, so a customer the team knew before is never touched.
 */
import { z } from 'zod';
import type { VendorErasure } from '../../common/erasure';
import { IntegrationError, isIntegrationError } from '../../common/errors';
import { customerEmail } from './adapter';
import type { HelpScoutClient } from './client';
import { helpScoutError, isGone } from './errors';

export interface HelpScoutErasureInput {
  appId: string;
  userId: string;
  /** The conversation's references (`helpscoutConversationId`). */
  refs: Record<string, string>;
}

const conversationList = z.object({
  _embedded: z.object({ conversations: z.array(z.object({ id: z.number() })) }).optional(),
});
const person = z.object({ id: z.number(), email: z.string().optional() }).optional();
const conversation = z.object({ id: z.number(), primaryCustomer: person, customer: person });

function asHelpScoutError(err: unknown): IntegrationError {
  return err instanceof IntegrationError
    ? err
    : helpScoutError('helpscout_error', String(err), { retryable: true, cause: err });
}

export function createHelpScoutEraser(client: HelpScoutClient) {
  /** The conversation, or undefined when Help Scout no longer has it (deleted, or its mailbox is gone). */
  async function show(id: number): Promise<z.infer<typeof conversation> | undefined> {
    try {
      return conversation.parse((await client.request('GET', `conversations/${id}`)).body);
    } catch (err) {
      if (isGone(err)) return undefined;
      throw asHelpScoutError(err);
    }
  }

  return {
    async erase(input: HelpScoutErasureInput, hooks: { heartbeat(): void }): Promise<VendorErasure> {
      const out: VendorErasure = { erased: [], remains: [] };
      const email = customerEmail(input.appId, input.userId);
      hooks.heartbeat();
      try {
        // Every conversation of the user's customer, in any mailbox and status (a mailbox change opens another).
        const listed = conversationList.parse(
          (await client.request('GET', 'conversations', { query: { status: 'all', query: `(email:"${email}")` } }))
            .body,
        );
        const ids = new Set((listed._embedded?.conversations ?? []).map((c) => c.id));
        if (input.refs.helpscoutConversationId) ids.add(Number(input.refs.helpscoutConversationId));
        const customers = new Set<number>();
        for (const id of ids) {
          hooks.heartbeat();
          const found = await show(id);
          const entry = { system: 'helpscout', kind: 'conversation', id: String(id) };
          if (!found) {
            out.erased.push({ ...entry, detail: 'no longer exists' });
            continue;
          }
          for (const c of [found.primaryCustomer, found.customer]) if (c?.email === email) customers.add(c.id);
          try {
            await client.request('DELETE', `conversations/${id}`);
          } catch (err) {
            if (!isIntegrationError(err, 'helpscout_not_found')) throw err;
          }
          out.erased.push({ ...entry, detail: 'deleted' });
        }
        for (const id of customers) {
          hooks.heartbeat();
          const entry = { system: 'helpscout', kind: 'customer', id: String(id) };
          try {
            await client.request('DELETE', `customers/${id}`, { query: { async: 'true' } });
            out.erased.push({
              ...entry,
              detail: 'deleted with its conversations (Help Scout finishes the deletion in the background)',
            });
          } catch (err) {
            if (isIntegrationError(err, 'helpscout_not_found')) {
              out.erased.push({ ...entry, detail: 'no longer exists' });
              continue;
            }
            // 403: the API user cannot see all of the customer's conversations (Help Scout's rule).
            if (!isIntegrationError(err, 'helpscout_auth_failed')) throw err;
            out.remains.push({
              ...entry,
              detail: `Help Scout refused to delete customer ${id} (${err.code}): delete it in Help Scout`,
            });
          }
        }
        return out;
      } catch (err) {
        throw asHelpScoutError(err);
      }
    },
  };
}
