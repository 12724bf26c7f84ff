/**
 * Parley's Zendesk setup, once per subdomain however many apps use it: a webhook to Parley and a trigger "public
 * comment by an agent, on a ticket tagged parley, not made through the API" that calls it (URL targets are gone
 * since 2024). Triggers that email the requester get `tags not include parley`, so Zendesk never emails Parley's
 * users. Connecting again repairs all of it; removing undoes it.
 */
import { z } from 'zod';
import type { ZendeskClient } from './client';

export const WEBHOOK_NAME = 'Parley';
export const TRIGGER_TITLE = 'Parley: agent replies on Parley tickets';
export const EXCLUDE_PARLEY = { field: 'current_tags', operator: 'not_includes', value: 'parley' };

/** What the webhook receives; the placeholders are rendered JSON-escaped by Zendesk. */
const PAYLOAD = JSON.stringify({
  ticket_id: '{{ticket.id}}',
  external_id: '{{ticket.external_id}}',
  comment_id: '{{ticket.latest_comment.id}}',
  comment: '{{ticket.latest_comment.value}}',
  public: '{{ticket.latest_comment.is_public}}',
  author_id: '{{current_user.id}}',
  author_name: '{{current_user.name}}',
  author_email: '{{current_user.email}}',
  author_photo: '{{current_user.photo_url}}',
});

const condition = z.looseObject({ field: z.string(), operator: z.string().optional(), value: z.unknown() });
const trigger = z.looseObject({
  id: z.number(),
  title: z.string(),
  active: z.boolean().optional(),
  conditions: z.object({ all: z.array(condition).default([]), any: z.array(condition).default([]) }),
  actions: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
});
type Trigger = z.infer<typeof trigger>;
// node-zendesk hands back the named object of an answer (`trigger`, `webhook`) or the whole list across pages.
const triggerList = z.array(trigger);
const webhookList = z.array(z.looseObject({ id: z.string(), name: z.string(), endpoint: z.string() }));
const createdWebhook = z.object({ id: z.string() });
const createdTrigger = z.object({ id: z.number() });
const signingSecret = z.object({ signing_secret: z.object({ secret: z.string() }) });
const me = z.looseObject({ name: z.string().optional(), role: z.string().optional() });

export function zendeskWebhookEndpoint(publicUrl: string): string {
  return `${publicUrl.replace(/\/$/, '')}/zendesk/webhook`;
}

const isExclusion = (c: z.infer<typeof condition>): boolean =>
  c.field === EXCLUDE_PARLEY.field && c.operator === EXCLUDE_PARLEY.operator && c.value === EXCLUDE_PARLEY.value;

/** A trigger that emails the requester (Zendesk's "Notify requester …" ones, or anyone's own). */
function emailsRequester(t: Trigger): boolean {
  return t.actions.some(
    (a) =>
      a.field === 'notification_user' &&
      Array.isArray(a.value) &&
      ['requester_id', 'requester_and_ccs'].includes(String(a.value[0])),
  );
}

async function triggers(client: ZendeskClient): Promise<Trigger[]> {
  return triggerList.parse(await client.api.triggers.list());
}

/** Parley's webhooks to this endpoint (node-zendesk's `list` has no name filter: filtered here, as Zendesk would). */
async function ourWebhooks(client: ZendeskClient, endpoint: string) {
  const all = webhookList.parse(await client.api.webhooks.list());
  return all.filter((w) => w.name.toLowerCase().includes(WEBHOOK_NAME.toLowerCase()) && w.endpoint === endpoint);
}

export interface ZendeskConnection {
  webhookId: string;
  triggerId: number;
  signingSecret: string;
  excludedFrom: string[];
}

/** The one webhook to `endpoint`, created or repaired (extra copies deleted); returns its id. */
async function upsertWebhook(client: ZendeskClient, endpoint: string): Promise<string> {
  const webhook = {
    name: WEBHOOK_NAME,
    endpoint,
    http_method: 'POST',
    request_format: 'json',
    status: 'active',
    subscriptions: ['conditional_ticket_events'],
  };
  const [existing, ...extra] = await ourWebhooks(client, endpoint);
  for (const w of extra) await client.api.webhooks.delete(w.id);
  if (existing) {
    await client.api.webhooks.patch(existing.id, { webhook });
    return existing.id;
  }
  return createdWebhook.parse((await client.api.webhooks.create({ webhook })).result).id;
}

/** The trigger "public comment by an agent on a Parley ticket, not through the API" calling the webhook. */
function parleyTrigger(webhookId: string) {
  return {
    title: TRIGGER_TITLE,
    active: true,
    conditions: {
      all: [
        { field: 'update_type', operator: 'is', value: 'Change' },
        { field: 'comment_is_public', operator: 'is', value: 'true' },
        { field: 'current_tags', operator: 'includes', value: 'parley' },
        // Parley's own comments (the end user's messages) are made through the API: they must never echo back.
        { field: 'current_via_id', operator: 'is_not', value: '5' },
        { field: 'role', operator: 'is', value: 'agent' },
      ],
      any: [],
    },
    actions: [{ field: 'notification_webhook', value: [webhookId, PAYLOAD] }],
  };
}

/** The one Parley trigger, created or repaired (extra copies deleted); returns its id. */
async function upsertTrigger(client: ZendeskClient, all: Trigger[], webhookId: string): Promise<number> {
  const desired = parleyTrigger(webhookId);
  const ours = all.filter((t) => t.title === TRIGGER_TITLE);
  for (const t of ours.slice(1)) await client.api.triggers.delete(t.id);
  if (ours[0]) {
    await client.api.triggers.update(ours[0].id, { trigger: desired });
    return ours[0].id;
  }
  return createdTrigger.parse((await client.api.triggers.create({ trigger: desired })).result).id;
}

/** Adds `tags not include parley` to every trigger that emails the requester; returns their titles. */
async function excludeParleyTickets(client: ZendeskClient, all: Trigger[]): Promise<string[]> {
  const excludedFrom: string[] = [];
  for (const t of all) {
    if (t.title === TRIGGER_TITLE || !emailsRequester(t) || t.conditions.all.some(isExclusion)) continue;
    await client.api.triggers.update(t.id, {
      trigger: { conditions: { all: [...t.conditions.all, EXCLUDE_PARLEY], any: t.conditions.any } },
    });
    excludedFrom.push(t.title);
  }
  return excludedFrom;
}

export async function connectZendesk(client: ZendeskClient, publicUrl: string): Promise<ZendeskConnection> {
  const webhookId = await upsertWebhook(client, zendeskWebhookEndpoint(publicUrl));
  const signing = signingSecret.parse((await client.api.webhooks.getSigningSecret(webhookId)).result);
  const all = await triggers(client);
  const triggerId = await upsertTrigger(client, all, webhookId);
  const excludedFrom = await excludeParleyTickets(client, all);
  return { webhookId, triggerId, signingSecret: signing.signing_secret.secret, excludedFrom };
}

/** Restores the requester triggers and deletes Parley's trigger and webhook (call when the last app leaves). */
export async function removeZendesk(client: ZendeskClient, publicUrl: string): Promise<{ restored: string[] }> {
  const restored: string[] = [];
  for (const t of await triggers(client)) {
    if (t.title === TRIGGER_TITLE) {
      await client.api.triggers.delete(t.id);
      continue;
    }
    if (!t.conditions.all.some(isExclusion)) continue;
    await client.api.triggers.update(t.id, {
      trigger: { conditions: { all: t.conditions.all.filter((c) => !isExclusion(c)), any: t.conditions.any } },
    });
    restored.push(t.title);
  }
  for (const w of await ourWebhooks(client, zendeskWebhookEndpoint(publicUrl))) await client.api.webhooks.delete(w.id);
  return { restored };
}

/** "Test connection": who Parley is in Zendesk, or the error of the refusal. */
export async function checkZendesk(client: ZendeskClient): Promise<string> {
  const user = me.parse((await client.api.users.me()).result);
  return `connected as ${user.name ?? 'the API user'} (${user.role ?? 'unknown role'})`;
}

/** What `connectZendesk` would change in the account, read without writing anything: shown before connecting. */
export interface ZendeskConnectPlan {
  endpoint: string;
  webhook: 'create' | 'repair';
  /** Extra copies of Parley's webhook that connecting deletes. */
  duplicateWebhooks: number;
  trigger: 'create' | 'repair';
  duplicateTriggers: number;
  /** Triggers that email the requester and would get `tags not include parley`. */
  excludeFrom: string[];
  /** Triggers that email the requester and already have the condition. */
  alreadyExcluded: string[];
}

export async function planZendeskConnect(client: ZendeskClient, publicUrl: string): Promise<ZendeskConnectPlan> {
  const endpoint = zendeskWebhookEndpoint(publicUrl);
  const hooks = await ourWebhooks(client, endpoint);
  const all = await triggers(client);
  const ours = all.filter((t) => t.title === TRIGGER_TITLE);
  const requester = all.filter((t) => t.title !== TRIGGER_TITLE && emailsRequester(t));
  return {
    endpoint,
    webhook: hooks.length > 0 ? 'repair' : 'create',
    duplicateWebhooks: Math.max(0, hooks.length - 1),
    trigger: ours.length > 0 ? 'repair' : 'create',
    duplicateTriggers: Math.max(0, ours.length - 1),
    excludeFrom: requester.filter((t) => !t.conditions.all.some(isExclusion)).map((t) => t.title),
    alreadyExcluded: requester.filter((t) => t.conditions.all.some(isExclusion)).map((t) => t.title),
  };
}

/** What `removeZendesk` would undo, read without writing anything. */
export interface ZendeskRemovePlan {
  deleteTriggers: number;
  deleteWebhooks: number;
  /** Triggers whose `tags not include parley` condition would be taken out. */
  restore: string[];
}

export async function planZendeskRemove(client: ZendeskClient, publicUrl: string): Promise<ZendeskRemovePlan> {
  const all = await triggers(client);
  return {
    deleteTriggers: all.filter((t) => t.title === TRIGGER_TITLE).length,
    deleteWebhooks: (await ourWebhooks(client, zendeskWebhookEndpoint(publicUrl))).length,
    restore: all.filter((t) => t.title !== TRIGGER_TITLE && t.conditions.all.some(isExclusion)).map((t) => t.title),
  };
}
