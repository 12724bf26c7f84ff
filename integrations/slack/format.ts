/**
 * Slack's rendering of the shared renderers (common/conversation.ts): the same words every integration uses,
 * laid out in mrkdwn.
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

export { userLabel };

export function channelHeader(profile: UserProfile, userId: string, appName: string): string {
  const who = userLabel(profile, userId);
  const email = profile.email && profile.email !== who ? ` (${profile.email})` : '';
  return [
    `:speech_balloon: Conversation with *${who}*${email} from ${appName}.`,
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
  const who = userLabel(profile, userId);
  return reopened
    ? `:arrows_counterclockwise: *${who}* (${appName}) wrote again: <#${channelId}>`
    : `:new: New conversation with *${who}* (${appName}): <#${channelId}>`;
}

export function mirroredReply(message: ConversationMessage): string {
  return mirroredReplyText(message);
}

export function recentHistory(messages: ConversationMessage[], profile: UserProfile, userId: string): string {
  const lines = historyLines(messages, profile, userId).map(
    ({ who, text }) => `> *${who}*: ${text.replace(/\n/g, '\n> ')}`,
  );
  return [`:scroll: ${HISTORY_HEADING}`, ...lines].join('\n');
}

export function profileText(profile: UserProfile, userId: string): string {
  const lines = [`*${userLabel(profile, userId)}*`];
  for (const [k, v] of userRows(profile, userId)) if (k !== 'Name') lines.push(`${k}: ${v}`);
  for (const [title, rows] of [
    ['Properties', propertyRows(profile)],
    ['Device', deviceRows(profile)],
  ] as const) {
    if (rows.length > 0) lines.push(`${title}:`, ...rows.map(([k, v]) => `  • ${k}: ${v}`));
  }
  return lines.join('\n');
}
