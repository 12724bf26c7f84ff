/**
 * Parley's input budgets, in bytes as Temporal stores them (common/budgets.ts), so that no single input can make a
 * signal, an activity input or a workflow's state approach Temporal's 2 MB payload limit. Client input over a budget
 * is refused (the API names the field and the limit); an agent's reply over its budget is cut at a marker that says
 * where the whole reply can be read, and delivered. Pure and workflow-safe: imports only the byte measure.
 */
import { cutToBudget, jsonBytes, jsonDepth, jsonStringBytes } from './budgets';
import type { AgentReply } from './conversation';

/** What one input may cost. Docs: docs/operate/limits.md (keep the two in step). */
export const BUDGETS = {
  /** A user message's `text`: 8,000 characters of any script fit (CJK: 24,000 bytes); 8,000 control characters do not. */
  messageTextBytes: 24_000,
  /** `metadata` of a message; a profile's `properties` and `device` each. */
  jsonObjectBytes: 8_192,
  /** Nesting of `metadata`, `properties`, `device` (an object holding a value is depth 1). */
  jsonObjectDepth: 16,
  /** Any JSON body Parley reads (client API, vendors' webhooks, codec): refused deeper, before anything recursive runs. */
  bodyDepth: 64,
  /** A whole profile (`PUT …/users/{userId}`) as the `profileUpdate` signal carries it. */
  profileBytes: 24_576,
  /** An agent's reply text from any integration: longer is cut at a marker, and delivered. */
  agentReplyBytes: 32_000,
  /** An agent's name, email and avatar URL each (Parley shows names at 80 characters anyway). */
  agentFieldBytes: 2_048,
  /** A workflow id (`conversation:<appId>:<percent-encoded userId>`): Temporal refuses ids over 1,000 bytes. */
  workflowIdBytes: 1_000,
  /** A vendor's id of a reply (`zendesk:<comment id>`, an email's Message-ID): kept in each conversation's dedupe list. */
  replyIdBytes: 512,
} as const;

/** A budget the input broke: which field, what it may cost, what it cost. */
export interface BudgetBreach {
  field: string;
  limit: number;
  actual: number;
  unit: 'bytes' | 'levels';
}

/** The client-facing sentence for a breach, e.g. `metadata: 9120 bytes as JSON, over the limit of 8192 bytes`. */
export function breachMessage(b: BudgetBreach): string {
  return b.unit === 'levels'
    ? `${b.field}: nested ${b.actual > b.limit ? `more than ${b.limit}` : b.actual} levels deep, over the limit of ${b.limit} levels`
    : `${b.field}: ${b.actual} bytes as JSON (UTF-8; a control character costs 6), over the limit of ${b.limit} bytes`;
}

/** Depth first (cheaply, without recursion), then bytes; undefined when `value` fits. */
export function checkJsonObject(
  field: string,
  value: unknown,
  maxBytes: number = BUDGETS.jsonObjectBytes,
): BudgetBreach | undefined {
  if (value === undefined) return undefined;
  const depth = jsonDepth(value, BUDGETS.jsonObjectDepth);
  if (depth > BUDGETS.jsonObjectDepth) return { field, limit: BUDGETS.jsonObjectDepth, actual: depth, unit: 'levels' };
  const bytes = jsonBytes(value);
  return bytes > maxBytes ? { field, limit: maxBytes, actual: bytes, unit: 'bytes' } : undefined;
}

export function checkText(field: string, value: unknown, maxBytes: number): BudgetBreach | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = jsonStringBytes(value);
  return bytes > maxBytes ? { field, limit: maxBytes, actual: bytes, unit: 'bytes' } : undefined;
}

/** Cuts a string field to `maxBytes` with an ellipsis (names, addresses: nothing to point at). */
function cutField(value: string, maxBytes: number): string {
  return cutToBudget(value, maxBytes, '…').text;
}

export interface CutReply {
  reply: AgentReply;
  /** The reply's text was over the budget and was cut. */
  cut: boolean;
  /** The text's bytes before the cut. */
  bytes: number;
}

/**
 * The marker a cut reply ends with: says it was cut and where the agent's whole reply is, e.g.
 * `… [cut: the full reply is in Zendesk ticket #123]`.
 */
export function cutMarker(where: string): string {
  return `\n… [cut: the full reply is in ${where}]`;
}

/**
 * An agent reply as every inbound path hands it to Temporal: text within `agentReplyBytes` (cut at `cutMarker(where)`),
 * agent fields and the id bounded. `where` names the place the whole reply can be read ("Zendesk ticket #123").
 */
export function boundAgentReply(
  reply: AgentReply,
  where: string,
  maxBytes: number = BUDGETS.agentReplyBytes,
): CutReply {
  const { text, cut, bytes } = cutToBudget(reply.text, maxBytes, cutMarker(where));
  const agent: AgentReply['agent'] = { name: cutField(reply.agent.name, BUDGETS.agentFieldBytes) };
  if (reply.agent.email !== undefined) agent.email = cutField(reply.agent.email, BUDGETS.agentFieldBytes);
  // A cut URL is a broken URL: one over the budget is dropped (the user sees the default avatar).
  if (reply.agent.avatarUrl !== undefined && jsonStringBytes(reply.agent.avatarUrl) <= BUDGETS.agentFieldBytes)
    agent.avatarUrl = reply.agent.avatarUrl;
  return {
    reply: { ...reply, id: cutField(reply.id, BUDGETS.replyIdBytes), agent, text },
    cut,
    bytes,
  };
}
