/**
 * Zendesk's webhook once its signature checked out (verify.ts): the payload Parley's trigger sends (connect.ts),
 * which app's conversation it is for, and the AgentReply it becomes. Pure: the glue (api/zendesk.ts) reads the
 * agent's own signature through the client between `decideZendeskReply` and `zendeskAgentReply`, because which
 * account to ask is only known once the app is.
 */
import { z } from 'zod';
import type { AppConfig } from '../../common/config';
import type { AgentReply } from '../../common/conversation';
import { CONVERSATION_ID_PREFIX } from '../../common/ids';
import { gravatarUrl } from '../../common/text';
import { stripSignatures } from './strip';

/** The body of connect.ts's `PAYLOAD`: every placeholder renders as a string. */
export const zendeskWebhookSchema = z.object({
  // Zendesk's ids are numbers rendered as strings: anything longer is not one (and would bloat the dedupe list).
  ticket_id: z.string().max(64),
  external_id: z.string().max(1000),
  comment_id: z.string().min(1).max(64),
  comment: z.string(),
  public: z.string(),
  author_id: z.string(),
  author_name: z.string(),
  author_email: z.string().optional(),
  author_photo: z.string().optional(),
});
export type ZendeskWebhook = z.infer<typeof zendeskWebhookSchema>;

export type ZendeskApp = AppConfig & { zendesk: NonNullable<AppConfig['zendesk']> };

export const ZENDESK_IGNORE_REASONS = ['private note', 'not a Parley ticket of this account'] as const;
export type ZendeskIgnoreReason = (typeof ZENDESK_IGNORE_REASONS)[number];

export type ZendeskDecision =
  | { kind: 'ignored'; reason: ZendeskIgnoreReason }
  | {
      kind: 'reply';
      app: ZendeskApp;
      /** The ticket's `external_id`: the conversation's workflow id. */
      workflowId: string;
      /** The agent to read the signature of, when the payload names one Zendesk could have. */
      agentId: number | undefined;
    };

/**
 * What to do with a verified webhook. The ticket's `external_id` is the workflow id (`conversation:<appId>:…`), and
 * that app must use the Zendesk account whose signing secret signed the body: one account cannot reach another's
 * conversations. The trigger only sends public comments; a private one is ignored all the same.
 */
export function decideZendeskReply(
  payload: ZendeskWebhook,
  context: { account: string; apps: readonly AppConfig[] },
): ZendeskDecision {
  if (payload.public !== 'true') return { kind: 'ignored', reason: 'private note' };
  const appId = payload.external_id.startsWith(CONVERSATION_ID_PREFIX)
    ? payload.external_id.slice(CONVERSATION_ID_PREFIX.length).split(':')[0]
    : undefined;
  const app = context.apps.find((a): a is ZendeskApp => a.id === appId && a.zendesk?.url === context.account);
  if (!app) return { kind: 'ignored', reason: 'not a Parley ticket of this account' };
  const agentId = Number(payload.author_id);
  return {
    kind: 'reply',
    app,
    workflowId: payload.external_id,
    agentId: /^\d+$/.test(payload.author_id) && Number.isSafeInteger(agentId) ? agentId : undefined,
  };
}

/** The part of a Zendesk user (Show User) the signature needs. */
export const zendeskAgentSchema = z.looseObject({
  name: z.string().optional(),
  email: z.string().nullish(),
  signature: z.string().nullish(),
});
export type ZendeskAgent = z.infer<typeof zendeskAgentSchema>;

/**
 * The agent's signature as Zendesk appends it to their comments: its `{{agent.name}}` and `{{agent.email}}`
 * placeholders filled in (the name from the webhook when the user has none).
 */
export function zendeskAgentSignature(agent: ZendeskAgent, fallbackName: string): string | undefined {
  if (!agent.signature) return undefined;
  // Replacer functions, so a `$` in a name is not read as a replacement pattern.
  return agent.signature
    .replace(/\{\{agent\.name\}\}/g, () => agent.name ?? fallbackName)
    .replace(/\{\{agent\.email\}\}/g, () => agent.email ?? '');
}

/** The reply the conversation gets: signatures stripped, the agent as the webhook names them. */
export function zendeskAgentReply(
  payload: ZendeskWebhook,
  agentSignature: string | undefined,
  at: string = new Date().toISOString(),
): AgentReply {
  const email = payload.author_email || undefined;
  const avatarUrl = payload.author_photo || (email ? gravatarUrl(email) : undefined);
  return {
    // The comment id: a redelivery, or a second webhook for the same comment, is dropped by the workflow.
    id: `zendesk:${payload.comment_id}`,
    source: 'zendesk',
    agent: { name: payload.author_name, ...(email ? { email } : {}), ...(avatarUrl ? { avatarUrl } : {}) },
    text: stripSignatures(payload.comment, agentSignature),
    at,
  };
}

/** The invocation ids of the last `max` webhooks relayed: Zendesk's redeliveries of them are answered at once. */
export function createInvocationLog(max = 1000) {
  const seen = new Set<string>();
  return {
    has: (id: string): boolean => seen.has(id),
    add(id: string): void {
      seen.delete(id);
      seen.add(id);
      for (const oldest of seen) {
        if (seen.size <= max) break;
        seen.delete(oldest);
      }
    },
  };
}
