/**
 * Help Scout's webhook, after its signature is verified (verify.ts): parse the v2 payload (the Conversation object,
 * its threads usually embedded) and decide what it means for Parley, with no I/O. Only an agent's reply is
 * relayed; notes stay internal; a redelivery carries the same thread id, which the workflow drops.
 */
import { z } from 'zod';
import type { AgentReply } from '../../common/conversation';
import { gravatarUrl, htmlToText } from '../../common/text';

/** The header naming the event; Parley's webhook subscribes to one (connect.ts). */
export const HELPSCOUT_EVENT_HEADER = 'x-helpscout-event';
export const HELPSCOUT_REPLY_EVENT = 'convo.agent.reply.created';

/** A thread's `createdBy`: a user (agent) or a customer, as Mailbox API 2.0 renders a person. */
const person = z.looseObject({
  type: z.string().optional(),
  first: z.string().nullish(),
  last: z.string().nullish(),
  email: z.string().nullish(),
  photoUrl: z.string().nullish(),
});
/** A thread's attachment as Mailbox API 2.0 lists it (`_embedded.attachments`). */
const attachment = z.looseObject({
  id: z.number(),
  filename: z.string(),
  mimeType: z.string().optional(),
  size: z.number().optional(),
});
const thread = z.looseObject({
  id: z.number(),
  type: z.string(),
  _embedded: z.looseObject({ attachments: z.array(attachment).optional() }).optional(),
  body: z.string().nullish(),
  createdAt: z.string().nullish(),
  createdBy: person.nullish(),
});
const threads = z.looseObject({ threads: z.array(thread) });

/** The v2 webhook body: the Conversation object, with `_embedded.threads` unless Help Scout left them out. */
export const helpScoutWebhookBody = z.looseObject({ id: z.number(), _embedded: threads.optional() });
/** `GET /v2/conversations/{id}/threads`: the threads a webhook did not embed. */
const threadList = z.looseObject({ _embedded: threads.optional() });

export type HelpScoutWebhookBody = z.output<typeof helpScoutWebhookBody>;
export type HelpScoutThread = z.output<typeof thread>;
export type HelpScoutAttachment = z.output<typeof attachment>;

export function parseHelpScoutWebhook(json: unknown): z.ZodSafeParseResult<HelpScoutWebhookBody> {
  return helpScoutWebhookBody.safeParse(json);
}

/** The threads of a thread listing (none listed: none); throws when the answer is not one. */
export function parseHelpScoutThreads(json: unknown): HelpScoutThread[] {
  return threadList.parse(json)._embedded?.threads ?? [];
}

export type HelpScoutDecision =
  | {
      kind: 'reply';
      conversationId: number;
      threadId: number;
      reply: AgentReply;
      /** The reply thread's files, fetched and stored by the glue (`…/attachments/{id}/data`). */
      attachments: HelpScoutAttachment[];
    }
  /** Another event than an agent's reply (the webhook is Parley's, but someone may have added events). */
  | { kind: 'ignored'; reason: 'other_event'; event: string }
  /** The payload has no threads: fetch them and decide again with them. */
  | { kind: 'needs_threads'; conversationId: number }
  /** An agent-reply event without an agent's reply thread: a malformed delivery. */
  | { kind: 'no_reply'; conversationId: number };

/** The new reply: the newest reply thread an agent (not the customer) wrote. */
export function newestAgentReply(list: readonly HelpScoutThread[]): HelpScoutThread | undefined {
  return list
    .filter((t) => t.type === 'reply' && t.createdBy?.type !== 'customer')
    .sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? ''))[0];
}

/** The agent as the user sees them: the name (else the email), the Help Scout photo, else the Gravatar. */
export function helpScoutAgent(by: HelpScoutThread['createdBy']): AgentReply['agent'] {
  const name = [by?.first, by?.last].filter(Boolean).join(' ') || by?.email || 'Help Scout agent';
  const avatarUrl = by?.photoUrl ?? (by?.email ? gravatarUrl(by.email) : undefined);
  return { name, ...(by?.email ? { email: by.email } : {}), ...(avatarUrl ? { avatarUrl } : {}) };
}

/**
 * What a verified, parsed webhook asks of Parley. `event` is the `X-HelpScout-Event` header (empty when absent);
 * `now` dates a reply thread without `createdAt`.
 */
export function decideHelpScoutReply(
  body: HelpScoutWebhookBody,
  event: string,
  now: () => Date = () => new Date(),
): HelpScoutDecision {
  if (event !== HELPSCOUT_REPLY_EVENT) return { kind: 'ignored', reason: 'other_event', event };
  const embedded = body._embedded?.threads;
  if (!embedded) return { kind: 'needs_threads', conversationId: body.id };
  const found = newestAgentReply(embedded);
  if (!found) return { kind: 'no_reply', conversationId: body.id };
  return {
    kind: 'reply',
    conversationId: body.id,
    threadId: found.id,
    attachments: found._embedded?.attachments ?? [],
    reply: {
      id: `helpscout:${found.id}`,
      source: 'helpscout',
      agent: helpScoutAgent(found.createdBy),
      text: htmlToText(found.body ?? ''),
      at: found.createdAt ?? now().toISOString(),
    },
  };
}
