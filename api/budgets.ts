/**
 * The client API's byte budgets (common/limits.ts), checked on the parsed body before zod reads it: zod's JSON
 * schema recurses, so a body nested 2,000 levels deep must be refused before it gets there. A budget broken is a
 * `413 payload_too_large` (bytes) or `400 invalid_request` (depth) naming the field and its limit.
 */
import type { RequestHandler } from 'express';
import { jsonDepth } from '../common/budgets';
import { conversationWorkflowIdBytes, MAX_WORKFLOW_ID_BYTES } from '../common/ids';
import { BUDGETS, breachMessage, checkJsonObject, checkText, type BudgetBreach } from '../common/limits';
import { HttpError } from './errors';

function refuse(breach: BudgetBreach | undefined): void {
  if (!breach) return;
  if (breach.unit === 'levels') throw new HttpError(400, 'invalid_request', breachMessage(breach));
  throw new HttpError(413, 'payload_too_large', breachMessage(breach));
}

/** Any JSON body deeper than `BUDGETS.bodyDepth` is a 400, before a route (or zod) walks it. */
export function bodyDepthGuard(maxDepth: number = BUDGETS.bodyDepth): RequestHandler {
  return (req, _res, next) => {
    refuse(refuseDepth('body', req.body, maxDepth));
    next();
  };
}

/** A breach when `value` is nested deeper than `maxDepth`; counted without recursion. */
export function refuseDepth(field: string, value: unknown, maxDepth: number): BudgetBreach | undefined {
  const depth = jsonDepth(value, maxDepth);
  return depth > maxDepth ? { field, limit: maxDepth, actual: depth, unit: 'levels' } : undefined;
}

function fieldOf(body: unknown, key: string): unknown {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[key] : undefined;
}

/** `POST …/messages`: text and metadata within their budgets. */
export function checkMessageBudgets(body: unknown): void {
  refuse(checkJsonObject('metadata', fieldOf(body, 'metadata')));
  refuse(checkText('text', fieldOf(body, 'text'), BUDGETS.messageTextBytes));
}

/** `PUT …/users/{userId}`: `properties` and `device` each, then the whole profile. */
export function checkProfileBudgets(body: unknown): void {
  refuse(checkJsonObject('properties', fieldOf(body, 'properties')));
  refuse(checkJsonObject('device', fieldOf(body, 'device')));
  refuse(checkJsonObject('profile', body, BUDGETS.profileBytes));
}

/** A user id whose workflow id Temporal would refuse is a `400 invalid_user_id`, before anything is sent. */
export function checkUserIdBytes(appId: string, userId: string): void {
  const bytes = conversationWorkflowIdBytes(appId, userId);
  if (bytes > MAX_WORKFLOW_ID_BYTES)
    throw new HttpError(
      400,
      'invalid_user_id',
      `userId: its conversation id (conversation:${appId}:<the id percent-encoded>) would be ${bytes} bytes, over ` +
        `Temporal's limit of ${MAX_WORKFLOW_ID_BYTES} bytes (a CJK character costs 9 bytes there, an emoji 12)`,
    );
}
