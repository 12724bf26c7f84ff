/** The client API's shapes, in zod: validation and the OpenAPI document come from the same source. */
import { z } from 'zod';

export const MAX_TEXT = 8000;

export const appIdParam = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'not a valid app id');
export const userIdParam = z
  .string()
  .min(1)
  .max(256, 'at most 256 characters')
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

const jsonRecord = z.record(z.string().max(200), z.json());

export const postMessageBody = z
  .strictObject({
    text: z.string().trim().min(1, 'must not be empty').max(MAX_TEXT, `at most ${MAX_TEXT} characters`),
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", at most 128 characters')
      .optional()
      .describe('Idempotency key: a repeated id is accepted once and shown once.'),
    metadata: jsonRecord.optional(),
  })
  .meta({ id: 'PostMessage' });

export const profileBody = z
  .strictObject({
    givenName: z.string().trim().max(200).optional(),
    surname: z.string().trim().max(200).optional(),
    email: z.email().optional(),
    avatarUrl: z.url({ protocol: /^https?$/ }).optional(),
    properties: jsonRecord.optional(),
    device: jsonRecord.optional(),
  })
  .meta({ id: 'UserProfile' });

export const resumeBody = z
  .strictObject({ outbox: z.string().min(1).max(2100).optional() })
  .meta({ id: 'ResumeOutbox' });

export const agentSchema = z.object({
  name: z.string(),
  email: z.string().optional(),
  avatarUrl: z.string().optional(),
});

export const messageSchema = z
  .object({
    id: z.string(),
    role: z.enum(['user', 'agent']),
    text: z.string(),
    at: z.string().describe('ISO 8601'),
    metadata: jsonRecord.optional(),
    source: z.string().optional(),
    agent: agentSchema.optional(),
  })
  .meta({ id: 'Message' });

export const acceptedMessage = z
  .object({ message: messageSchema, conversationId: z.string() })
  .meta({ id: 'AcceptedMessage' });
export const messageList = z
  .object({ conversationId: z.string(), status: z.enum(['active', 'archived']), messages: z.array(messageSchema) })
  .meta({ id: 'MessageList' });

export const outboxSummary = z.object({
  key: z.string(),
  enabled: z.boolean(),
  status: z.string(),
  pending: z.number(),
  delivered: z.number(),
  holdUntil: z.string().optional(),
  fault: z
    .object({ type: z.string(), message: z.string(), since: z.string(), attempts: z.number(), nextCheckAt: z.string() })
    .optional(),
});

export const conversationSummary = z
  .object({
    conversationId: z.string(),
    status: z.enum(['active', 'archived']),
    profile: profileBody,
    createdAt: z.string(),
    updatedAt: z.string(),
    totalMessages: z.number(),
    integrations: z.array(z.string()),
    outboxes: z.array(outboxSummary),
  })
  .meta({ id: 'Conversation' });

export const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).meta({ id: 'Error' });
