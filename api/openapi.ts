import { z } from 'zod';
import {
  acceptedMessage,
  conversationSummary,
  errorBody,
  messageList,
  postMessageBody,
  profileBody,
  resumeBody,
} from './schemas';

/** The OpenAPI 3.1 document of the client API, generated from the same zod schemas that validate requests. */
export function openApiDocument(publicUrl?: string): Record<string, unknown> {
  // Every schema with a `.meta({id})` lands in the global registry; naming them here keeps them imported.
  void [postMessageBody, profileBody, resumeBody, acceptedMessage, messageList, conversationSummary, errorBody];
  const defs = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
  const errors = {
    '400': { description: 'Invalid input', ...json('Error') },
    '401': { description: 'Missing or wrong API key', ...json('Error') },
    '403': { description: "Another app's key", ...json('Error') },
    '404': { description: 'Unknown app or conversation', ...json('Error') },
    '413': { description: 'Body over the limit', ...json('Error') },
  };
  const params = [
    { name: 'appId', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'userId', in: 'path', required: true, schema: { type: 'string', maxLength: 256 } },
  ];
  const user = '/v1/apps/{appId}/users/{userId}';
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley client API',
      version: '1',
      description: 'Post end users’ messages; replies come back by webhook.',
    },
    ...(publicUrl ? { servers: [{ url: publicUrl }] } : {}),
    components: { schemas: defs, securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    security: [{ apiKey: [] }],
    paths: {
      [`${user}/messages`]: {
        parameters: params,
        post: {
          summary: 'Post a user message (starts or reopens the conversation)',
          requestBody: { required: true, ...json('PostMessage') },
          responses: { '202': { description: 'Accepted', ...json('AcceptedMessage') }, ...errors },
        },
        get: {
          summary: 'The last 100 messages, oldest first',
          responses: { '200': { description: 'The window', ...json('MessageList') }, ...errors },
        },
      },
      [user]: {
        parameters: params,
        put: {
          summary: "Set the user's profile",
          requestBody: { required: true, ...json('UserProfile') },
          responses: { '202': { description: 'Accepted' }, ...errors },
        },
      },
      [`${user}/conversation`]: {
        parameters: params,
        get: {
          summary: 'Status, profile and outboxes',
          responses: { '200': { description: 'OK', ...json('Conversation') }, ...errors },
        },
      },
      [`${user}/archive`]: {
        parameters: params,
        post: {
          summary: 'Archive the conversation (the next message reopens it)',
          responses: { '202': { description: 'Accepted' }, ...errors },
        },
      },
      [`${user}/outboxes/resume`]: {
        parameters: params,
        post: {
          summary: 'Resume a paused outbox now (all when none is named)',
          requestBody: { required: false, ...json('ResumeOutbox') },
          responses: { '202': { description: 'Accepted' }, ...errors },
        },
      },
    },
  };
}
