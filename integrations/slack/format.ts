/**
 * Slack's rendering of the shared renderers (common/conversation.ts): the same words every integration uses,
 * laid out in mrkdwn, and the texts Parley answers slash commands with.
 *
 * Every string a user, an agent or a client app controls goes into mrkdwn through `userText`, and only through it:
 * that is where mrkdwn escaping belongs (issue 16).
 */
import {
  HISTORY_HEADING,
  historyLines,
  mirroredReply as mirroredReplyText,
  deviceRows,
  propertyRows,
  userLabel,
  userRows,
  type ConversationMessage,
  type UserProfile,
} from '../../common/conversation';

/**
 * A user-controlled string on its way into mrkdwn (names, emails, message texts, profile rows). Today the text as
 * it is; escaping `&`, `<` and `>` for mrkdwn (issue 16) goes here and reaches every text below.
 */
export function userText(text: string): string {
  return text;
}

/** The user's label for mrkdwn. (A post's `username` is plain text, not mrkdwn: the adapter uses `userLabel`.) */
function who(profile: UserProfile, userId: string): string {
  return userText(userLabel(profile, userId));
}

export function channelHeader(profile: UserProfile, userId: string, appName: string): string {
  const label = userLabel(profile, userId);
  const email = profile.email && profile.email !== label ? ` (${userText(profile.email)})` : '';
  return [
    `:speech_balloon: Conversation with *${userText(label)}*${email} from ${appName}.`,
    'Reply to the user with `/sk your message`; anything else said here stays internal.',
    '`/sk !profile` shows the profile, `/sk !archive` (or archiving the channel) archives the conversation.',
  ].join('\n');
}

export function dispatchText(
  profile: UserProfile,
  userId: string,
  channelId: string,
  appName: string,
  reopened: boolean,
): string {
  const label = who(profile, userId);
  return reopened
    ? `:arrows_counterclockwise: *${label}* (${appName}) wrote again: <#${channelId}>`
    : `:new: New conversation with *${label}* (${appName}): <#${channelId}>`;
}

/** A user's message as posted in their channel. */
export function userMessageText(message: Pick<ConversationMessage, 'text'>): string {
  return userText(message.text);
}

/** A reply from another integration: `↩ Ana via Zendesk: …`. */
export function mirroredReply(message: ConversationMessage): string {
  const agent = message.agent ? { ...message.agent, name: userText(message.agent.name) } : undefined;
  return mirroredReplyText({ source: message.source, agent, text: userText(message.text) });
}

export function recentHistory(messages: ConversationMessage[], profile: UserProfile, userId: string): string {
  const lines = historyLines(messages, profile, userId).map(
    (line) => `> *${userText(line.who)}*: ${userText(line.text).replace(/\n/g, '\n> ')}`,
  );
  return [`:scroll: ${HISTORY_HEADING}`, ...lines].join('\n');
}

export function profileText(profile: UserProfile, userId: string): string {
  const row = ([k, v]: readonly [string, string]) => `${userText(k)}: ${userText(v)}`;
  const lines = [`*${who(profile, userId)}*`];
  for (const r of userRows(profile, userId)) if (r[0] !== 'Name') lines.push(row(r));
  for (const [title, rows] of [
    ['Properties', propertyRows(profile)],
    ['Device', deviceRows(profile)],
  ] as const) {
    if (rows.length > 0) lines.push(`${title}:`, ...rows.map((r) => `  • ${row(r)}`));
  }
  return lines.join('\n');
}

// ── Answers to `/sk` ────────────────────────────────────────────────────────────────────────────────────────

/** `/sk` outside a user's channel (or from a workspace that is not the app's). */
export function noPowerText(command: string): string {
  return `${command} has no power here: this channel is not linked to a user. Use it in a user's \`sk-\` channel.`;
}

export function usageText(command: string): string {
  return `Usage: \`${command} your reply\`, \`${command} !profile\`, \`${command} !archive\``;
}

export const ARCHIVED_CONFIRMATION = ':file_cabinet: Conversation archived. The next message from the user reopens it.';

/** Said at once when the answer takes longer than Slack waits; the real answer follows through `response_url`. */
export const ACK_TEXT = 'On it…';

/** In the channel, after `/sk <reply>`: who it went to, who sent it, and the reply quoted. */
export function sentConfirmation(profile: UserProfile, userId: string, agentName: string, text: string): string {
  const quoted = userText(text).replace(/\n/g, '\n>');
  return `:white_check_mark: Sent to ${who(profile, userId)} by ${userText(agentName)}:\n>${quoted}`;
}
