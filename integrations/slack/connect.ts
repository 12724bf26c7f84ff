/**
 * Slack's connection: the live check behind "Test connection", and which workspace a token belongs to (how the
 * inbound glue tells apps sharing a signing secret apart). The OAuth install will live here too.
 */
import type { WebClient } from '@slack/web-api';
import { toSlackIntegrationError } from './errors';

/** `auth.test` with the app's token: what it is connected to, or the IntegrationError saying why not. */
export async function checkSlack(client: WebClient): Promise<string> {
  try {
    const res = await client.auth.test();
    return `connected to ${res.team ?? res.team_id} as ${res.user ?? res.user_id}`;
  } catch (err) {
    throw toSlackIntegrationError(err);
  }
}

/** The id of the workspace the token is installed in (`auth.test`'s `team_id`). */
export async function slackTeamId(client: WebClient): Promise<string | undefined> {
  try {
    return (await client.auth.test()).team_id;
  } catch (err) {
    throw toSlackIntegrationError(err);
  }
}
